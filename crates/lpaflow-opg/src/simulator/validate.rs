//! What `PUT /lpas/{uid}` accepts and what the store adds to it (`docs/opg-api.md`, "The LPA document").
//! Every problem is reported together, each with a JSON pointer into the request body.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::document::{FieldError, LpaStatus};
use crate::simulator::store::timestamp;

const LPA_TYPES: [&str; 2] = ["property-and-affairs", "personal-welfare"];
const CHANNELS: [&str; 2] = ["online", "paper"];
const ATTORNEY_STATUSES: [&str; 3] = ["active", "replacement", "removed"];

/// Problems with a create document.
pub fn validate_document(uid: &str, doc: &Value) -> Result<(), Vec<FieldError>> {
    let Some(obj) = doc.as_object() else {
        return Err(vec![FieldError::new("", "the LPA must be a JSON object")]);
    };
    let mut errors = Vec::new();
    one_of(obj, "lpaType", &LPA_TYPES, &mut errors);
    one_of(obj, "channel", &CHANNELS, &mut errors);
    match obj.get("donor").and_then(Value::as_object) {
        None => errors.push(FieldError::new("/donor", "field is required")),
        Some(donor) => {
            for field in ["firstNames", "lastName", "dateOfBirth"] {
                if donor
                    .get(field)
                    .and_then(Value::as_str)
                    .is_none_or(|s| s.trim().is_empty())
                {
                    errors.push(FieldError::new(
                        format!("/donor/{field}"),
                        "field is required",
                    ));
                }
            }
            if !donor.get("address").is_some_and(Value::is_object) {
                errors.push(FieldError::new("/donor/address", "field is required"));
            }
        }
    }
    match obj.get("attorneys").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for (i, attorney) in list.iter().enumerate() {
                match attorney.as_object() {
                    None => errors.push(FieldError::new(
                        format!("/attorneys/{i}"),
                        "must be an object",
                    )),
                    Some(a) => {
                        if let Some(status) = a.get("status")
                            && !status
                                .as_str()
                                .is_some_and(|s| ATTORNEY_STATUSES.contains(&s))
                        {
                            errors.push(FieldError::new(
                                format!("/attorneys/{i}/status"),
                                "invalid value",
                            ));
                        }
                    }
                }
            }
        }
        _ => errors.push(FieldError::new(
            "/attorneys",
            "at least one attorney is required",
        )),
    }
    if !obj.get("certificateProvider").is_some_and(Value::is_object) {
        errors.push(FieldError::new("/certificateProvider", "field is required"));
    }
    if let Some(given) = obj.get("uid")
        && given.as_str() != Some(uid)
    {
        errors.push(FieldError::new(
            "/uid",
            "does not match the uid in the path",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn one_of(obj: &Map<String, Value>, field: &str, allowed: &[&str], errors: &mut Vec<FieldError>) {
    match obj.get(field).and_then(Value::as_str) {
        None => errors.push(FieldError::new(format!("/{field}"), "field is required")),
        Some(v) if !allowed.contains(&v) => {
            errors.push(FieldError::new(format!("/{field}"), "invalid value"))
        }
        Some(_) => {}
    }
}

/// The document as stored: with `uid`, `status` `in-progress`, `updatedAt`, and attorneys `active` unless
/// the document says otherwise.
pub fn stored_document(uid: &str, doc: &Value, now: DateTime<Utc>) -> Value {
    let mut stored = doc.clone();
    if let Some(obj) = stored.as_object_mut() {
        obj.insert("uid".to_owned(), Value::from(uid));
        obj.insert(
            "status".to_owned(),
            Value::from(LpaStatus::InProgress.as_str()),
        );
        obj.insert("updatedAt".to_owned(), Value::from(timestamp(now)));
        if let Some(attorneys) = obj.get_mut("attorneys").and_then(Value::as_array_mut) {
            for a in attorneys.iter_mut().filter_map(Value::as_object_mut) {
                a.entry("status").or_insert_with(|| Value::from("active"));
            }
        }
    }
    stored
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_missing_field_is_reported() {
        let errors = validate_document("M-AAAA-BBBB-CCCC", &json!({"lpaType": "x", "donor": {}}))
            .expect_err("bad");
        let sources: Vec<&str> = errors.iter().map(|e| e.source.as_str()).collect();
        assert_eq!(
            sources,
            [
                "/lpaType",
                "/channel",
                "/donor/firstNames",
                "/donor/lastName",
                "/donor/dateOfBirth",
                "/donor/address",
                "/attorneys",
                "/certificateProvider"
            ]
        );
    }
}
