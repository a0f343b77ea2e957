//! Times and dates as the LPA Store's Go code writes and reads them (`internal/shared/date.go`, Go's
//! `time.Time` JSON encoding).
//!
//! - A Go `time.Time` field is never absent: its zero value is written `"0001-01-01T00:00:00Z"`. Here such a
//!   field is an `Option<DateTime<FixedOffset>>` whose `None` is that zero ([`required`]). A pointer
//!   (`*time.Time` with `omitempty`) is absent when nil ([`optional`]); it may still hold the zero instant.
//! - Go writes RFC 3339 with nanoseconds and trailing zeros dropped, and keeps the offset it was given
//!   ([`format`]). Comparisons must therefore compare instants, never strings.
//! - A date (`dateOfBirth`) is `YYYY-MM-DD`; an empty string is "not given", and anything else that does not
//!   parse is kept as *malformed* so that validation can say "invalid format" ([`Date`]).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, SecondsFormat, TimeZone, Timelike, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Go's zero time, as Go writes it.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Whether `t` is Go's zero time (1 January of year 1, 00:00 UTC).
pub fn is_zero(t: &DateTime<FixedOffset>) -> bool {
    t.naive_utc().and_utc().timestamp() == zero_instant().timestamp() && t.nanosecond() == 0
}

fn zero_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Whether a pointer time is set to a non-zero instant (Go: `t != nil && !t.IsZero()`).
pub fn is_set(t: &Option<DateTime<FixedOffset>>) -> bool {
    t.as_ref().is_some_and(|t| !is_zero(t))
}

/// An instant as Go's `time.RFC3339Nano` writes it: fraction without trailing zeros, `Z` for UTC.
pub fn format(t: &DateTime<FixedOffset>) -> String {
    let text = t.to_rfc3339_opts(SecondsFormat::Nanos, true);
    let Some(dot) = text.find('.') else {
        return text;
    };
    let end = text[dot + 1..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(text.len(), |i| dot + 1 + i);
    let digits = text[dot + 1..end].trim_end_matches('0');
    let mut out = text[..dot].to_owned();
    if !digits.is_empty() {
        out.push('.');
        out.push_str(digits);
    }
    out.push_str(&text[end..]);
    out
}

/// Parses an instant as Go's `time.Time` JSON decoding does: RFC 3339 with an upper-case `T` and a `Z` or a
/// numeric offset.
pub fn parse(text: &str) -> Option<DateTime<FixedOffset>> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes.get(10) != Some(&b'T') {
        return None;
    }
    if text.ends_with('z') {
        return None;
    }
    DateTime::parse_from_rfc3339(text).ok()
}

/// The UTC instant `t` as the store would hold it when lpaflow sends it.
pub fn from_utc(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.fixed_offset()
}

/// `time.Time` (not a pointer): `None` is Go's zero time and is written as such.
pub mod required {
    use super::*;

    /// Writes the zero time for `None`.
    pub fn serialize<S: Serializer>(
        t: &Option<DateTime<FixedOffset>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format(t)),
            None => s.serialize_str(ZERO_TIME),
        }
    }

    /// Reads an instant; `null` and the zero time read as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => {
                let t = parse(&text)
                    .ok_or_else(|| D::Error::custom(format!("`{text}` is not an RFC 3339 time")))?;
                Ok((!is_zero(&t)).then_some(t))
            }
        }
    }
}

/// `*time.Time` with `omitempty`: absent when `None`; a zero instant given explicitly is kept.
pub mod optional {
    use super::*;

    /// Writes the instant (skip `None` with `skip_serializing_if = "Option::is_none"`).
    pub fn serialize<S: Serializer>(
        t: &Option<DateTime<FixedOffset>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format(t)),
            None => s.serialize_none(),
        }
    }

    /// Reads an instant; `null` reads as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => parse(&text)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("`{text}` is not an RFC 3339 time"))),
        }
    }
}

/// A date (`internal/shared/date.go`): `YYYY-MM-DD`, or not given (written `""`), or malformed (anything
/// else the store was sent: kept only so that validation can report it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Date {
    date: Option<NaiveDate>,
    malformed: bool,
}

impl Date {
    /// A valid date.
    pub fn new(date: NaiveDate) -> Self {
        Self {
            date: Some(date),
            malformed: false,
        }
    }

    /// The date, if given and valid.
    pub fn get(&self) -> Option<NaiveDate> {
        self.date
    }

    /// Not given (Go's `IsZero`).
    pub fn is_zero(&self) -> bool {
        self.date.is_none()
    }

    /// Sent, but not a `YYYY-MM-DD` string.
    pub fn is_malformed(&self) -> bool {
        self.malformed
    }

    /// Reads a date from text as Go's `UnmarshalText` does: empty is zero, otherwise `YYYY-MM-DD` or
    /// malformed.
    pub fn from_text(text: &str) -> Self {
        if text.is_empty() {
            return Self::default();
        }
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) if text.len() == 10 && d.year() >= 0 => Self::new(d),
            _ => Self {
                date: None,
                malformed: true,
            },
        }
    }

    /// The text Go writes: `YYYY-MM-DD`, or empty.
    pub fn text(&self) -> String {
        self.date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Date {
    /// Any JSON value: a string is read as text; anything else (`null` included, which Go hands to
    /// `UnmarshalJSON`) is malformed.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(text) => Self::from_text(&text),
            _ => Self {
                date: None,
                malformed: true,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_go_writes_them() {
        let t = |s: &str| parse(s).expect("valid time");
        assert_eq!(format(&t("2024-01-13T22:00:00Z")), "2024-01-13T22:00:00Z");
        assert_eq!(
            format(&t("2024-01-13T22:00:00.500Z")),
            "2024-01-13T22:00:00.5Z"
        );
        assert_eq!(
            format(&t("2024-01-13T22:00:00.123456789+01:00")),
            "2024-01-13T22:00:00.123456789+01:00"
        );
        assert_eq!(
            format(&t("2024-01-13T22:00:00+00:00")),
            "2024-01-13T22:00:00Z"
        );
        assert!(is_zero(&t(ZERO_TIME)));
        assert_eq!(format(&t(ZERO_TIME)), ZERO_TIME);
        assert!(!is_zero(&t("2024-01-13T22:00:00Z")));
    }

    #[test]
    fn only_rfc3339_with_an_upper_case_t_parses() {
        assert!(parse("2024-01-13T22:00:00Z").is_some());
        assert!(parse("2024-01-13 22:00:00Z").is_none());
        assert!(parse("2024-01-13t22:00:00Z").is_none());
        assert!(parse("2024-01-13T22:00:00z").is_none());
        assert!(parse("2024-01-13").is_none());
    }

    #[test]
    fn dates_keep_malformed_input_apart_from_missing_input() {
        let read = |v: Value| serde_json::from_value::<Date>(v).expect("any JSON reads");
        assert_eq!(
            read(Value::from("1970-01-24")).text(),
            "1970-01-24".to_owned()
        );
        assert!(read(Value::from("")).is_zero());
        assert!(!read(Value::from("")).is_malformed());
        assert!(read(Value::from("24/01/1970")).is_malformed());
        assert!(read(Value::Null).is_malformed());
        assert!(read(Value::from(5)).is_malformed());
        assert_eq!(
            serde_json::to_value(Date::default()).expect("json"),
            Value::from("")
        );
    }
}
