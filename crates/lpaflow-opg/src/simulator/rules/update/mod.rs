//! `POST /lpas/{uid}/updates`: the type dispatch (`lambda/update/validate.go`) and each type's parser and
//! `Apply` (`lambda/update/<type>.go`), one file per type or family of types.
//!
//! As in Go, a type's parser reads the changes into a value it starts either from zero or from the stored
//! LPA (which decides what `old` must be), and `Apply` then checks the stored LPA and writes the value.

mod attorney_decisions;
mod attorney_sign;
mod certificate_provider_sign;
mod change_attorneys;
mod confirm_identity;
mod correction;
mod correction_parts;
mod opt_out;
mod paper_access_online;
mod post_registration_correction;
mod sever_restrictions;
mod status;
mod trust_corporation_sign;

#[cfg(test)]
mod test_support;

use chrono::{DateTime, FixedOffset, Utc};
use lpaflow_lpa::lpa_store::{FieldError, Lpa, Note, go_time};

use super::{GoPanic, Refusal};
use crate::simulator::requests::UpdateRequest;

/// A parsed update, ready to check the stored LPA and change it (Go's `Applyable`).
pub trait Applyable: Send {
    /// `Apply`: the errors when the stored LPA refuses it (the LPA is then not stored).
    fn apply(&self, lpa: &mut Lpa, now: DateTime<Utc>) -> Vec<FieldError>;

    /// Where Go's `Apply` would panic before deciding anything (a negative index the parser let through).
    fn panics_on_apply(&self) -> Option<GoPanic> {
        None
    }
}

/// A parser's result: the parsed update, or its errors, or a Go panic.
type Parsed = Result<Box<dyn Applyable>, Refusal>;

fn parsed<T: Applyable + 'static>(value: T, errors: Result<Vec<FieldError>, GoPanic>) -> Parsed {
    let errors = errors?;
    if errors.is_empty() {
        Ok(Box::new(value))
    } else {
        Err(Refusal::Invalid(errors))
    }
}

/// `validateUpdate`: the type's parser; an unknown type is `/type` "invalid value". `author` is the JWT's
/// subject (the opt-outs read the actor from it).
pub fn validate_update(update: &UpdateRequest, author: &str, lpa: &Lpa) -> Parsed {
    let changes = update.changes.as_slice();
    match update.kind.as_str() {
        "ATTORNEY_SIGN" => attorney_sign::parse(changes, lpa),
        "CERTIFICATE_PROVIDER_OPT_OUT" => opt_out::parse_certificate_provider(changes),
        "CERTIFICATE_PROVIDER_SIGN" => certificate_provider_sign::parse(changes, lpa),
        "PERFECT" | "STATUTORY_WAITING_PERIOD" => status::parse_statutory_waiting_period(changes),
        "REGISTER" => status::parse_register(changes),
        "OPG_STATUS_CHANGE" => status::parse_opg_change_status(changes, lpa),
        "TRUST_CORPORATION_SIGN" => trust_corporation_sign::parse(changes, lpa),
        "DONOR_CONFIRM_IDENTITY" => confirm_identity::parse_donor(changes, lpa),
        "CERTIFICATE_PROVIDER_CONFIRM_IDENTITY" => {
            confirm_identity::parse_certificate_provider(changes, lpa)
        }
        "DONOR_WITHDRAW_LPA" => status::parse_donor_withdraw(changes),
        "ATTORNEY_OPT_OUT" => opt_out::parse_attorney(changes, author),
        "TRUST_CORPORATION_OPT_OUT" => opt_out::parse_trust_corporation(changes, author),
        "CORRECTION" => correction::parse(changes, lpa),
        "CHANGE_ATTORNEYS" => change_attorneys::parse(changes, lpa),
        "ATTORNEY_DECISIONS" => attorney_decisions::parse(changes, lpa),
        "SEVER_RESTRICTIONS_AND_CONDITIONS" => sever_restrictions::parse(changes, lpa),
        "PAPER_CERTIFICATE_PROVIDER_ACCESS_ONLINE" => {
            paper_access_online::parse_certificate_provider(changes)
        }
        "PAPER_ATTORNEY_ACCESS_ONLINE" => paper_access_online::parse_attorney(changes, lpa),
        "POST_REGISTRATION_CORRECTION" => post_registration_correction::parse(changes, lpa),
        _ => Err(Refusal::Invalid(super::refuse("/type", "invalid value"))),
    }
}

