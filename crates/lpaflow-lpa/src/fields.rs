//! Reading JSON objects field by field while collecting every problem with its JSON pointer, so that a
//! refusal lists all of them at once (and a paper application can turn each into a finding). Used for the
//! application and for every command payload. Values are bounded here: no text field is unbounded.

use crate::lpa_store::WireEnum;
use chrono::{DateTime, NaiveDate, Utc};
use lpaflow_core::PayloadProblem;
use lpaflow_core::json::escape_pointer_segment;
use lpaflow_core::text::{TextKind, refused_char};
use serde_json::{Map, Value};
use std::str::FromStr;

/// The longest short text (names, towns, references), in characters.
pub const SHORT_TEXT_MAX_CHARS: usize = 500;
/// The longest free text (restrictions and conditions, reasons, details), in characters.
pub const LONG_TEXT_MAX_CHARS: usize = 10_000;

/// The earliest date or time accepted anywhere (dates of birth, signatures, payments): earlier ones are typing
/// mistakes or probes (`0000-01-01`), and the LPA Store and OPG's other systems do not expect them.
pub const EARLIEST_DATE: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date");
/// The latest calendar date accepted (deadlines and planned dates are years, not centuries, ahead).
pub const LATEST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2199, 12, 31).expect("a valid date");

/// Problems found so far.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub(crate) Vec<PayloadProblem>);

