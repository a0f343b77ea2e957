//! Reading a submitted event form back into the JSON payload the engine receives: typed values for the
//! fields `lpaflow_lpa::payload_fields` declares, empty controls left out (the action decides whether they were
//! needed), and a problem at the field's pointer for a value that cannot be what the field holds.

use super::forms::APPLICATION_FIELD;
use chrono::{DateTime, NaiveDateTime};
use lpaflow_http::problem::FieldProblem;
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
            FieldKind::Pence { .. } => match parse_pounds(raw) {
                Some(pence) => Value::from(pence),
                None => {
                    problems.push(FieldProblem::new(
                        pointer,
                        "must be an amount in pounds and pence, such as £92.00 (or -£46.00 for a refund)",
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
                Ok(t) => Value::String(t),
                Err(why) => {
                    problems.push(FieldProblem::new(pointer, why));
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

/// An amount in pounds as a person writes it (`£92`, `92.00`, `1,092.5`, `-£46.00`, `£-46`) in pence. `None`
/// for anything else, including more than two decimals: an amount is never rounded silently.
pub(super) fn parse_pounds(raw: &str) -> Option<i64> {
    let text: String = raw.chars().filter(|c| !matches!(c, ',' | ' ')).collect();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, text),
    };
    let text = text.strip_prefix('£').unwrap_or(&text);
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) if !negative => (true, rest),
        Some(_) => return None,
        None => (negative, text),
    };
    let (pounds, pence) = text.split_once('.').unwrap_or((text, "00"));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(pounds) || !digits(pence) || pence.len() > 2 {
        return None;
    }
    let pence: i64 = format!("{pence:0<2}").parse().ok()?;
    let total = pounds
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(pence)?;
    Some(if negative { -total } else { total })
}

/// A `datetime-local` value (local time of the page's zone: UK time for the OPG) or an RFC 3339 time, as
/// RFC 3339 in UTC. A local time the clocks skip is refused with the reason.
pub(super) fn parse_time(raw: &str) -> Result<String, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.to_utc().to_rfc3339());
    }
    let local = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .ok_or_else(|| "must be a date and time, such as 2026-11-25T14:30".to_owned())?;
    super::layout::zone()
        .instant_of(local)
        .map(|t| t.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::field_id;
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
    fn amounts_are_read_in_pounds_and_pence_and_never_rounded() {
        for (raw, pence) in [
            ("£92.00", Some(9200)),
            ("92", Some(9200)),
            ("46.5", Some(4650)),
            ("£1,092.50", Some(109_250)),
            ("-£46.00", Some(-4600)),
            ("£-46", Some(-4600)),
            ("0.07", Some(7)),
            ("92.505", None),
            ("--46", None),
            ("-£-46", None),
            ("ninety", None),
            ("£", None),
            (".50", None),
            ("9200p", None),
        ] {
            assert_eq!(parse_pounds(raw), pence, "{raw}");
        }
    }

    #[test]
    fn forms_become_payloads_with_typed_values_and_problems_by_field() {
        let fields = payload_fields(Action::RecordPayment, "record_payment");
        let p = payload(
            &fields,
            &form(&[
                ("amountPence", "£1,092.50"),
                ("reference", " "),
                ("paidAt", "2026-11-25T14:30"),
                ("csrf", "x"),
            ]),
        );
        assert_eq!(
            p.unwrap(),
            json!({"amountPence": 109_250, "paidAt": "2026-11-25T14:30:00+00:00"})
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

#[cfg(test)]
mod local_time_tests {
    use super::parse_time;
    use lpaflow_core::BusinessZone;

    /// Runs `check` as if rendering a page in `zone`.
    fn in_zone(zone: BusinessZone, check: impl FnOnce()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(super::super::layout::DISPLAY_ZONE.scope(zone, async {
            check();
        }));
    }

    #[test]
    fn a_form_time_is_uk_local_time_on_both_sides_of_the_clock_changes() {
        in_zone(BusinessZone::LONDON, || {
            assert_eq!(
                parse_time("2026-07-01T09:00").as_deref(),
                Ok("2026-07-01T08:00:00+00:00")
            );
            assert_eq!(
                parse_time("2026-01-15T09:00").as_deref(),
                Ok("2026-01-15T09:00:00+00:00")
            );
            // The hour the clocks go back happens twice: the first one (BST) is taken.
            assert_eq!(
                parse_time("2026-10-25T01:30").as_deref(),
                Ok("2026-10-25T00:30:00+00:00")
            );
            let skipped = parse_time("2026-03-29T01:30").expect_err("skipped hour");
            assert!(skipped.contains("clocks went forward"), "{skipped}");
            // An explicit offset wins over the page's zone.
            assert_eq!(
                parse_time("2026-07-01T09:00:00Z").as_deref(),
                Ok("2026-07-01T09:00:00+00:00")
            );
        });
    }
}
