//! The LPA document as OPG holds it (`docs/opg-api.md`): the application, plus what lpaflow learned since
//! (attorney statuses, identity checks, signatures, the approved fee type). Every OPG step is derived from
//! it: `opg.create` sends the whole document, and each update sends the keys of the document that its
//! transition changed, with their old and new values. Because the document is built from the data alone, a
//! change recorded before submission (an identity check while drafting) reaches OPG with the create.

use crate::data::LpaData;
use lpaflow_core::json::escape_pointer_segment;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// One change of an OPG update: the value at `key` goes from `old` to `new` (`null` = absent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentChange {
    /// JSON pointer into the LPA document.
    pub key: String,
    /// The value OPG should hold now.
    pub old: Value,
    /// The value it will hold.
    pub new: Value,
}

fn time(t: &chrono::DateTime<chrono::Utc>) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// The LPA document for `data`.
pub fn document(data: &LpaData) -> Value {
    let mut doc = data.application.clone();
    let Some(root) = doc.as_object_mut() else {
        return doc;
    };
    if let Some(s) = &data.signatures.donor {
        root.insert("signedAt".into(), time(&s.signed_at));
    }
    if let Some(list) = root.get_mut("attorneys").and_then(Value::as_array_mut) {
        for a in list.iter_mut().filter_map(Value::as_object_mut) {
            let uid = a
                .get("uid")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(r) = data.attorneys.get(&uid) {
                a.insert("status".into(), json!(r.status));
            }
            if let Some(s) = data.signatures.attorneys.get(&uid) {
                a.insert("signedAt".into(), time(&s.signed_at));
            }
        }
    }
    if let Some(donor) = root.get_mut("donor").and_then(Value::as_object_mut)
        && let Some(c) = &data.identity.donor
    {
        donor.insert(
            "identityCheck".into(),
            json!({"type": c.method, "checkedAt": time(&c.checked_at)}),
        );
    }
    if let Some(cp) = root
        .get_mut("certificateProvider")
        .and_then(Value::as_object_mut)
    {
        if let Some(c) = &data.identity.certificate_provider {
            cp.insert(
                "identityCheck".into(),
                json!({"type": c.method, "checkedAt": time(&c.checked_at)}),
            );
        }
        if let Some(s) = &data.signatures.certificate_provider {
            cp.insert("signedAt".into(), time(&s.signed_at));
        }
    }
    if let Some(fee) = root.get_mut("fee").and_then(Value::as_object_mut)
        && let Some(d) = &data.fee.decision
    {
        fee.insert("approvedType".into(), json!(d.approved_type));
    }
    doc
}

/// The changes from `old` to `new`, key by key. Objects are compared key by key (an object that appears
/// or disappears inside another is listed leaf by leaf); an array element that appears or disappears is
/// one change; other values are compared whole.
pub fn changes(old: &Value, new: &Value) -> Vec<DocumentChange> {
    let mut out = Vec::new();
    walk(String::new(), Some(old), Some(new), true, &mut out);
    out
}

fn walk(
    ptr: String,
    old: Option<&Value>,
    new: Option<&Value>,
    descend: bool,
    out: &mut Vec<DocumentChange>,
) {
    let old = old.filter(|v| !v.is_null());
    let new = new.filter(|v| !v.is_null());
    if old == new {
        return;
    }
    match (old, new) {
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                let both = i < a.len() && i < b.len();
                walk(format!("{ptr}/{i}"), a.get(i), b.get(i), both, out);
            }
        }
        (Some(Value::Object(_)) | None, Some(Value::Object(_)) | None) if descend => {
            let empty = Map::new();
            let a = old.and_then(Value::as_object).unwrap_or(&empty);
            let b = new.and_then(Value::as_object).unwrap_or(&empty);
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(
                    format!("{ptr}/{}", escape_pointer_segment(k)),
                    a.get(k),
                    b.get(k),
                    true,
                    out,
                );
            }
        }
        (old, new) => out.push(DocumentChange {
            key: ptr,
            old: old.cloned().unwrap_or(Value::Null),
            new: new.cloned().unwrap_or(Value::Null),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(old: Value, new: Value, expect: &[(&str, Value, Value)]) {
        let got: Vec<(String, Value, Value)> = changes(&old, &new)
            .into_iter()
            .map(|c| (c.key, c.old, c.new))
            .collect();
        let expect: Vec<(String, Value, Value)> = expect
            .iter()
            .map(|(k, o, n)| ((*k).to_owned(), o.clone(), n.clone()))
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn changes_list_leaves_and_whole_array_elements() {
        check(json!({"a": 1}), json!({"a": 1}), &[]);
        check(
            json!({"a": 1}),
            json!({"a": 2}),
            &[("/a", json!(1), json!(2))],
        );
        check(
            json!({"donor": {"lastName": "X"}}),
            json!({"donor": {"lastName": "X", "identityCheck": {"type": "one-login", "checkedAt": "t"}}}),
            &[
                ("/donor/identityCheck/checkedAt", Value::Null, json!("t")),
                ("/donor/identityCheck/type", Value::Null, json!("one-login")),
            ],
        );
        check(
            json!({"attorneys": [{"uid": "a", "status": "active"}]}),
            json!({"attorneys": [{"uid": "a", "status": "removed"}, {"uid": "b"}]}),
            &[
                ("/attorneys/0/status", json!("active"), json!("removed")),
                ("/attorneys/1", Value::Null, json!({"uid": "b"})),
            ],
        );
        check(
            json!({"a": [1, 2]}),
            json!({"a": [1]}),
            &[("/a/1", json!(2), Value::Null)],
        );
        check(
            json!({"a~b": 1}),
            json!({}),
            &[("/a~0b", json!(1), Value::Null)],
        );
    }
}