impl Problems {
    pub(crate) fn add(&mut self, pointer: impl Into<String>, detail: impl Into<String>) {
        self.0.push(PayloadProblem::new(pointer, detail));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One JSON object being read, with the pointer it sits at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    ptr: &'a str,
}

/// The pointer of `key` under `ptr`.
pub(crate) fn child(ptr: &str, key: &str) -> String {
    format!("{ptr}/{}", escape_pointer_segment(key))
}

impl<'a> Obj<'a> {
    /// `value` as an object, or a problem at `ptr`.
    pub(crate) fn of(value: &'a Value, ptr: &'a str, p: &mut Problems) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self { map, ptr }),
            _ => {
                p.add(ptr, "must be an object");
                None
            }
        }
    }

    /// The value of `key`, treating `null` as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn ptr(&self, key: &str) -> String {
        child(self.ptr, key)
    }

    /// Reports every key not in `known`.
    pub(crate) fn no_other_keys(&self, known: &[&str], p: &mut Problems) {
        for key in self.map.keys() {
            if !known.contains(&key.as_str()) {
                p.add(self.ptr(key), "is not a known field");
            }
        }
    }

    fn text_with(&self, key: &str, max: usize, kind: TextKind, p: &mut Problems) -> Option<String> {
        let value = self.get(key)?;
        let Some(text) = value.as_str() else {
            p.add(self.ptr(key), "must be text");
            return None;
        };
        let text = text.trim();
        if text.chars().count() > max {
            p.add(self.ptr(key), format!("is longer than {max} characters"));
            return None;
        }
        if let Some(why) = refused_char(text, kind) {
            p.add(self.ptr(key), why);
            return None;
        }
        Some(text.to_owned())
    }

    /// Optional short text; empty text counts as absent.
    pub(crate) fn opt_text(&self, key: &str, p: &mut Problems) -> Option<String> {
        self.text_with(key, SHORT_TEXT_MAX_CHARS, TextKind::Line, p)
            .filter(|t| !t.is_empty())
    }

    /// Optional long text; empty text counts as absent.
    pub(crate) fn opt_long_text(&self, key: &str, p: &mut Problems) -> Option<String> {
        self.text_with(key, LONG_TEXT_MAX_CHARS, TextKind::Free, p)
            .filter(|t| !t.is_empty())
    }

    /// Required short text: missing or empty is a problem (and reads as empty text).
    pub(crate) fn req_text(&self, key: &str, p: &mut Problems) -> String {
        self.required(key, p, |o, p| o.opt_text(key, p))
            .unwrap_or_default()
    }

    /// Required long text.
    pub(crate) fn req_long_text(&self, key: &str, p: &mut Problems) -> String {
        self.required(key, p, |o, p| o.opt_long_text(key, p))
            .unwrap_or_default()
    }

    fn required<T>(
        &self,
        key: &str,
        p: &mut Problems,
        read: impl FnOnce(&Self, &mut Problems) -> Option<T>,
    ) -> Option<T> {
        let blank = match self.get(key) {
            None => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        };
        if blank {
            p.add(self.ptr(key), "is required");
            return None;
        }
        read(self, p)
    }

    /// Optional value of a string enum; an unknown value is a problem naming the allowed ones.
    pub(crate) fn opt_enum<E: FromStr + strum::VariantNames>(
        &self,
        key: &str,
        p: &mut Problems,
    ) -> Option<E> {
        let value = self.get(key)?;
        let parsed = value.as_str().and_then(|s| s.parse::<E>().ok());
        if parsed.is_none() {
            p.add(
                self.ptr(key),
                format!("must be one of {}", E::VARIANTS.join(", ")),
            );
        }
        parsed
    }

    /// Required value of a string enum.
    pub(crate) fn req_enum<E: FromStr + strum::VariantNames>(
        &self,
        key: &str,
        p: &mut Problems,
    ) -> Option<E> {
        self.required(key, p, |o, p| o.opt_enum(key, p))
    }

    /// Optional value of one of the LPA Store's enumerations; an unknown value is a problem naming the
    /// values the store knows.
    pub(crate) fn opt_wire<E: WireEnum>(&self, key: &str, p: &mut Problems) -> Option<E> {
        let value = self.get(key)?;
        let parsed = value.as_str().map(E::from_wire).filter(E::is_valid);
        if parsed.is_none() {
            p.add(
                self.ptr(key),
                format!("must be one of {}", E::KNOWN.join(", ")),
            );
        }
        parsed
    }

    /// Required value of one of the LPA Store's enumerations.
    pub(crate) fn req_wire<E: WireEnum>(&self, key: &str, p: &mut Problems) -> Option<E> {
        self.required(key, p, |o, p| o.opt_wire(key, p))
    }

    /// Optional calendar date (`YYYY-MM-DD`).
    pub(crate) fn opt_date(&self, key: &str, p: &mut Problems) -> Option<NaiveDate> {
        let value = self.get(key)?;
        let parsed = value
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
        match parsed {
            None => p.add(self.ptr(key), "must be a date written YYYY-MM-DD"),
            Some(d) if !(EARLIEST_DATE..=LATEST_DATE).contains(&d) => p.add(
                self.ptr(key),
                format!("must be between {EARLIEST_DATE} and {LATEST_DATE}"),
            ),
            Some(_) => {}
        }
        parsed.filter(|d| (EARLIEST_DATE..=LATEST_DATE).contains(d))
    }

    /// Required calendar date.
    pub(crate) fn req_date(&self, key: &str, p: &mut Problems) -> Option<NaiveDate> {
        self.required(key, p, |o, p| o.opt_date(key, p))
    }

    /// Optional RFC 3339 time, which may not be after `now`.
    pub(crate) fn opt_time_not_after(
        &self,
        key: &str,
        now: DateTime<Utc>,
        p: &mut Problems,
    ) -> Option<DateTime<Utc>> {
        let value = self.get(key)?;
        let parsed = value
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.to_utc());
        match parsed {
            None => p.add(
                self.ptr(key),
                "must be a time written as RFC 3339 (2026-01-05T09:00:00Z)",
            ),
            Some(t) if t > now => p.add(self.ptr(key), "must not be in the future"),
            Some(t) if t.date_naive() < EARLIEST_DATE => {
                p.add(self.ptr(key), format!("must not be before {EARLIEST_DATE}"))
            }
            Some(_) => {}
        }
        parsed.filter(|t| *t <= now && t.date_naive() >= EARLIEST_DATE)
    }

    /// Required RFC 3339 time, not after `now`.
    pub(crate) fn req_time_not_after(
        &self,
        key: &str,
        now: DateTime<Utc>,
        p: &mut Problems,
    ) -> Option<DateTime<Utc>> {
        if self.get(key).is_none() {
            p.add(self.ptr(key), "is required");
            return None;
        }
        self.opt_time_not_after(key, now, p)
    }

    /// Optional boolean.
    pub(crate) fn opt_bool(&self, key: &str, p: &mut Problems) -> Option<bool> {
        let value = self.get(key)?;
        if value.as_bool().is_none() {
            p.add(self.ptr(key), "must be true or false");
        }
        value.as_bool()
    }

    /// Optional whole number between `min` and `max`.
    pub(crate) fn opt_int(&self, key: &str, min: i64, max: i64, p: &mut Problems) -> Option<i64> {
        let value = self.get(key)?;
        let parsed = value.as_i64().filter(|n| (min..=max).contains(n));
        if parsed.is_none() {
            p.add(
                self.ptr(key),
                format!("must be a whole number from {min} to {max}"),
            );
        }
        parsed
    }

    /// Optional array; anything else is a problem.
    pub(crate) fn opt_array(&self, key: &str, p: &mut Problems) -> Option<&'a Vec<Value>> {
        let value = self.get(key)?;
        if value.as_array().is_none() {
            p.add(self.ptr(key), "must be a list");
        }
        value.as_array()
    }
}

/// Reads a command payload as an object (an absent payload reads as `{}`).
pub(crate) fn payload<'a>(value: &'a Value, p: &mut Problems) -> Option<Obj<'a>> {
    static EMPTY: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let value = if value.is_null() {
        EMPTY.get_or_init(|| Value::Object(Map::new()))
    } else {
        value
    };
    Obj::of(value, "", p)
}
