//! How the store reads an update's changes (`lambda/update/parse/changes.go`): a parser that hands each
//! change to the field it names, checks its `old` against the value the handler starts from, decodes its
//! `new` into that value, and reports every change no field took.
//!
//! Go's quirks are kept because clients see them: errors come in the order the fields are asked for, not
//! the order of the changes; `null` as `new` leaves the starting value in place (a value field ignores a
//! JSON null); an absent `old` is "error marshalling old value" and is then compared as `null`; `old` of
//! the wrong JSON type makes Go's type assertion panic ([`GoPanic`], answered 502 as API Gateway does).

use chrono::NaiveDate;
use lpaflow_lpa::lpa_store::{
    AttorneyStatus, CanUse, Channel, Date, FieldError, HowMakeDecisions, HowStepIn,
    IdentityCheckType, Lang, LifeSustainingTreatment, LpaStatus, go_time,
};
use serde_json::Value;

use super::GoPanic;
use super::validate::{Check, GoEnum, GoTime, time_is_zero};
use crate::simulator::requests::SentChange;

/// `json.Unmarshal` failed: the change's `new` is not of the field's JSON type ("unexpected type").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnexpectedType;

/// A Go value a change can be decoded into, with `parse/changes.go`'s `oldEqualsExisting` for its type.
pub trait GoField {
    /// `json.Unmarshal(new, &self)`: `null` keeps the value; a JSON value of another type is an error.
    fn unmarshal(&mut self, new: &Value) -> Result<(), UnexpectedType>;
    /// Whether `old` (decoded into `any`) matches the value; `Err` where Go's type assertion panics.
    fn old_matches(&self, old: &Value) -> Result<bool, GoPanic>;
}

fn assert_string(old: &Value) -> Result<&str, GoPanic> {
    old.as_str()
        .ok_or(GoPanic("interface conversion: old value is not a string"))
}

impl GoField for String {
    fn unmarshal(&mut self, new: &Value) -> Result<(), UnexpectedType> {
        match new {
            Value::Null => Ok(()),
            Value::String(s) => {
                s.clone_into(self);
                Ok(())
            }
            _ => Err(UnexpectedType),
        }
    }
    fn old_matches(&self, old: &Value) -> Result<bool, GoPanic> {
        match old {
            Value::Null => Ok(self.is_empty()),
            _ => Ok(assert_string(old)? == self),
        }
    }
}

impl GoField for bool {
    fn unmarshal(&mut self, new: &Value) -> Result<(), UnexpectedType> {
        match new {
            Value::Null => Ok(()),
            Value::Bool(b) => {
                *self = *b;
                Ok(())
            }
            _ => Err(UnexpectedType),
        }
    }
    fn old_matches(&self, old: &Value) -> Result<bool, GoPanic> {
        match old {
            Value::Null => Ok(!*self),
            Value::Bool(b) => Ok(b == self),
            _ => Err(GoPanic("interface conversion: old value is not a bool")),
        }
    }
}

macro_rules! enum_field {
    ($($t:ty),*) => {$(
        impl GoField for $t {
            fn unmarshal(&mut self, new: &Value) -> Result<(), UnexpectedType> {
                match new {
                    Value::Null => Ok(()),
                    Value::String(s) => {
                        *self = <$t>::from_wire(s);
                        Ok(())
                    }
                    _ => Err(UnexpectedType),
                }
            }
            fn old_matches(&self, old: &Value) -> Result<bool, GoPanic> {
                match old {
                    Value::Null => Ok(self.wire().is_empty()),
                    _ => Ok(assert_string(old)? == self.wire()),
                }
            }
        }
    )*};
}

enum_field!(
    Lang,
    Channel,
    IdentityCheckType,
    LpaStatus,
    AttorneyStatus,
    HowMakeDecisions,
    HowStepIn,
    CanUse,
    LifeSustainingTreatment
);

