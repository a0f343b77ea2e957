//! lambda/update/correction_test.go
use super::super::test_support::*;
use lpaflow_lpa::lpa_store::{
    AppointmentType, Attorney, AttorneyStatus, AuthorisedSignatory, CanUse, Channel, Date,
    HowMakeDecisions, HowStepIn, IdentityCheck, IndependentWitness, LifeSustainingTreatment, Lpa,
    LpaStatus, LpaType, Signatory, TrustCorporation,
};
use serde_json::{Value, json};

const UID: &str = "9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d";

fn active() -> Attorney {
    Attorney {
        status: AttorneyStatus::Active,
        ..Attorney::default()
    }
}

fn replacement(status: AttorneyStatus) -> Attorney {
    Attorney {
        status,
        appointment_type: AppointmentType::Replacement,
        ..Attorney::default()
    }
}

#[test]
fn apply_refuses_registered_lpas_and_online_signing_dates() {
    // TestCorrectionApply: "registered cannot change anything", "online cannot change signed at"
    let mut registered = Lpa {
        status: LpaStatus::Registered,
        ..Lpa::default()
    };
    let changes = || vec![ch("/donor/firstNames", Value::Null, json!("Jane"))];
    assert_eq!(
        run("CORRECTION", changes(), &registered),
        Err(vec![e(
            "/type",
            "Cannot make corrections to a Registered LPA"
        )])
    );
    registered.fields.channel = Channel::Online;
    registered.fields.signed_at = Some(t("2024-01-01T00:00:00Z"));
    assert_eq!(
        run(
            "CORRECTION",
            vec![ch(
                "/signedAt",
                json!("2024-01-01T00:00:00Z"),
                json!("2024-01-13T22:00:00Z")
            )],
            &registered
        ),
        Err(vec![e(
            "/signedAt",
            "LPA Signed on date cannot be changed for online LPAs"
        )])
    );
}

#[test]
fn donor_corrections_add_notes_and_respect_the_identity_check() {
    // "donor correction", "donor date of birth cannot change after identity check"
    let mut lpa = Lpa::default();
    lpa.fields.donor.first_names = "Sammy".into();
    lpa.fields.donor.last_name = "Smithy".into();
    lpa.fields.donor.date_of_birth = Date::from_text("1999-11-11");
    let changes = || {
        vec![
            ch("/donor/firstNames", json!("Sammy"), json!("Sam")),
            ch(
                "/donor/dateOfBirth",
                json!("1999-11-11"),
                json!("2000-01-01"),
            ),
            ch("/donor/address/country", Value::Null, json!("GB")),
        ]
    };
    let after = run("CORRECTION", changes(), &lpa).expect("corrected");
    assert_eq!(after.fields.donor.first_names, "Sam");
    assert_eq!(after.fields.donor.date_of_birth.text(), "2000-01-01");
    assert_eq!(after.fields.donor.address.country, "GB");
    let notes: Vec<(&str, &str, &str)> = after
        .notes
        .iter()
        .flat_map(|n| {
            n.values
                .iter()
                .map(move |(k, v)| (n.kind.as_str(), k.as_str(), v.as_str()))
        })
        .collect();
    assert_eq!(
        notes,
        [
            ("DONOR_NAME_CHANGE_V1", "newName", "Sam Smithy"),
            ("DONOR_DOB_CHANGE_V1", "newDob", "2000-01-01")
        ]
    );
    lpa.fields.donor.identity_check = Some(IdentityCheck::default());
    assert_eq!(
        run("CORRECTION", changes(), &lpa),
        Err(vec![e(
            "/donor/dateOfBirth",
            "The donor's date of birth cannot be changed once the identity check is complete"
        )])
    );
}

