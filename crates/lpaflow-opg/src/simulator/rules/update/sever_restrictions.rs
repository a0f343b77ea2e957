//! `SEVER_RESTRICTIONS_AND_CONDITIONS` (`lambda/update/sever_restrictions.go`): at least one change; an
//! optional `/restrictionsAndConditions` starting from the stored text. Applying it always drops the scanned
//! images and adds a `SEVER_RESTRICTIONS_AND_CONDITIONS_V1` note with the text left (or "All restrictions
//! have been severed from the LPA").

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{FieldError, Lpa};

use super::{Applyable, Parsed, note, parsed};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::parse::{Opts, Parser};
use crate::simulator::rules::{Refusal, refuse};

struct SeverRestrictions {
    restrictions_and_conditions: String,
}

impl Applyable for SeverRestrictions {
    fn apply(&self, lpa: &mut Lpa, now: DateTime<Utc>) -> Vec<FieldError> {
        lpa.fields
            .restrictions_and_conditions
            .clone_from(&self.restrictions_and_conditions);
        lpa.restrictions_and_conditions_images.clear();
        let left = if self.restrictions_and_conditions.is_empty() {
            "All restrictions have been severed from the LPA".to_owned()
        } else {
            self.restrictions_and_conditions.clone()
        };
        lpa.notes.push(note(
            "SEVER_RESTRICTIONS_AND_CONDITIONS_V1",
            now,
            &[("updatedRestrictionsAndConditions", left)],
        ));
        Vec::new()
    }
}

pub fn parse(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    if changes.is_empty() {
        return Err(Refusal::Invalid(refuse("/changes", "no changes provided")));
    }
    let mut data = SeverRestrictions {
        restrictions_and_conditions: lpa.fields.restrictions_and_conditions.clone(),
    };
    let errors = Parser::new(changes)
        .field(
            "/restrictionsAndConditions",
            &mut data.restrictions_and_conditions,
            Opts::optional(),
        )
        .consumed()
        .finish();
    parsed(data, errors)
}

#[cfg(test)]
mod tests {
    //! lambda/update/sever_restrictions_test.go
    use super::super::test_support::*;
    use lpaflow_lpa::lpa_store::{File, Lpa};
    use serde_json::{Value, json};

    fn lpa() -> Lpa {
        let mut lpa = Lpa::default();
        lpa.fields.restrictions_and_conditions =
            "I do not want to be put into a care home unless x".into();
        lpa.restrictions_and_conditions_images = vec![File {
            path: "p".into(),
            hash: "h".into(),
        }];
        lpa
    }

    #[test]
    fn severing_replaces_the_text_drops_images_and_adds_a_note() {
        let changes = vec![ch(
            "/restrictionsAndConditions",
            json!("I do not want to be put into a care home unless x"),
            json!("I do not want to be put into a care home"),
        )];
        let after = run("SEVER_RESTRICTIONS_AND_CONDITIONS", changes, &lpa()).expect("severs");
        assert_eq!(
            after.fields.restrictions_and_conditions,
            "I do not want to be put into a care home"
        );
        assert!(after.restrictions_and_conditions_images.is_empty());
        assert_eq!(after.notes[0].kind, "SEVER_RESTRICTIONS_AND_CONDITIONS_V1");
        assert_eq!(
            after.notes[0].values["updatedRestrictionsAndConditions"],
            "I do not want to be put into a care home"
        );
        let changes = vec![ch(
            "/restrictionsAndConditions",
            json!("I do not want to be put into a care home unless x"),
            json!(""),
        )];
        let after = run("SEVER_RESTRICTIONS_AND_CONDITIONS", changes, &lpa()).expect("severs all");
        assert_eq!(
            after.notes[0].values["updatedRestrictionsAndConditions"],
            "All restrictions have been severed from the LPA"
        );
    }

    #[test]
    fn validate() {
        assert_eq!(
            errors_of(parse("SEVER_RESTRICTIONS_AND_CONDITIONS", vec![], &lpa())),
            vec![e("/changes", "no changes provided")]
        );
        assert_eq!(
            errors_of(parse(
                "SEVER_RESTRICTIONS_AND_CONDITIONS",
                vec![ch("/restrictionsAndConditions", Value::Null, json!("x"))],
                &lpa()
            )),
            vec![e("/changes/0/old", "does not match existing value")]
        );
        assert_eq!(
            errors_of(parse(
                "SEVER_RESTRICTIONS_AND_CONDITIONS",
                vec![ch("/other", Value::Null, json!("x"))],
                &lpa()
            )),
            vec![e("/changes/0", "unexpected change provided")]
        );
    }
}