impl GoField for GoTime {
    fn unmarshal(&mut self, new: &Value) -> Result<(), UnexpectedType> {
        match new {
            Value::Null => Ok(()),
            Value::String(s) => {
                let t = go_time::parse(s).ok_or(UnexpectedType)?;
                *self = (!go_time::is_zero(&t)).then_some(t);
                Ok(())
            }
            _ => Err(UnexpectedType),
        }
    }
    fn old_matches(&self, old: &Value) -> Result<bool, GoPanic> {
        match old {
            Value::Null => Ok(time_is_zero(self)),
            Value::String(s) if s.is_empty() => Ok(time_is_zero(self)),
            _ => {
                let text = assert_string(old)?;
                Ok(match go_time::parse(text) {
                    None => false,
                    Some(t) if go_time::is_zero(&t) => time_is_zero(self),
                    Some(t) => self.is_some_and(|mine| mine == t),
                })
            }
        }
    }
}

/// `shared.Date` as the parser handles it: the date and the malformed mark are separate (Go's struct), so
/// that `null` can mark a date malformed while keeping it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GoDate {
    date: Option<NaiveDate>,
    malformed: bool,
}

impl GoDate {
    pub fn from_wire(d: &Date) -> Self {
        Self {
            date: d.get(),
            malformed: d.is_malformed(),
        }
    }

    /// The wire date (a malformed date is never applied: every parser validates dates with `Date()`).
    pub fn to_wire(self) -> Date {
        match (self.malformed, self.date) {
            (false, Some(d)) => Date::new(d),
            (false, None) => Date::default(),
            (true, _) => Date::from_text("malformed"),
        }
    }

    pub fn is_zero(self) -> bool {
        self.date.is_none()
    }

    /// `Date.DateOnlyText`.
    pub fn text(self) -> String {
        self.date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }

    /// `UnmarshalText`: a parse error clears the date but does not mark it malformed.
    fn from_text(text: &str) -> Self {
        Self {
            date: Date::from_text(text).get(),
            malformed: false,
        }
    }
}

impl GoField for GoDate {
    /// `Date.UnmarshalJSON` never fails.
    fn unmarshal(&mut self, new: &Value) -> Result<(), UnexpectedType> {
        match new {
            Value::String(s) if s.is_empty() => self.malformed = false,
            Value::String(s) => {
                let parsed = Date::from_text(s);
                self.date = parsed.get();
                if parsed.is_malformed() {
                    self.malformed = true;
                }
            }
            _ => self.malformed = true,
        }
        Ok(())
    }
    fn old_matches(&self, old: &Value) -> Result<bool, GoPanic> {
        match old {
            Value::Null => Ok(self.is_zero()),
            _ => Ok(GoDate::from_text(assert_string(old)?) == *self),
        }
    }
}

/// `Date()` for the parser's date.
pub fn valid_date(d: &GoDate) -> Check {
    super::validate::date(&d.to_wire())
}

/// The options of one `Field` call (`parse.Optional`, `parse.Validate`, `parse.Old`).
pub struct Opts<'a, T> {
    optional: bool,
    validate: Option<fn(&T) -> Check>,
    old: Option<&'a T>,
}

impl<'a, T> Opts<'a, T> {
    /// The key must be among the changes.
    pub fn required() -> Self {
        Self {
            optional: false,
            validate: None,
            old: None,
        }
    }

    /// `parse.Optional()`.
    pub fn optional() -> Self {
        Self {
            optional: true,
            ..Self::required()
        }
    }

    /// `parse.Validate(v)`: checked on the decoded value.
    pub fn validate(mut self, check: fn(&T) -> Check) -> Self {
        self.validate = Some(check);
        self
    }

    /// `parse.Old(v)`: `old` is compared with `v` instead of the starting value.
    pub fn old(mut self, v: &'a T) -> Self {
        self.old = Some(v);
        self
    }
}

#[derive(Debug, Clone)]
struct Positioned {
    key: String,
    old: Option<Value>,
    new: Option<Value>,
    pos: usize,
}

impl Positioned {
    fn source(&self, after: &str) -> String {
        format!("/changes/{}{after}", self.pos)
    }

