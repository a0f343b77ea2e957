//! Helpers for the update types' tests (ports of `lambda/update/*_test.go`).

use chrono::{DateTime, FixedOffset, Utc};
use lpaflow_lpa::lpa_store::{FieldError, Lpa, go_time};
use serde_json::Value;

use super::{Applyable, Parsed, validate_update};
use crate::simulator::requests::{SentChange, UpdateRequest};
use crate::simulator::rules::Refusal;

pub const AUTHOR: &str = "urn:opg:poas:sirius:users:34";

pub fn ch(key: &str, old: Value, new: Value) -> SentChange {
    SentChange {
        key: key.to_owned(),
        old: Some(old),
        new: Some(new),
    }
}

pub fn update(kind: &str, changes: Vec<SentChange>) -> UpdateRequest {
    UpdateRequest {
        kind: kind.to_owned(),
        changes,
    }
}

pub fn e(source: &str, detail: &str) -> FieldError {
    FieldError::new(source, detail)
}

pub fn t(text: &str) -> DateTime<FixedOffset> {
    go_time::parse(text).expect("an RFC 3339 time")
}

pub fn now() -> DateTime<Utc> {
    t("2024-05-06T07:08:09Z").with_timezone(&Utc)
}

/// The errors of a refused parse (an accepted one has none).
pub fn errors_of(parsed: Parsed) -> Vec<FieldError> {
    match parsed {
        Ok(_) => Vec::new(),
        Err(Refusal::Invalid(errors)) => errors,
        Err(other) => panic!("expected field errors, got {other:?}"),
    }
}

/// Parses `kind` with `changes` against `lpa`.
pub fn parse(kind: &str, changes: Vec<SentChange>, lpa: &Lpa) -> Parsed {
    validate_update(&update(kind, changes), AUTHOR, lpa)
}

/// Parses and applies; the LPA after, or the parse or apply errors.
pub fn run(kind: &str, changes: Vec<SentChange>, lpa: &Lpa) -> Result<Lpa, Vec<FieldError>> {
    let parsed: Box<dyn Applyable> = match parse(kind, changes, lpa) {
        Ok(p) => p,
        Err(Refusal::Invalid(errors)) => return Err(errors),
        Err(other) => panic!("unexpected {other:?}"),
    };
    let mut after = lpa.clone();
    let errors = parsed.apply(&mut after, now());
    if errors.is_empty() {
        Ok(after)
    } else {
        Err(errors)
    }
}

/// Whether the Go code would panic on this update.
pub fn panics(kind: &str, changes: Vec<SentChange>, lpa: &Lpa) -> bool {
    matches!(parse(kind, changes, lpa), Err(Refusal::Panic(_)))
}