#[test]
fn signing_dates_of_online_actors_are_fixed() {
    // "certificate provider cannot change signed at", "attorney cannot change signed at"
    let mut lpa = Lpa::default();
    lpa.fields.channel = Channel::Online;
    lpa.fields.attorneys = vec![Attorney::default()];
    assert_eq!(
        run(
            "CORRECTION",
            vec![ch(
                "/certificateProvider/signedAt",
                Value::Null,
                json!("2024-01-13T22:00:00Z")
            )],
            &lpa
        ),
        Err(vec![e(
            "/certificateProvider/signedAt",
            "The Certificate Provider Signed on date cannot be changed for online LPAs"
        )])
    );
    assert_eq!(
        run(
            "CORRECTION",
            vec![ch(
                "/attorneys/0/signedAt",
                Value::Null,
                json!("2024-01-13T22:00:00Z")
            )],
            &lpa
        ),
        Err(vec![e(
            "/attorney/0/signedAt",
            "The attorney signed at date cannot be changed for online LPA"
        )])
    );
    lpa.fields.channel = Channel::Paper;
    let after = run(
        "CORRECTION",
        vec![ch(
            "/attorneys/0/signedAt",
            Value::Null,
            json!("2024-01-13T22:00:00Z"),
        )],
        &lpa,
    )
    .expect("paper signing dates can be corrected");
    assert_eq!(
        after.fields.attorneys[0].signed_at,
        Some(t("2024-01-13T22:00:00Z"))
    );
}

#[test]
fn certificate_provider_trust_corporation_signatory_and_witness_corrections() {
    // "certificate provider correction", "trust corporation correction", "authorised signatory",
    // "independent witness", "witnessed by"
    let mut lpa = Lpa::default();
    lpa.fields.certificate_provider.first_names = "Vone".into();
    lpa.fields.trust_corporations = vec![TrustCorporation {
        name: "Cecil Harper Limited".into(),
        signatories: vec![Signatory {
            first_names: "A".into(),
            signed_at: Some(t("2024-01-01T00:00:00Z")),
            ..Signatory::default()
        }],
        ..TrustCorporation::default()
    }];
    lpa.fields.authorised_signatory = Some(AuthorisedSignatory {
        uid: UID.into(),
        first_names: "As".into(),
        last_name: "Signatory".into(),
    });
    lpa.fields.independent_witness = Some(IndependentWitness {
        uid: UID.into(),
        first_names: "In".into(),
        last_name: "Witness".into(),
        phone: "0700".into(),
        ..IndependentWitness::default()
    });
    let changes = vec![
        ch(
            "/certificateProvider/firstNames",
            json!("Vone"),
            json!("Two"),
        ),
        ch(
            "/trustCorporations/0/name",
            json!("Cecil Harper Limited"),
            json!("Burley Gottlieb Limited"),
        ),
        ch(
            "/trustCorporations/0/signatories/0/firstNames",
            json!("A"),
            json!("B"),
        ),
        ch(
            "/authorisedSignatory/lastName",
            json!("Signatory"),
            json!("Signer"),
        ),
        // The witness's phone starts from "" (validateCorrection does not copy it): old must be empty.
        ch("/independentWitness/phone", Value::Null, json!("0800")),
        ch(
            "/witnessedByIndependentWitnessAt",
            Value::Null,
            json!("2024-01-13T22:00:00Z"),
        ),
    ];
    let after = run("CORRECTION", changes, &lpa).expect("corrected");
    let f = &after.fields;
    assert_eq!(f.certificate_provider.first_names, "Two");
    assert_eq!(after.notes[0].kind, "CERTIFICATE_PROVIDER_NAME_CHANGE_V1");
    assert_eq!(f.trust_corporations[0].name, "Burley Gottlieb Limited");
    assert_eq!(f.trust_corporations[0].signatories[0].first_names, "B");
    assert_eq!(
        f.trust_corporations[0].signatories[0].signed_at,
        Some(t("2024-01-01T00:00:00Z"))
    );
    // Both are rebuilt from their names: the store drops their uids.
    assert_eq!(
        f.authorised_signatory,
        Some(AuthorisedSignatory {
            uid: String::new(),
            first_names: "As".into(),
            last_name: "Signer".into()
        })
    );
    let witness = f.independent_witness.clone().expect("kept");
    assert_eq!((witness.uid.as_str(), witness.phone.as_str()), ("", "0800"));
    assert_eq!(
        f.witnessed_by_independent_witness_at,
        Some(t("2024-01-13T22:00:00Z"))
    );
    // A signatory the trust corporation does not have: Go indexes past its slice.
    assert!(panics(
        "CORRECTION",
        vec![ch(
            "/trustCorporations/0/signatories/1/firstNames",
            Value::Null,
            json!("C")
        )],
        &lpa
    ));
}