    fn rekeyed(&self, key: String) -> Self {
        Self {
            key,
            ..self.clone()
        }
    }
}

/// `parse.Parser`.
pub struct Parser {
    root: String,
    changes: Vec<Positioned>,
    errors: Vec<FieldError>,
    panic: Option<GoPanic>,
}

impl Parser {
    /// `parse.Changes`.
    pub fn new(changes: &[SentChange]) -> Self {
        Self::nested(
            String::new(),
            changes
                .iter()
                .enumerate()
                .map(|(pos, c)| Positioned {
                    key: c.key.clone(),
                    old: c.old.clone(),
                    new: c.new.clone(),
                    pos,
                })
                .collect(),
        )
    }

    fn nested(root: String, changes: Vec<Positioned>) -> Self {
        Self {
            root,
            changes,
            errors: Vec::new(),
            panic: None,
        }
    }

    fn error(&mut self, source: String, detail: impl Into<String>) {
        self.errors.push(FieldError::new(source, detail));
    }

    /// Takes a nested parser's errors (and its panic).
    fn absorb(&mut self, sub: Parser) {
        self.errors.extend(sub.errors);
        self.panic = self.panic.take().or(sub.panic);
    }

    /// Records a panic the handler would hit (the request is then answered 502).
    pub fn panic(&mut self, reason: GoPanic) {
        self.panic.get_or_insert(reason);
    }

    /// `Field`: the first change with exactly this key is checked and decoded into `existing`.
    pub fn field<T: GoField>(
        &mut self,
        key: &str,
        existing: &mut T,
        opts: Opts<'_, T>,
    ) -> &mut Self {
        if self.panic.is_some() {
            return self;
        }
        let Some(i) = self.changes.iter().position(|c| c.key == key) else {
            if !opts.optional {
                let missing = format!("missing {}{key}", self.root);
                self.error("/changes".to_owned(), missing);
            }
            return self;
        };
        let change = self.changes.remove(i);
        let old = match &change.old {
            Some(v) => v.clone(),
            None => {
                self.error(change.source("/old"), "error marshalling old value");
                Value::Null
            }
        };
        let matched = match opts.old {
            Some(compare) => compare.old_matches(&old),
            None => existing.old_matches(&old),
        };
        match matched {
            Err(p) => self.panic(p),
            Ok(false) => self.error(change.source("/old"), "does not match existing value"),
            Ok(true) => {
                // json.Unmarshal of an absent (empty) `new` fails like a value of the wrong type.
                let decoded = change
                    .new
                    .as_ref()
                    .map_or(Err(UnexpectedType), |n| existing.unmarshal(n));
                match decoded {
                    Err(UnexpectedType) => self.error(change.source("/new"), "unexpected type"),
                    Ok(()) => {
                        if let Some(msg) = opts.validate.and_then(|check| check(existing)) {
                            self.error(change.source("/new"), msg);
                        }
                    }
                }
            }
        }
        self
    }

    /// `Prefix`: the changes under `prefix/` go to `f` with the prefix cut off.
    pub fn prefix(
        &mut self,
        prefix: &str,
        optional: bool,
        f: impl FnOnce(&mut Parser),
    ) -> &mut Self {
        if self.panic.is_some() {
            return self;
        }
        let with_slash = format!("{prefix}/");
        let (matching, remaining): (Vec<Positioned>, Vec<Positioned>) =
            std::mem::take(&mut self.changes)
                .into_iter()
                .partition(|c| c.key.starts_with(&with_slash));
        self.changes = remaining;
        if matching.is_empty() {
            if !optional {
                let missing = format!("missing {}{prefix}/...", self.root);
                self.error("/changes".to_owned(), missing);
            }
            return self;
        }
        let matching = matching
            .iter()
            .map(|c| c.rekeyed(c.key[prefix.len()..].to_owned()))
            .collect();
        let mut sub = Parser::nested(format!("{}{prefix}", self.root), matching);
        f(&mut sub);
        self.absorb(sub);
        self
    }

