//! lambda/update/post_registration_correction_test.go
use super::super::test_support::*;
use lpaflow_lpa::lpa_store::{Attorney, AttorneyStatus, Date, HowMakeDecisions, Lpa, LpaStatus};
use serde_json::{Value, json};

fn registered() -> Lpa {
    let mut lpa = Lpa {
        status: LpaStatus::Registered,
        ..Lpa::default()
    };
    lpa.fields.donor.first_names = "Feeg".into();
    lpa.fields.donor.date_of_birth = Date::from_text("1970-01-24");
    lpa.fields.restrictions_and_conditions = "none".into();
    lpa.fields.attorneys = vec![Attorney {
        first_names: "Herman".into(),
        status: AttorneyStatus::Active,
        cannot_make_joint_decisions: true,
        ..Attorney::default()
    }];
    lpa
}

#[test]
fn corrections_after_registration_apply_without_a_status_check() {
    // TestPostRegistrationCorrectionApply: "donor correction", "attorney correction",
    // "restrictions and conditions correction"
    let changes = vec![
        ch("/donor/firstNames", json!("Feeg"), json!("Fig")),
        ch("/attorneys/0/firstNames", json!("Herman"), json!("Hermann")),
        ch("/restrictionsAndConditions", Value::Null, json!("some")),
    ];
    let after = run("POST_REGISTRATION_CORRECTION", changes, &registered()).expect("corrected");
    assert_eq!(after.fields.donor.first_names, "Fig");
    assert_eq!(after.fields.attorneys[0].first_names, "Hermann");
    assert_eq!(after.fields.restrictions_and_conditions, "some");
    assert!(after.notes.is_empty(), "no notes after registration");
    // cannotMakeJointDecisions starts from false: correcting the attorney clears it
    assert!(!after.fields.attorneys[0].cannot_make_joint_decisions);
}

#[test]
fn zero_starting_values_decide_old_and_omitted_keys_are_cleared() {
    // restrictionsAndConditions starts from "": its old must be empty, and omitting it clears it.
    assert_eq!(
        errors_of(parse(
            "POST_REGISTRATION_CORRECTION",
            vec![ch(
                "/restrictionsAndConditions",
                json!("none"),
                json!("some")
            )],
            &registered()
        )),
        vec![e("/changes/0/old", "does not match existing value")]
    );
    let after = run(
        "POST_REGISTRATION_CORRECTION",
        vec![ch("/donor/firstNames", json!("Feeg"), json!("Fig"))],
        &registered(),
    )
    .expect("corrected");
    assert_eq!(after.fields.restrictions_and_conditions, "");
    // the donor's date of birth starts from zero too: old must be empty, and a different date is refused
    assert_eq!(
        run(
            "POST_REGISTRATION_CORRECTION",
            vec![ch("/donor/dateOfBirth", Value::Null, json!("1980-01-01"))],
            &registered()
        ),
        Err(vec![e(
            "/donor/dateOfBirth",
            "The donor's date of birth cannot be changed once the LPA is registered"
        )])
    );
    assert!(
        run(
            "POST_REGISTRATION_CORRECTION",
            vec![ch("/donor/dateOfBirth", Value::Null, json!("1970-01-24"))],
            &registered()
        )
        .is_ok()
    );
}

#[test]
fn validation() {
    // TestValidatePostRegistrationCorrection: "no changes provided", "missing required fields",
    // "cannot change attorney decisions", "valid attorney decisions update"
    assert_eq!(
        errors_of(parse("POST_REGISTRATION_CORRECTION", vec![], &registered())),
        vec![e("/changes", "no changes provided")]
    );
    let changes = vec![
        ch("/donor/firstNames", Value::Null, Value::Null),
        ch("/attorneys/0/lastName", Value::Null, Value::Null),
        ch("/certificateProvider/firstNames", Value::Null, Value::Null),
    ];
    assert_eq!(
        errors_of(parse(
            "POST_REGISTRATION_CORRECTION",
            changes,
            &Lpa { ..registered() }
        )),
        vec![
            e("/changes/0/old", "does not match existing value"),
            e("/changes/2/new", "field is required"),
            e("/changes/1/new", "field is required"),
        ]
    );
    assert_eq!(
        errors_of(parse(
            "POST_REGISTRATION_CORRECTION",
            vec![ch(
                "/howAttorneysMakeDecisions",
                Value::Null,
                json!("jointly")
            )],
            &registered()
        )),
        vec![e("/changes/0", "unexpected change provided")]
    );
    let mut two = registered();
    two.fields.attorneys.push(two.fields.attorneys[0].clone());
    two.fields.how_attorneys_make_decisions = HowMakeDecisions::JointlyAndSeverally;
    let after = run(
        "POST_REGISTRATION_CORRECTION",
        vec![ch(
            "/howAttorneysMakeDecisions",
            json!("jointly-and-severally"),
            json!("jointly"),
        )],
        &two,
    )
    .expect("corrected");
    assert_eq!(
        after.fields.how_attorneys_make_decisions,
        HowMakeDecisions::Jointly
    );
}