#[test]
fn decision_keys_are_asked_for_only_where_they_apply() {
    use HowMakeDecisions as H;
    // "valid attorney decisions update"
    let mut two = Lpa::default();
    two.fields.attorneys = vec![active(), active()];
    two.fields.how_attorneys_make_decisions = H::JointlyAndSeverally;
    let after = run(
        "CORRECTION",
        vec![ch(
            "/howAttorneysMakeDecisions",
            json!("jointly-and-severally"),
            json!("jointly"),
        )],
        &two,
    )
    .expect("corrected");
    assert_eq!(after.fields.how_attorneys_make_decisions, H::Jointly);
    // "valid replacement attorneys step in update"
    let mut step_in = Lpa::default();
    step_in.fields.attorneys = vec![replacement(AttorneyStatus::Inactive)];
    step_in.fields.how_attorneys_make_decisions = H::JointlyAndSeverally;
    step_in.fields.how_replacement_attorneys_step_in = HowStepIn::AllCanNoLongerAct;
    let after = run(
        "CORRECTION",
        vec![ch(
            "/howReplacementAttorneysStepIn",
            json!("all-can-no-longer-act"),
            json!("one-can-no-longer-act"),
        )],
        &step_in,
    )
    .expect("corrected");
    assert_eq!(
        after.fields.how_replacement_attorneys_step_in,
        HowStepIn::OneCanNoLongerAct
    );
    // "valid replacement attorney decisions with details update"
    let mut replacements = Lpa::default();
    replacements.fields.attorneys = vec![
        replacement(AttorneyStatus::Inactive),
        replacement(AttorneyStatus::Inactive),
    ];
    replacements.fields.how_replacement_attorneys_make_decisions = H::JointlyAndSeverally;
    let after = run(
        "CORRECTION",
        vec![
            ch(
                "/howReplacementAttorneysMakeDecisions",
                json!("jointly-and-severally"),
                json!("jointly-for-some-severally-for-others"),
            ),
            ch(
                "/howReplacementAttorneysMakeDecisionsDetails",
                Value::Null,
                json!("blah"),
            ),
        ],
        &replacements,
    )
    .expect("corrected");
    assert_eq!(
        after
            .fields
            .how_replacement_attorneys_make_decisions_details,
        "blah"
    );
    // "valid life sustaining treatment update", "valid when can use update"
    let mut pw = Lpa::default();
    pw.fields.lpa_type = LpaType::PersonalWelfare;
    pw.fields.life_sustaining_treatment_option = LifeSustainingTreatment::OptionA;
    pw.fields.life_sustaining_treatment_option_is_default = true;
    let after = run(
        "CORRECTION",
        vec![ch(
            "/lifeSustainingTreatmentOption",
            json!("option-a"),
            json!("option-b"),
        )],
        &pw,
    )
    .expect("corrected");
    assert_eq!(
        after.fields.life_sustaining_treatment_option,
        LifeSustainingTreatment::OptionB
    );
    assert!(!after.fields.life_sustaining_treatment_option_is_default);
    let mut pa = Lpa::default();
    pa.fields.lpa_type = LpaType::PropertyAndAffairs;
    pa.fields.when_the_lpa_can_be_used = CanUse::WhenHasCapacity;
    assert_eq!(
        errors_of(parse(
            "CORRECTION",
            vec![ch(
                "/whenTheLpaCanBeUsed",
                json!("when-has-capacity"),
                json!("when-capacity-lost")
            )],
            &pa
        )),
        vec![]
    );
    // "cannot change ..." cases: keys that do not apply are unexpected.
    let mut one = Lpa::default();
    one.fields.attorneys = vec![active()];
    assert_eq!(
        errors_of(parse(
            "CORRECTION",
            vec![ch(
                "/howAttorneysMakeDecisions",
                Value::Null,
                json!("jointly")
            )],
            &one
        )),
        vec![e("/changes/0", "unexpected change provided")]
    );
    assert_eq!(
        errors_of(parse(
            "CORRECTION",
            vec![
                ch(
                    "/howReplacementAttorneysStepIn",
                    Value::Null,
                    json!("one-can-no-longer-act")
                ),
                ch(
                    "/howReplacementAttorneysMakeDecisions",
                    Value::Null,
                    json!("jointly")
                ),
            ],
            &one
        )),
        vec![
            e("/changes/0", "unexpected change provided"),
            e("/changes/1", "unexpected change provided")
        ]
    );
    pa.fields.lpa_type = LpaType::PersonalWelfare;
    assert_eq!(
        errors_of(parse(
            "CORRECTION",
            vec![ch(
                "/whenTheLpaCanBeUsed",
                Value::Null,
                json!("when-capacity-lost")
            )],
            &pa
        )),
        vec![e("/changes/0", "unexpected change provided")]
    );
}

