//! What the simulator counts as a duplicate write: a write whose effect the stored LPA already shows, the
//! benchmark's measure of a client re-sending what OPG holds (refused or applied alike). The store itself
//! has no such notion; this is the simulator's own reading of the stored LPA:
//! - a second create of the same uid;
//! - an update whose every change's key (actors addressed by index or uid) already holds `new`;
//! - a signature (attorney, certificate provider, trust corporation) by an actor who already signed;
//! - a status update whose target status the LPA already has;
//! - an opt-out of an attorney or trust corporation already removed.

use chrono::DateTime;
use lpaflow_lpa::lpa_store::{AttorneyStatus, Lpa, LpaStatus, author_details, go_time};
use serde_json::Value;

use super::requests::{SentChange, UpdateRequest};

/// Whether the stored LPA already reflects `update` (sent by `author`).
pub fn already_reflected(lpa: &Lpa, update: &UpdateRequest, author: &str) -> bool {
    let changes = update.changes.as_slice();
    let status_is = |s: LpaStatus| lpa.status == s;
    match update.kind.as_str() {
        "STATUTORY_WAITING_PERIOD" | "PERFECT" => status_is(LpaStatus::StatutoryWaitingPeriod),
        "REGISTER" => status_is(LpaStatus::Registered),
        "DONOR_WITHDRAW_LPA" => status_is(LpaStatus::Withdrawn),
        "CERTIFICATE_PROVIDER_OPT_OUT" => status_is(LpaStatus::CannotRegister),
        "ATTORNEY_OPT_OUT" => {
            let uid = author_details(author).uid;
            lpa.fields
                .attorneys
                .iter()
                .any(|a| a.uid == uid && a.status == AttorneyStatus::Removed)
        }
        "TRUST_CORPORATION_OPT_OUT" => {
            let uid = author_details(author).uid;
            lpa.fields
                .trust_corporations
                .iter()
                .any(|t| t.uid == uid && t.status == AttorneyStatus::Removed)
        }
        kind => {
            let signer_signed = match kind {
                "CERTIFICATE_PROVIDER_SIGN" => {
                    go_time::is_set(&lpa.fields.certificate_provider.signed_at)
                }
                "ATTORNEY_SIGN" | "TRUST_CORPORATION_SIGN" => actor_signed(lpa, kind, changes),
                _ => false,
            };
            signer_signed || every_key_holds_new(lpa, changes)
        }
    }
}

/// The addressed attorney or trust corporation already signed.
fn actor_signed(lpa: &Lpa, kind: &str, changes: &[SentChange]) -> bool {
    let doc = serde_json::to_value(lpa).unwrap_or(Value::Null);
    let list = if kind == "ATTORNEY_SIGN" {
        "attorneys"
    } else {
        "trustCorporations"
    };
    changes.iter().any(|c| {
        let mut segments = c.key.split('/').skip(1);
        if segments.next() != Some(list) {
            return false;
        }
        let Some(actor) = segments.next().and_then(|key| element(&doc[list], key)) else {
            return false;
        };
        if kind == "ATTORNEY_SIGN" {
            actor.get("signedAt").is_some_and(is_set_time)
        } else {
            actor
                .get("signatories")
                .and_then(|s| s.get(0))
                .and_then(|s| s.get("signedAt"))
                .is_some_and(is_set_time)
        }
    })
}

fn is_set_time(v: &Value) -> bool {
    v.as_str()
        .and_then(go_time::parse)
        .is_some_and(|t| !go_time::is_zero(&t))
}

/// An array element by index or by `uid`.
fn element<'a>(list: &'a Value, key: &str) -> Option<&'a Value> {
    let items = list.as_array()?;
    key.parse::<usize>()
        .ok()
        .and_then(|i| items.get(i))
        .or_else(|| {
            items
                .iter()
                .find(|item| item.get("uid").and_then(Value::as_str) == Some(key))
        })
}

/// Every change's key holds its `new` (`null`, `""` and absent alike; times compared as instants).
fn every_key_holds_new(lpa: &Lpa, changes: &[SentChange]) -> bool {
    if changes.is_empty() {
        return false;
    }
    let doc = serde_json::to_value(lpa).unwrap_or(Value::Null);
    changes.iter().all(|c| {
        let held = resolve(&doc, &c.key);
        let new = c.new.as_ref().unwrap_or(&Value::Null);
        same_value(held, new)
    })
}

fn resolve<'a>(doc: &'a Value, key: &str) -> Option<&'a Value> {
    let mut at = doc;
    for segment in key.split('/').skip(1) {
        at = match at {
            Value::Object(map) => map.get(segment)?,
            Value::Array(_) => element(at, segment)?,
            _ => return None,
        };
    }
    Some(at)
}

fn same_value(held: Option<&Value>, new: &Value) -> bool {
    let empty = |v: Option<&Value>| {
        matches!(v, None | Some(Value::Null)) || v.and_then(Value::as_str) == Some("")
    };
    if empty(held) && empty(Some(new)) {
        return true;
    }
    match (held.and_then(Value::as_str), new.as_str()) {
        (Some(a), Some(b)) => {
            a == b
                || matches!((DateTime::parse_from_rfc3339(a), DateTime::parse_from_rfc3339(b)), (Ok(x), Ok(y)) if x == y)
        }
        _ => held == Some(new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lpaflow_lpa::lpa_store::Attorney;
    use serde_json::json;

    fn change(key: &str, new: Value) -> SentChange {
        SentChange {
            key: key.into(),
            old: Some(Value::Null),
            new: Some(new),
        }
    }

    fn update(kind: &str, changes: Vec<SentChange>) -> UpdateRequest {
        UpdateRequest {
            kind: kind.into(),
            changes,
        }
    }

    #[test]
    fn an_update_already_shown_is_a_duplicate() {
        let mut lpa = Lpa::default();
        lpa.fields.attorneys = vec![Attorney {
            uid: "a-1".into(),
            signed_at: go_time::parse("2024-01-13T22:00:00Z"),
            ..Attorney::default()
        }];
        let sign = |key: &str| {
            update(
                "ATTORNEY_SIGN",
                vec![change(key, json!("2024-01-14T00:00:00Z"))],
            )
        };
        assert!(already_reflected(&lpa, &sign("/attorneys/0/signedAt"), ""));
        assert!(already_reflected(&lpa, &sign("/attorneys/a-1/mobile"), ""));
        assert!(!already_reflected(&lpa, &sign("/attorneys/1/signedAt"), ""));
        let held = update(
            "CORRECTION",
            vec![change(
                "/attorneys/a-1/signedAt",
                json!("2024-01-13T23:00:00+01:00"),
            )],
        );
        assert!(already_reflected(&lpa, &held, ""));
        let not_held = update(
            "CORRECTION",
            vec![change("/attorneys/0/email", json!("x@example.com"))],
        );
        assert!(!already_reflected(&lpa, &not_held, ""));
        assert!(!already_reflected(&lpa, &update("REGISTER", vec![]), ""));
        lpa.status = LpaStatus::Registered;
        assert!(already_reflected(&lpa, &update("REGISTER", vec![]), ""));
        lpa.fields.attorneys[0].status = AttorneyStatus::Removed;
        assert!(already_reflected(
            &lpa,
            &update("ATTORNEY_OPT_OUT", vec![]),
            "urn:opg:poas:makeregister:users:a-1"
        ));
    }
}