    /// `Each`: changes keyed `/<index>/...` go to `f` by index, in index order; `required` indexes get a
    /// call even without changes. Go's `strconv.Atoi` reads the index, so `+1` and `007` are indexes and a
    /// negative one reaches `f`.
    pub fn each(&mut self, required: &[i64], mut f: impl FnMut(i64, &mut Parser)) -> &mut Self {
        if self.panic.is_some() {
            return self;
        }
        let mut by_index: std::collections::BTreeMap<i64, Vec<Positioned>> =
            required.iter().map(|&i| (i, Vec::new())).collect();
        for change in std::mem::take(&mut self.changes) {
            let mut parts = change.key.splitn(3, '/');
            let (first, index, rest) = (parts.next(), parts.next(), parts.next());
            let parsed = match (first, index, rest) {
                (Some(""), Some(index), Some(rest)) => index.parse::<i64>().ok().map(|i| (i, rest)),
                _ => None,
            };
            match parsed {
                None => self.error(change.source("/key"), "require index"),
                Some((i, rest)) => {
                    let rekeyed = change.rekeyed(format!("/{rest}"));
                    by_index.entry(i).or_default().push(rekeyed);
                }
            }
        }
        for (i, changes) in by_index {
            let mut sub = Parser::nested(format!("{}/{i}", self.root), changes);
            f(i, &mut sub);
            self.absorb(sub);
            if self.panic.is_some() {
                break;
            }
        }
        self
    }

    /// `EachKey`: changes keyed `/<index or uid>/...` go to `f` by key, in the order keys first appear.
    pub fn each_key(&mut self, mut f: impl FnMut(&str, &mut Parser)) -> &mut Self {
        if self.panic.is_some() {
            return self;
        }
        let mut order: Vec<String> = Vec::new();
        let mut by_key: std::collections::HashMap<String, Vec<Positioned>> = Default::default();
        for change in std::mem::take(&mut self.changes) {
            let mut parts = change.key.splitn(3, '/');
            let (first, actor, rest) = (parts.next(), parts.next(), parts.next());
            match (first, actor, rest) {
                (Some(""), Some(actor), Some(rest)) if !actor.is_empty() => {
                    if !order.iter().any(|k| k == actor) {
                        order.push(actor.to_owned());
                    }
                    let rekeyed = change.rekeyed(format!("/{rest}"));
                    by_key.entry(actor.to_owned()).or_default().push(rekeyed);
                }
                _ => self.error(change.source("/key"), "require index or actor UID"),
            }
        }
        for key in order {
            let changes = by_key.remove(&key).unwrap_or_default();
            let mut sub = Parser::nested(format!("{}/{key}", self.root), changes);
            f(&key, &mut sub);
            self.absorb(sub);
            if self.panic.is_some() {
                break;
            }
        }
        self
    }

    /// `Consumed`: every change no field took is "unexpected change provided".
    pub fn consumed(&mut self) -> &mut Self {
        for change in std::mem::take(&mut self.changes) {
            self.error(change.source(""), "unexpected change provided");
        }
        self
    }

    /// `OutOfRange`: every remaining change is "index out of range".
    pub fn out_of_range(&mut self) -> &mut Self {
        for change in std::mem::take(&mut self.changes) {
            self.error(change.source("/key"), "index out of range");
        }
        self
    }