#[test]
fn an_omitted_decision_detail_text_is_cleared_or_required() {
    use HowMakeDecisions as H;
    let mut lpa = Lpa::default();
    lpa.fields.attorneys = vec![active(), active()];
    lpa.fields.how_attorneys_make_decisions = H::JointlyForSomeSeverallyForOthers;
    lpa.fields.how_attorneys_make_decisions_details = "some".into();
    assert_eq!(
        errors_of(parse(
            "CORRECTION",
            vec![ch("/donor/email", Value::Null, json!("a@example.com"))],
            &lpa
        )),
        vec![e("/changes", "missing /howAttorneysMakeDecisionsDetails")]
    );
    lpa.fields.how_attorneys_make_decisions = H::Jointly;
    let after = run(
        "CORRECTION",
        vec![ch("/donor/email", Value::Null, json!("a@example.com"))],
        &lpa,
    )
    .expect("corrected");
    assert_eq!(after.fields.how_attorneys_make_decisions_details, "");
}

#[test]
fn validation_errors() {
    // "no changes provided", "missing required fields", "invalid country", "invalid date values"
    assert_eq!(
        errors_of(parse("CORRECTION", vec![], &Lpa::default())),
        vec![e("/changes", "no changes provided")]
    );
    let mut lpa = Lpa::default();
    lpa.fields.attorneys = vec![Attorney {
        uid: UID.into(),
        ..Attorney::default()
    }];
    lpa.fields.trust_corporations = vec![TrustCorporation::default()];
    for attorney in ["0", UID] {
        let keys = [
            "/donor/firstNames".to_owned(),
            "/donor/lastName".to_owned(),
            format!("/attorneys/{attorney}/firstNames"),
            format!("/attorneys/{attorney}/lastName"),
            "/certificateProvider/firstNames".to_owned(),
            "/certificateProvider/lastName".to_owned(),
            "/trustCorporations/0/name".to_owned(),
            "/trustCorporations/0/companyNumber".to_owned(),
            "/authorisedSignatory/firstNames".to_owned(),
            "/authorisedSignatory/lastName".to_owned(),
            "/independentWitness/firstNames".to_owned(),
            "/independentWitness/lastName".to_owned(),
            "/independentWitness/phone".to_owned(),
        ];
        let changes = keys
            .iter()
            .map(|k| ch(k, Value::Null, Value::Null))
            .collect();
        assert_eq!(
            errors_of(parse("CORRECTION", changes, &lpa)),
            // In the order the parser asks: /donor, /certificateProvider, /attorneys, /trustCorporations, ...
            [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 10, 11, 12]
                .iter()
                .map(|i| e(&format!("/changes/{i}/new"), "field is required"))
                .collect::<Vec<_>>()
        );
    }
    let changes = vec![
        ch(
            "/donor/address/country",
            Value::Null,
            json!("United Kingdom"),
        ),
        ch(
            "/certificateProvider/address/country",
            Value::Null,
            json!("gb"),
        ),
        ch("/attorneys/0/address/country", Value::Null, json!("x")),
    ];
    assert_eq!(
        errors_of(parse("CORRECTION", changes, &lpa)),
        (0..3)
            .map(|i| e(
                &format!("/changes/{i}/new"),
                "must be a valid ISO-3166-1 country code"
            ))
            .collect::<Vec<_>>()
    );
    let changes = vec![
        ch(
            "/witnessedByCertificateProviderAt",
            Value::Null,
            json!("Invalid"),
        ),
        ch(
            "/witnessedByIndependentWitnessAt",
            Value::Null,
            json!("Invalid"),
        ),
    ];
    assert_eq!(
        errors_of(parse("CORRECTION", changes, &Lpa::default())),
        vec![
            e("/changes/0/new", "unexpected type"),
            e("/changes/1/new", "unexpected type")
        ]
    );
    assert_eq!(
        errors_of(parse(
            "CORRECTION",
            vec![ch("/donor/dateOfBirth", Value::Null, json!("2000-13-01"))],
            &Lpa::default()
        )),
        vec![e("/changes/0/new", "invalid format")]
    );
}