/// `FindAttorneyIndex` / `FindTrustCorporationIndex` (`internal/shared/lpa.go`): a key that `strconv.Atoi`
/// reads and that is below the length is an index, even a negative one (the handler then panics on it);
/// otherwise the position of the actor with that uid.
pub(crate) fn find_index<'a>(
    key: &str,
    uids: impl ExactSizeIterator<Item = &'a str>,
) -> Option<i64> {
    let len = i64::try_from(uids.len()).unwrap_or(i64::MAX);
    let mut uids = uids;
    match key.parse::<i64>() {
        Ok(i) if i < len => Some(i),
        _ => uids
            .position(|u| u == key)
            .and_then(|i| i64::try_from(i).ok()),
    }
}

/// Go's slice indexing: a negative index panics.
pub(crate) fn slice_index(i: i64) -> Result<usize, GoPanic> {
    usize::try_from(i).map_err(|_| GoPanic("index out of range"))
}

pub(crate) fn attorney_index(lpa: &Lpa, key: &str) -> Option<i64> {
    find_index(key, lpa.fields.attorneys.iter().map(|a| a.uid.as_str()))
}

pub(crate) fn trust_corporation_index(lpa: &Lpa, key: &str) -> Option<i64> {
    find_index(
        key,
        lpa.fields.trust_corporations.iter().map(|t| t.uid.as_str()),
    )
}

/// A `*time.Time` pointing at a `time.Time` value (Go's `&value`): never nil, possibly the zero time.
pub(crate) fn pointer_to(t: Option<DateTime<FixedOffset>>) -> Option<DateTime<FixedOffset>> {
    Some(t.unwrap_or_else(go_zero_time))
}

fn go_zero_time() -> DateTime<FixedOffset> {
    go_time::parse(go_time::ZERO_TIME).unwrap_or_default()
}

/// A `time.Time` read from a `*time.Time` (`if p != nil { v = *p }`), `None` being the zero time.
pub(crate) fn value_of(t: &Option<DateTime<FixedOffset>>) -> Option<DateTime<FixedOffset>> {
    t.filter(|t| !go_time::is_zero(t))
}

/// `shared.Note` with `Datetime: time.Now().Format(time.RFC3339)` (the Lambda's clock is UTC).
pub(crate) fn note(kind: &str, now: DateTime<Utc>, values: &[(&str, String)]) -> Note {
    Note {
        kind: kind.to_owned(),
        datetime: now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        values: values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    }
}

/// `expected empty` for the types that take no changes.
pub(crate) fn expect_no_changes(
    changes: &[crate::simulator::requests::SentChange],
) -> Result<(), Refusal> {
    if changes.is_empty() {
        Ok(())
    } else {
        Err(Refusal::Invalid(super::refuse(
            "/changes",
            "expected empty",
        )))
    }
}

#[cfg(test)]
mod tests {
    //! lambda/update/validate_test.go, internal/shared/lpa_test.go
    use super::test_support::*;
    use super::*;

    #[test]
    fn an_unknown_type_is_an_invalid_type() {
        let refusal = validate_update(&update("SOMETHING", vec![]), AUTHOR, &Lpa::default());
        assert_eq!(errors_of(refusal), vec![e("/type", "invalid value")]);
    }

    #[test]
    fn actors_are_found_by_index_in_range_or_by_uid() {
        // TestFindAttorneyIndex, TestFindTrustCorporationIndex
        let uids = ["a", "b", "7"];
        let find = |k: &str| find_index(k, uids.iter().copied());
        assert_eq!(find("0"), Some(0));
        assert_eq!(find("+1"), Some(1));
        assert_eq!(find("b"), Some(1));
        assert_eq!(find("3"), None);
        assert_eq!(find("7"), Some(2));
        assert_eq!(
            find("-1"),
            Some(-1),
            "Go returns a negative index and then panics on it"
        );
        assert!(slice_index(-1).is_err());
    }
}
