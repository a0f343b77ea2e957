//! What the two write faults store instead of the write (`acknowledgeWithoutApplyingRate` stores nothing):
//! `applyDifferentlyRate` keeps a visible difference for lpaflow's read-back comparison to find.

use lpaflow_lpa::lpa_store::Lpa;
use serde_json::Value;

use super::requests::UpdateRequest;

/// A create stored with the last attorney's `firstNames` altered (the donor's when there is no attorney).
pub fn altered_create(mut lpa: Lpa) -> Lpa {
    let name = match lpa.fields.attorneys.last_mut() {
        Some(attorney) => &mut attorney.first_names,
        None => &mut lpa.fields.donor.first_names,
    };
    name.push_str(" (altered by the OPG simulator)");
    lpa
}

/// An update stored without its last change: the value at the last change's key (actors by index or uid)
/// is put back as it was. An update without changes is stored as the LPA was before it.
pub fn without_last_change(before: &Lpa, after: &Lpa, update: &UpdateRequest) -> Lpa {
    let Some(last) = update.changes.last() else {
        return before.clone();
    };
    let (Ok(before_json), Ok(mut after_json)) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return before.clone();
    };
    let segments: Vec<&str> = last.key.split('/').skip(1).collect();
    let old = resolve(&before_json, &segments).cloned();
    if let Some((leaf, parents)) = segments.split_last()
        && let Some(Value::Object(parent)) = resolve_mut(&mut after_json, parents)
    {
        match old {
            Some(v) => {
                parent.insert((*leaf).to_owned(), v);
            }
            None => {
                parent.remove(*leaf);
            }
        }
    }
    serde_json::from_value(after_json).unwrap_or_else(|_| before.clone())
}

fn index_of(items: &[Value], key: &str) -> Option<usize> {
    key.parse::<usize>()
        .ok()
        .filter(|i| *i < items.len())
        .or_else(|| {
            items
                .iter()
                .position(|v| v.get("uid").and_then(Value::as_str) == Some(key))
        })
}

fn resolve<'a>(doc: &'a Value, segments: &[&str]) -> Option<&'a Value> {
    segments.iter().try_fold(doc, |at, s| match at {
        Value::Object(map) => map.get(*s),
        Value::Array(items) => index_of(items, s).and_then(|i| items.get(i)),
        _ => None,
    })
}

fn resolve_mut<'a>(doc: &'a mut Value, segments: &[&str]) -> Option<&'a mut Value> {
    segments.iter().try_fold(doc, |at, s| match at {
        Value::Object(map) => map.get_mut(*s),
        Value::Array(items) => index_of(items, s).and_then(move |i| items.get_mut(i)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::requests::SentChange;
    use lpaflow_lpa::lpa_store::{Attorney, LpaStatus};
    use serde_json::json;

    #[test]
    fn the_last_change_is_put_back() {
        let mut before = Lpa::default();
        before.fields.attorneys = vec![Attorney {
            uid: "a-1".into(),
            ..Attorney::default()
        }];
        let mut after = before.clone();
        after.fields.attorneys[0].mobile = "0700".into();
        after.fields.attorneys[0].email = "a@example.com".into();
        let change = |key: &str| SentChange {
            key: key.into(),
            old: None,
            new: Some(json!("x")),
        };
        let update = UpdateRequest {
            kind: "ATTORNEY_SIGN".into(),
            changes: vec![
                change("/attorneys/0/mobile"),
                change("/attorneys/a-1/email"),
            ],
        };
        let stored = without_last_change(&before, &after, &update);
        assert_eq!(stored.fields.attorneys[0].mobile, "0700");
        assert_eq!(stored.fields.attorneys[0].email, "");
        after.status = LpaStatus::Registered;
        let register = UpdateRequest {
            kind: "REGISTER".into(),
            changes: vec![],
        };
        assert_eq!(without_last_change(&before, &after, &register), before);
        assert!(
            altered_create(after).fields.attorneys[0]
                .first_names
                .ends_with("(altered by the OPG simulator)")
        );
    }
}
