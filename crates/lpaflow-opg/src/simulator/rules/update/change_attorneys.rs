//! `CHANGE_ATTORNEYS` (`lambda/update/change_attorneys.go`): `/attorneys/<index or uid>/status` for any
//! number of attorneys, each starting from the stored status. An active attorney cannot become inactive
//! and a removed one cannot become active; a removal adds an `ATTORNEY_REMOVED_V1` note and a replacement
//! made active a `REPLACEMENT_ATTORNEY_ENABLED_V1` note, both with the attorney's full name.

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{AppointmentType, AttorneyStatus, FieldError, Lpa};

use super::{Applyable, Parsed, attorney_index, note, parsed, slice_index};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::parse::{Opts, Parser};
use crate::simulator::rules::refuse;
use crate::simulator::rules::validate::valid_pointer;

struct StatusChange {
    index: usize,
    status: AttorneyStatus,
}

struct ChangeAttorneys {
    changes: Vec<StatusChange>,
}

impl Applyable for ChangeAttorneys {
    fn apply(&self, lpa: &mut Lpa, now: DateTime<Utc>) -> Vec<FieldError> {
        for change in &self.changes {
            let source = format!("/attorneys/{}/status", change.index);
            let Some(attorney) = lpa.fields.attorneys.get_mut(change.index) else {
                continue;
            };
            if change.status == AttorneyStatus::Inactive
                && attorney.status == AttorneyStatus::Active
            {
                return refuse(&source, "An active attorney cannot be made inactive");
            }
            if change.status == AttorneyStatus::Active && attorney.status == AttorneyStatus::Removed
            {
                return refuse(&source, "A removed attorney cannot be made active");
            }
            attorney.status = change.status.clone();
            let full_name = format!("{} {}", attorney.first_names, attorney.last_name);
            let replacement = attorney.appointment_type == AppointmentType::Replacement;
            if change.status == AttorneyStatus::Removed {
                lpa.notes.push(note(
                    "ATTORNEY_REMOVED_V1",
                    now,
                    &[("fullName", full_name.clone())],
                ));
            }
            if change.status == AttorneyStatus::Active && replacement {
                lpa.notes.push(note(
                    "REPLACEMENT_ATTORNEY_ENABLED_V1",
                    now,
                    &[("fullName", full_name)],
                ));
            }
        }
        Vec::new()
    }
}

pub fn parse(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    let mut data = ChangeAttorneys {
        changes: Vec::new(),
    };
    let errors = Parser::new(changes)
        .prefix("/attorneys", false, |p| {
            p.each_key(|key, p| {
                let Some(i) = attorney_index(lpa, key) else {
                    p.out_of_range();
                    return;
                };
                let Some((index, attorney)) = slice_index(i)
                    .ok()
                    .and_then(|i| lpa.fields.attorneys.get(i).map(|a| (i, a)))
                else {
                    return p.panic(crate::simulator::rules::GoPanic("index out of range"));
                };
                let mut change = StatusChange {
                    index,
                    status: attorney.status.clone(),
                };
                p.field(
                    "/status",
                    &mut change.status,
                    Opts::required().validate(valid_pointer),
                )
                .consumed();
                data.changes.push(change);
            })
            .consumed();
        })
        .consumed()
        .finish();
    parsed(data, errors)
}

#[cfg(test)]
mod tests {
    //! lambda/update/change_attorneys_test.go
    use super::super::test_support::*;
    use lpaflow_lpa::lpa_store::{AppointmentType, Attorney, AttorneyStatus, Lpa};
    use serde_json::{Value, json};

    fn lpa() -> Lpa {
        let attorney = |uid: &str, status, appointment| Attorney {
            uid: uid.to_owned(),
            first_names: "Herman".into(),
            last_name: "Seakrest".into(),
            status,
            appointment_type: appointment,
            ..Attorney::default()
        };
        let mut lpa = Lpa::default();
        lpa.fields.attorneys = vec![
            attorney("a", AttorneyStatus::Active, AppointmentType::Original),
            attorney("b", AttorneyStatus::Inactive, AppointmentType::Replacement),
            attorney("c", AttorneyStatus::Removed, AppointmentType::Original),
        ];
        lpa
    }

    #[test]
    fn statuses_change_with_notes() {
        // TestChangeAttorneysApply (docs/change-attorneys.json's changes)
        let changes = vec![
            ch("/attorneys/0/status", json!("active"), json!("removed")),
            ch("/attorneys/b/status", json!("inactive"), json!("active")),
        ];
        let after = run("CHANGE_ATTORNEYS", changes, &lpa()).expect("applies");
        assert_eq!(after.fields.attorneys[0].status, AttorneyStatus::Removed);
        assert_eq!(after.fields.attorneys[1].status, AttorneyStatus::Active);
        let notes: Vec<(&str, &str)> = after
            .notes
            .iter()
            .map(|n| (n.kind.as_str(), n.values["fullName"].as_str()))
            .collect();
        assert_eq!(
            notes,
            [
                ("ATTORNEY_REMOVED_V1", "Herman Seakrest"),
                ("REPLACEMENT_ATTORNEY_ENABLED_V1", "Herman Seakrest")
            ]
        );
        assert_eq!(after.notes[0].datetime, "2024-05-06T07:08:09Z");
    }

    #[test]
    fn forbidden_transitions() {
        // TestChangeAttorneysApplyActiveToInactive, ...RemovedToActive
        assert_eq!(
            run(
                "CHANGE_ATTORNEYS",
                vec![ch(
                    "/attorneys/0/status",
                    json!("active"),
                    json!("inactive")
                )],
                &lpa()
            ),
            Err(vec![e(
                "/attorneys/0/status",
                "An active attorney cannot be made inactive"
            )])
        );
        assert_eq!(
            run(
                "CHANGE_ATTORNEYS",
                vec![ch("/attorneys/2/status", json!("removed"), json!("active"))],
                &lpa()
            ),
            Err(vec![e(
                "/attorneys/2/status",
                "A removed attorney cannot be made active"
            )])
        );
    }

    #[test]
    fn validate() {
        // TestValidateUpdateChangeAttorneys
        assert_eq!(
            errors_of(parse("CHANGE_ATTORNEYS", vec![], &lpa())),
            vec![e("/changes", "missing /attorneys/...")]
        );
        let changes = vec![
            ch("/attorneys/9/status", json!("active"), json!("removed")),
            ch("/attorneys/1/status", json!("inactive"), json!("retired")),
            ch("/attorneys/0/email", Value::Null, json!("a@example.com")),
            ch("/attorneys/1/status", json!("active"), json!("removed")),
        ];
        assert_eq!(
            errors_of(parse("CHANGE_ATTORNEYS", changes, &lpa())),
            vec![
                e("/changes/0/key", "index out of range"),
                e("/changes/1/new", "invalid value"),
                e("/changes/3", "unexpected change provided"),
                e("/changes", "missing /attorneys/0/status"),
                e("/changes/2", "unexpected change provided"),
            ]
        );
    }
}
