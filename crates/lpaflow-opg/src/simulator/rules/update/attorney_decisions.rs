//! `ATTORNEY_DECISIONS` (`lambda/update/attorney_decisions.go`): `/attorneys/<index or uid>/
//! cannotMakeJointDecisions` (a bool, starting from the stored one) for any number of attorneys; allowed
//! only where the attorney's group (original or replacement) decides jointly for some and severally for
//! others.
//!
//! Go counts the keys before it looks the attorney up, so an unknown key followed by a known one makes it
//! index past its list and panic: that request is answered 500 here.

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{AppointmentType, FieldError, HowMakeDecisions, Lpa};

use super::{Applyable, Parsed, attorney_index, parsed, slice_index};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::parse::{Opts, Parser};
use crate::simulator::rules::{GoPanic, refuse};

struct Decision {
    index: usize,
    cannot_make_joint_decisions: bool,
}

struct AttorneyDecisions {
    decisions: Vec<Decision>,
}

impl Applyable for AttorneyDecisions {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        let some_severally = HowMakeDecisions::JointlyForSomeSeverallyForOthers;
        let originals_ok = lpa.fields.how_attorneys_make_decisions == some_severally;
        let replacements_ok = lpa.fields.how_replacement_attorneys_make_decisions == some_severally;
        for d in &self.decisions {
            let Some(attorney) = lpa.fields.attorneys.get_mut(d.index) else {
                continue;
            };
            let refused = (!originals_ok && attorney.appointment_type == AppointmentType::Original)
                || (!replacements_ok && attorney.appointment_type == AppointmentType::Replacement);
            if refused {
                return refuse(
                    &format!("/attorneys/{}/cannotMakeJointDecisions", d.index),
                    "The appointment type must be jointly for some and severally for others",
                );
            }
            attorney.cannot_make_joint_decisions = d.cannot_make_joint_decisions;
        }
        Vec::new()
    }
}

pub fn parse(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    let mut data = AttorneyDecisions {
        decisions: Vec::new(),
    };
    let mut counted: usize = 0;
    let errors = Parser::new(changes)
        .prefix("/attorneys", false, |p| {
            p.each_key(|key, p| {
                counted += 1;
                let Some(i) = attorney_index(lpa, key) else {
                    p.out_of_range();
                    return;
                };
                let found = slice_index(i)
                    .ok()
                    .and_then(|i| lpa.fields.attorneys.get(i).map(|a| (i, a)));
                let Some((index, attorney)) = found else {
                    return p.panic(GoPanic("index out of range"));
                };
                data.decisions.push(Decision {
                    index,
                    cannot_make_joint_decisions: attorney.cannot_make_joint_decisions,
                });
                // data.ChangeAttorneyDecisions[i] with i counting every key, found or not.
                let Some(decision) = data.decisions.get_mut(counted - 1) else {
                    return p.panic(GoPanic("index out of range"));
                };
                p.field(
                    "/cannotMakeJointDecisions",
                    &mut decision.cannot_make_joint_decisions,
                    Opts::required(),
                )
                .consumed();
            })
            .consumed();
        })
        .consumed()
        .finish();
    parsed(data, errors)
}

#[cfg(test)]
mod tests {
    //! lambda/update/attorney_decisions_test.go
    use super::super::test_support::*;
    use lpaflow_lpa::lpa_store::{AppointmentType, Attorney, HowMakeDecisions, Lpa};
    use serde_json::json;

    fn lpa(decisions: HowMakeDecisions, replacement_decisions: HowMakeDecisions) -> Lpa {
        let mut lpa = Lpa::default();
        lpa.fields.how_attorneys_make_decisions = decisions;
        lpa.fields.how_replacement_attorneys_make_decisions = replacement_decisions;
        lpa.fields.attorneys = vec![
            Attorney {
                uid: "a".into(),
                appointment_type: AppointmentType::Original,
                ..Attorney::default()
            },
            Attorney {
                uid: "b".into(),
                appointment_type: AppointmentType::Replacement,
                ..Attorney::default()
            },
        ];
        lpa
    }

    #[test]
    fn decisions_need_jointly_for_some_severally_for_others() {
        use HowMakeDecisions as H;
        let both = lpa(
            H::JointlyForSomeSeverallyForOthers,
            H::JointlyForSomeSeverallyForOthers,
        );
        let changes = vec![
            ch(
                "/attorneys/0/cannotMakeJointDecisions",
                json!(false),
                json!(true),
            ),
            ch(
                "/attorneys/b/cannotMakeJointDecisions",
                json!(false),
                json!(true),
            ),
        ];
        let after = run("ATTORNEY_DECISIONS", changes, &both).expect("applies");
        assert!(
            after
                .fields
                .attorneys
                .iter()
                .all(|a| a.cannot_make_joint_decisions)
        );
        // docs/attorney_decisions.json against an LPA whose attorneys act jointly
        assert_eq!(
            run(
                "ATTORNEY_DECISIONS",
                vec![ch(
                    "/attorneys/0/cannotMakeJointDecisions",
                    json!(false),
                    json!(true)
                )],
                &lpa(H::Jointly, H::Unset)
            ),
            Err(vec![e(
                "/attorneys/0/cannotMakeJointDecisions",
                "The appointment type must be jointly for some and severally for others"
            )])
        );
        assert_eq!(
            run(
                "ATTORNEY_DECISIONS",
                vec![ch(
                    "/attorneys/1/cannotMakeJointDecisions",
                    json!(false),
                    json!(true)
                )],
                &lpa(H::JointlyForSomeSeverallyForOthers, H::Jointly)
            ),
            Err(vec![e(
                "/attorneys/1/cannotMakeJointDecisions",
                "The appointment type must be jointly for some and severally for others"
            )])
        );
    }

    #[test]
    fn validate() {
        use HowMakeDecisions as H;
        let both = lpa(
            H::JointlyForSomeSeverallyForOthers,
            H::JointlyForSomeSeverallyForOthers,
        );
        assert_eq!(
            errors_of(parse("ATTORNEY_DECISIONS", vec![], &both)),
            vec![e("/changes", "missing /attorneys/...")]
        );
        assert_eq!(
            errors_of(parse(
                "ATTORNEY_DECISIONS",
                vec![ch(
                    "/attorneys/0/cannotMakeJointDecisions",
                    json!(false),
                    json!("yes")
                )],
                &both
            )),
            vec![e("/changes/0/new", "unexpected type")]
        );
        assert_eq!(
            errors_of(parse(
                "ATTORNEY_DECISIONS",
                vec![ch(
                    "/attorneys/9/cannotMakeJointDecisions",
                    json!(false),
                    json!(true)
                )],
                &both
            )),
            vec![e("/changes/0/key", "index out of range")]
        );
        // An unknown key before a known one: Go indexes past its slice and panics.
        assert!(panics(
            "ATTORNEY_DECISIONS",
            vec![
                ch(
                    "/attorneys/9/cannotMakeJointDecisions",
                    json!(false),
                    json!(true)
                ),
                ch(
                    "/attorneys/0/cannotMakeJointDecisions",
                    json!(false),
                    json!(true)
                ),
            ],
            &both
        ));
    }
}