    /// The errors so far, or the panic the handler would have hit.
    pub fn finish(&mut self) -> Result<Vec<FieldError>, GoPanic> {
        match self.panic.take() {
            Some(p) => Err(p),
            None => Ok(std::mem::take(&mut self.errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    //! lambda/update/parse/changes_test.go
    use super::*;
    use serde_json::json;

    fn change(key: &str, old: Value, new: Value) -> SentChange {
        SentChange {
            key: key.to_owned(),
            old: Some(old),
            new: Some(new),
        }
    }

    fn errors(p: &mut Parser) -> Vec<(String, String)> {
        p.finish()
            .expect("no panic")
            .into_iter()
            .map(|e| (e.source, e.detail))
            .collect()
    }

    fn e(source: &str, detail: &str) -> (String, String) {
        (source.to_owned(), detail.to_owned())
    }

    #[test]
    fn field_decodes_and_reports_missing_and_wrong_types() {
        // TestField, TestFieldWhenMissing, TestFieldWhenWrongType
        let mut v = String::new();
        let mut p = Parser::new(&[change("/thing", Value::Null, json!("val"))]);
        p.field("/thing", &mut v, Opts::required());
        assert_eq!((v.as_str(), errors(&mut p)), ("val", vec![]));
        let mut p = Parser::new(&[]);
        p.field("/thing", &mut v, Opts::required());
        assert_eq!(errors(&mut p), vec![e("/changes", "missing /thing")]);
        let mut b = false;
        let mut p = Parser::new(&[change("/thing", Value::Null, json!("val"))]);
        p.field("/thing", &mut b, Opts::required());
        assert_eq!(errors(&mut p), vec![e("/changes/0/new", "unexpected type")]);
    }

    #[test]
    fn old_is_compared_with_the_old_option_or_the_starting_value() {
        // TestFieldOld, TestFieldOldWhenNotMatch, TestFieldWhenOldDoesNotMatchExisting
        let old = "hey".to_owned();
        let mut v = "not-hey".to_owned();
        let mut p = Parser::new(&[change("/thing", json!("hey"), json!("val"))]);
        p.field("/thing", &mut v, Opts::required().old(&old));
        assert_eq!((v.as_str(), errors(&mut p)), ("val", vec![]));
        let mut v = "not-hey".to_owned();
        let mut p = Parser::new(&[change("/thing", json!("not-hey"), json!("val"))]);
        p.field("/thing", &mut v, Opts::required().old(&old));
        assert_eq!(
            errors(&mut p),
            vec![e("/changes/0/old", "does not match existing value")]
        );
        for old in [json!("not same as existing"), Value::Null] {
            let mut v = "existing".to_owned();
            let mut p = Parser::new(&[change("/thing", old, json!("val"))]);
            p.field("/thing", &mut v, Opts::required());
            assert_eq!(
                errors(&mut p),
                vec![e("/changes/0/old", "does not match existing value")]
            );
        }
    }

    #[test]
    fn optional_and_validated_fields() {
        // TestFieldOptional, TestFieldOptionalWhenMissing, TestFieldValidate, TestFieldValidateWhenInvalid
        let mut v = String::new();
        let mut p = Parser::new(&[]);
        p.field("/thing", &mut v, Opts::optional());
        assert_eq!(errors(&mut p), vec![]);
        let mut p = Parser::new(&[change("/thing", Value::Null, json!(""))]);
        p.field(
            "/thing",
            &mut v,
            Opts::required().validate(super::super::validate::not_empty_text),
        );
        assert_eq!(
            errors(&mut p),
            vec![e("/changes/0/new", "field is required")]
        );
    }

    #[test]
    fn old_times_dates_and_enums() {
        // TestFieldOldTime, TestFieldOldTimeIsEmpty, TestFieldOldLang, TestFieldOldChannel, TestFieldOldDate
        let mut t: GoTime = go_time::parse("2024-03-01T13:14:15+01:00");
        let mut p = Parser::new(&[change(
            "/t",
            json!("2024-03-01T12:14:15Z"),
            json!("2024-03-02T00:00:00Z"),
        )]);
        p.field("/t", &mut t, Opts::required());
        assert_eq!(errors(&mut p), vec![]);
        assert_eq!(t, go_time::parse("2024-03-02T00:00:00Z"));
        let mut zero: GoTime = None;
        let mut p = Parser::new(&[change("/t", json!(""), json!("2024-03-01T13:14:15Z"))]);
        p.field("/t", &mut zero, Opts::required());
        assert_eq!(
            (errors(&mut p), zero),
            (vec![], go_time::parse("2024-03-01T13:14:15Z"))
        );
        let mut lang = Lang::En;
        let mut p = Parser::new(&[change("/l", json!("en"), json!("cy"))]);
        p.field("/l", &mut lang, Opts::required());
        assert_eq!((errors(&mut p), lang), (vec![], Lang::Cy));
        let mut channel = Channel::Paper;
        let mut p = Parser::new(&[change("/c", json!("paper"), json!("online"))]);
        p.field("/c", &mut channel, Opts::required());
        assert_eq!(channel, Channel::Online);
        let mut d = GoDate::from_wire(&Date::from_text("2000-11-10"));
        let mut p = Parser::new(&[change("/d", json!("2000-11-10"), json!("1990-01-02"))]);
        p.field("/d", &mut d, Opts::required());
        assert_eq!(
            (errors(&mut p), d.text()),
            (vec![], "1990-01-02".to_owned())
        );
    }

    #[test]
    fn dates_unmarshal_as_go_does() {
        // internal/shared/date_test.go, TestUnmarshalDate
        for (input, text, malformed) in [
            (json!("1930-10-31"), "1930-10-31", false),
            (json!("1930-11-31"), "", true),
            (json!("31 October 1930"), "", true),
            (json!(1700240133), "", true),
            (json!(""), "", false),
            (json!(11), "", true),
            (json!(" "), "", true),
        ] {
            let mut d = GoDate::default();
            assert_eq!(d.unmarshal(&input), Ok(()), "{input}");
            assert_eq!(
                (d.text().as_str(), d.malformed),
                (text, malformed),
                "{input}"
            );
        }
        // null marks a date malformed but keeps it; "" clears the mark and keeps it too.
        let mut d = GoDate::from_wire(&Date::from_text("1930-10-31"));
        assert_eq!(d.unmarshal(&Value::Null), Ok(()));
        assert_eq!((d.text().as_str(), d.malformed), ("1930-10-31", true));
        assert_eq!(d.unmarshal(&json!("")), Ok(()));
        assert_eq!((d.text().as_str(), d.malformed), ("1930-10-31", false));
    }

    #[test]
    fn an_old_of_the_wrong_json_type_panics_and_an_absent_old_is_reported() {
        let mut v = String::new();
        let mut p = Parser::new(&[change("/thing", json!(5), json!("x"))]);
        p.field("/thing", &mut v, Opts::required());
        assert!(p.finish().is_err());
        let absent = SentChange {
            key: "/thing".into(),
            old: None,
            new: Some(json!("x")),
        };
        let mut p = Parser::new(&[absent]);
        p.field("/thing", &mut v, Opts::required());
        assert_eq!(
            (errors(&mut p), v),
            (
                vec![e("/changes/0/old", "error marshalling old value")],
                "x".to_owned()
            )
        );
    }

    #[test]
    fn consumed_reports_what_no_field_took() {
        // TestConsumed, TestConsumedWhenNot, TestConsumedWhenConsumed
        assert_eq!(errors(Parser::new(&[]).consumed()), vec![]);
        let changes = [change("/thing", Value::Null, json!("val"))];
        assert_eq!(
            errors(Parser::new(&changes).consumed()),
            vec![e("/changes/0", "unexpected change provided")]
        );
        let mut v = String::new();
        assert_eq!(
            errors(
                Parser::new(&changes)
                    .field("/thing", &mut v, Opts::required())
                    .consumed()
            ),
            vec![]
        );
    }

    #[test]
    fn each_groups_by_index() {
        // TestEach, TestEachWhenNonIndexedKey, TestEachWhenRequired, TestEachWhenOutOfRange, TestEachWhenNotConsumed
        let (mut v, mut w) = (String::new(), String::new());
        let changes = [
            change("/0/thing", Value::Null, json!("val")),
            change("/1/other", Value::Null, json!("other")),
        ];
        let mut p = Parser::new(&changes);
        p.each(&[], |i, p| {
            match i {
                0 => p.field("/thing", &mut v, Opts::required()),
                _ => p.field("/other", &mut w, Opts::required()),
            };
            p.consumed();
        });
        assert_eq!(
            (errors(&mut p), v.as_str(), w.as_str()),
            (vec![], "val", "other")
        );

        let changes = [
            change("/thing", Value::Null, json!("val")),
            change("/-/other", Value::Null, json!("other")),
        ];
        let mut p = Parser::new(&changes);
        p.each(&[], |_, _| {});
        assert_eq!(
            errors(&mut p),
            vec![
                e("/changes/0/key", "require index"),
                e("/changes/1/key", "require index")
            ]
        );

        let mut existing = "old".to_owned();
        let mut p = Parser::new(&[change("/0/thing", json!("old"), json!("val"))]);
        p.each(&[1], |_, p| {
            p.field("/thing", &mut existing, Opts::required());
        });
        assert_eq!(errors(&mut p), vec![e("/changes", "missing /1/thing")]);

        let changes: Vec<SentChange> = (0..3)
            .map(|i| change(&format!("/{i}/thing"), Value::Null, json!("val")))
            .collect();
        let mut p = Parser::new(&changes);
        p.each(&[], |i, p| {
            if i > 0 {
                p.out_of_range();
            }
        });
        assert_eq!(
            errors(&mut p),
            vec![
                e("/changes/1/key", "index out of range"),
                e("/changes/2/key", "index out of range")
            ]
        );
        let mut p = Parser::new(&changes);
        let mut v = String::new();
        p.each(&[], |i, p| {
            if i == 0 {
                p.field("/thing", &mut v, Opts::required());
            }
            p.consumed();
        });
        assert_eq!(
            errors(&mut p),
            vec![
                e("/changes/1", "unexpected change provided"),
                e("/changes/2", "unexpected change provided")
            ]
        );
    }

    #[test]
    fn each_key_groups_by_index_or_uid() {
        // TestEachKey, TestEachKeyWhenNonIndexedOrUIDKey, TestEachKeyWhenOutOfRange
        let changes = [
            change("/0/thing", Value::Null, json!("val")),
            change(
                "/9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d/another",
                Value::Null,
                json!("different"),
            ),
        ];
        let mut seen = Vec::new();
        let mut p = Parser::new(&changes);
        p.each_key(|k, p| {
            let mut v = String::new();
            p.field(
                if k == "0" { "/thing" } else { "/another" },
                &mut v,
                Opts::required(),
            );
            seen.push(v);
            p.consumed();
        });
        assert_eq!(
            (errors(&mut p), seen),
            (vec![], vec!["val".to_owned(), "different".to_owned()])
        );
        let changes = [
            change("//thing", Value::Null, json!("some")),
            change("/thing", Value::Null, json!("val")),
            change("other", Value::Null, json!("other")),
        ];
        let mut p = Parser::new(&changes);
        p.each_key(|_, _| {});
        assert_eq!(
            errors(&mut p),
            (0..3)
                .map(|i| e(&format!("/changes/{i}/key"), "require index or actor UID"))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn prefix_cuts_and_roots_its_changes() {
        // TestPrefix, TestPrefixWhenNotConsumed, TestPrefixWhenMissing, TestPrefixOptional, TestOptionalPrefixWhenMissing
        let changes = [
            change("/a/thing", Value::Null, json!("val")),
            change("/a/what", Value::Null, json!("val")),
            change("/root", Value::Null, json!("val")),
        ];
        let mut v = String::new();
        let mut p = Parser::new(&changes);
        p.prefix("/a", false, |p| {
            p.field("/thing", &mut v, Opts::required())
                .field("/missing", &mut String::new(), Opts::required())
                .consumed();
        })
        .consumed();
        assert_eq!(
            errors(&mut p),
            vec![
                e("/changes", "missing /a/missing"),
                e("/changes/1", "unexpected change provided"),
                e("/changes/2", "unexpected change provided")
            ]
        );
        assert_eq!(
            errors(Parser::new(&[]).prefix("/a", false, |_| {}).consumed()),
            vec![e("/changes", "missing /a/...")]
        );
        assert_eq!(
            errors(Parser::new(&[]).prefix("/a", true, |_| {}).consumed()),
            vec![]
        );
    }
}
