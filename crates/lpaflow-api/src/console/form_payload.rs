//! Reading a submitted event form back into the JSON payload the engine receives: typed values for the
//! fields `lpaflow_lpa::payload_fields` declares, empty controls left out (the action decides whether they were
//! needed), and a problem at the field's pointer for a value that cannot be what the field holds.

use super::forms::APPLICATION_FIELD;
use crate::problem::FieldProblem;
use chrono::{DateTime, NaiveDateTime};
use lpaflow_lpa::{Field, FieldKind};
use serde_json::{Map, Value};

/// Reads `form` into the payload `fields` describe: empty controls are left out (the action decides whether
/// they were needed); values that cannot be what the field holds are problems at the field's pointer.
pub(super) fn payload(
    fields: &[Field],
    form: &[(String, String)],
) -> Result<Value, Vec<FieldProblem>> {
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let mut out = Map::new();
    let mut problems = Vec::new();
    for f in fields {
        let pointer = format!("/{}", f.name);
        if f.kind == FieldKind::Application {
            return match get(APPLICATION_FIELD).map(serde_json::from_str::<Value>) {
                Some(Ok(v @ Value::Object(_))) => Ok(v),
                None => Ok(Value::Object(Map::new())),
                Some(_) => Err(vec![FieldProblem::new(
                    "",
                    "must be a JSON object, such as {\"donor\": {\"email\": \"a@example.org\"}}",
                )]),
            };
        }
        let Some(raw) = get(f.name) else { continue };
        let value = match f.kind {
            FieldKind::Bool => Value::Bool(raw == "true"),
            FieldKind::Pence { .. } => match raw.replace(',', "").parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    problems.push(FieldProblem::new(
                        pointer,
                        "must be a whole number of pence, such as 9200",
                    ));
                    continue;
                }
            },
            FieldKind::Signatories => match serde_json::from_str::<Value>(raw) {
                Ok(v @ Value::Array(_)) => v,
                _ => {
                    problems.push(FieldProblem::new(
                        pointer,
                        "must be a JSON list, such as [{\"firstNames\": \"Sam\", \"lastName\": \"Smith\", \"professionalTitle\": \"Director\"}]",
                    ));
                    continue;
                }
            },
            FieldKind::PastTime => match parse_time(raw) {
                Some(t) => Value::String(t),
                None => {
                    problems.push(FieldProblem::new(
                        pointer,
                        "must be a date and time, such as 2026-11-25T14:30",
                    ));
                    continue;
                }
            },
            _ => Value::String(raw.to_owned()),
        };
        out.insert(f.name.to_owned(), value);
    }
    if problems.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(problems)
    }
}

/// A `datetime-local` value (taken as UTC) or an RFC 3339 time, as RFC 3339.
pub(super) fn parse_time(raw: &str) -> Option<String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.to_utc().to_rfc3339());
    }
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .map(|t| t.and_utc().to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::forms::field_id;
    use lpaflow_lpa::actions::Action;
    use lpaflow_lpa::payload_fields;
    use serde_json::json;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn forms_become_payloads_with_typed_values_and_problems_by_field() {
        let fields = payload_fields(Action::RecordPayment, "record_payment");
        let p = payload(
            &fields,
            &form(&[
                ("amountPence", "9,200"),
                ("reference", " "),
                ("paidAt", "2026-11-25T14:30"),
                ("csrf", "x"),
            ]),
        );
        assert_eq!(
            p.unwrap(),
            json!({"amountPence": 9200, "paidAt": "2026-11-25T14:30:00+00:00"})
        );
        let bad = payload(
            &fields,
            &form(&[("amountPence", "ninety"), ("paidAt", "yesterday")]),
        )
        .unwrap_err();
        let pointers: Vec<&str> = bad.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/amountPence", "/paidAt"]);

        let sign = payload_fields(Action::SignAsAttorney, "sign_as_attorney");
        assert_eq!(
            payload(
                &sign,
                &form(&[("uid", "a1"), ("confirmedNotBankrupt", "true")])
            )
            .unwrap(),
            json!({"uid": "a1", "confirmedNotBankrupt": true})
        );

        let patch = payload_fields(Action::UpdateApplication, "update_application");
        assert_eq!(
            payload(
                &patch,
                &form(&[(APPLICATION_FIELD, r#"{"donor": {"email": "a@b.org"}}"#)])
            )
            .unwrap(),
            json!({"donor": {"email": "a@b.org"}})
        );
        assert!(payload(&patch, &form(&[(APPLICATION_FIELD, "[1]")])).is_err());
        assert_eq!(
            field_id("change_status:expired", "reason"),
            "change_status-expired-reason"
        );
    }
}
