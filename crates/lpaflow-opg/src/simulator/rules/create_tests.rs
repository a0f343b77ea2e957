//! lambda/create/validate_test.go, set_defaults_test.go, main_test.go (behaviour, not mocks)
use super::*;
use lpaflow_lpa::lpa_store::{
    AppointmentType, Attorney, AttorneyStatus, CanUse, CertificateProvider, Date, Donor,
    IdentityCheck, IdentityCheckType, IndependentWitness, Lang, LifeSustainingTreatment,
    TrustCorporation,
};

const UID: &str = "b99af83d-5b6c-44f7-8c03-14004699bdb9";

fn e(source: &str, detail: &str) -> FieldError {
    FieldError::new(source, detail)
}

fn valid_address() -> Address {
    Address {
        line1: "123 Main St".into(),
        country: "GB".into(),
        ..Address::default()
    }
}

fn attorney() -> Attorney {
    Attorney {
        uid: UID.into(),
        first_names: "Sharonda".into(),
        last_name: "Graciani".into(),
        address: valid_address(),
        appointment_type: AppointmentType::Original,
        email: "some@example.com".into(),
        channel: Channel::Online,
        date_of_birth: Date::from_text("1977-10-30"),
        status: AttorneyStatus::Active,
        ..Attorney::default()
    }
}

fn replacement() -> Attorney {
    Attorney {
        appointment_type: AppointmentType::Replacement,
        status: AttorneyStatus::Inactive,
        ..attorney()
    }
}

fn trust_corporation() -> TrustCorporation {
    TrustCorporation {
        uid: "af2f7aa6-2f8e-4311-af2a-4855c4686d30".into(),
        name: "corp".into(),
        email: "corp@example.com".into(),
        address: valid_address(),
        appointment_type: AppointmentType::Original,
        status: AttorneyStatus::Active,
        channel: Channel::Online,
        ..TrustCorporation::default()
    }
}

/// makeLpaWithDonorAndActors
fn lpa() -> LpaFields {
    LpaFields {
        lpa_type: LpaType::PropertyAndAffairs,
        channel: Channel::Online,
        language: Lang::En,
        donor: Donor {
            uid: UID.into(),
            first_names: "Otto".into(),
            last_name: "Boudreau".into(),
            address: valid_address(),
            contact_language_preference: Lang::En,
            date_of_birth: Date::from_text("1956-08-08"),
            ..Donor::default()
        },
        certificate_provider: CertificateProvider {
            uid: UID.into(),
            first_names: "Some".into(),
            last_name: "Person".into(),
            address: valid_address(),
            email: "some@example.com".into(),
            channel: Channel::Online,
            phone: "077777".into(),
            ..CertificateProvider::default()
        },
        attorneys: vec![attorney()],
        signed_at: go_time::parse("2024-01-10T23:00:00Z"),
        witnessed_by_certificate_provider_at: go_time::parse("2024-01-11T01:00:00Z"),
        when_the_lpa_can_be_used: CanUse::WhenHasCapacity,
        ..LpaFields::default()
    }
}

fn with(change: impl FnOnce(&mut LpaFields)) -> Vec<FieldError> {
    let mut l = lpa();
    change(&mut l);
    validate(&l)
}

#[test]
fn an_empty_lpa_lists_every_missing_field_in_order() {
    // TestValidateLpaInvalid "empty"
    let sources: Vec<FieldError> = validate(&LpaFields::default());
    let required = |s: &str| e(s, "field is required");
    assert_eq!(
        sources,
        vec![
            required("/lpaType"),
            required("/channel"),
            required("/language"),
            required("/donor/uid"),
            required("/donor/firstNames"),
            required("/donor/lastName"),
            required("/donor/dateOfBirth"),
            required("/donor/address/line1"),
            required("/donor/address/country"),
            e(
                "/donor/address/country",
                "must be a valid ISO-3166-1 country code"
            ),
            required("/donor/contactLanguagePreference"),
            required("/certificateProvider/uid"),
            required("/certificateProvider/firstNames"),
            required("/certificateProvider/lastName"),
            required("/certificateProvider/address/line1"),
            required("/certificateProvider/address/country"),
            e(
                "/certificateProvider/address/country",
                "must be a valid ISO-3166-1 country code"
            ),
            required("/certificateProvider/channel"),
            required("/certificateProvider/phone"),
            e("/attorneys", "at least one attorney is required"),
            required("/signedAt"),
            required("/witnessedByCertificateProviderAt"),
        ]
    );
}

#[test]
fn empty_and_invalid_actors() {
    // TestValidateAttorneyEmpty, TestValidateAttorneyMalformedDateOfBirth, TestValidateAttorneyInvalidStatus,
    // TestValidateTrustCorporationEmpty, TestValidateTrustCorporationInvalidStatus
    let errors = with(|l| l.attorneys = vec![Attorney::default()]);
    let sources: Vec<&str> = errors.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(
        sources,
        [
            "/attorneys/0/uid",
            "/attorneys/0/firstNames",
            "/attorneys/0/lastName",
            "/attorneys/0/dateOfBirth",
            "/attorneys/0/address/line1",
            "/attorneys/0/address/country",
            "/attorneys/0/address/country",
            "/attorneys/0/status",
            "/attorneys/0/channel",
            "/attorneys/0/appointmentType",
            // active 0: howAttorneysMakeDecisions must be unset; nothing else
        ]
    );
    let malformed = with(|l| l.attorneys[0].date_of_birth = Date::from_text("1977-30-10"));
    assert_eq!(
        malformed,
        vec![e("/attorneys/0/dateOfBirth", "invalid format")]
    );
    let status = with(|l| l.attorneys[0].status = AttorneyStatus::Other("bad".into()));
    assert_eq!(status[0], e("/attorneys/0/status", "invalid value"));
    let tc = with(|l| l.trust_corporations = vec![TrustCorporation::default()]);
    let sources: Vec<&str> = tc.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(
        sources,
        [
            "/trustCorporations/0/uid",
            "/trustCorporations/0/name",
            "/trustCorporations/0/address/line1",
            "/trustCorporations/0/address/country",
            "/trustCorporations/0/address/country",
            "/trustCorporations/0/status",
            "/trustCorporations/0/channel",
            "/trustCorporations/0/appointmentType",
        ]
    );
    let uuid_format = with(|l| l.donor.uid = "a-1".into());
    assert_eq!(uuid_format, vec![e("/donor/uid", "invalid format")]);
}

#[test]
fn the_rules_of_validate_test() {
    // TestValidateLpaInvalid, case by case
    let not_provided = "field must not be provided";
    let required = "field is required";
    assert_eq!(
        with(|l| l.certificate_provider.email.clear()),
        vec![e("/certificateProvider/email", required)]
    );
    assert_eq!(
        with(|l| l.certificate_provider.channel = Channel::Paper),
        vec![e("/certificateProvider/email", not_provided)]
    );
    assert_eq!(
        with(|l| l.how_attorneys_make_decisions = HowMakeDecisions::Jointly),
        vec![e("/howAttorneysMakeDecisions", not_provided)]
    );
    assert_eq!(
        with(|l| l.attorneys.push(attorney())),
        vec![e("/howAttorneysMakeDecisions", required)]
    );
    assert_eq!(
        with(|l| {
            l.attorneys.push(attorney());
            l.how_attorneys_make_decisions = HowMakeDecisions::JointlyForSomeSeverallyForOthers;
        }),
        vec![e("/howAttorneysMakeDecisionsDetails", required)]
    );
    assert_eq!(
        with(|l| {
            l.attorneys.push(attorney());
            l.how_attorneys_make_decisions = HowMakeDecisions::Jointly;
            l.how_attorneys_make_decisions_details = "something".into();
        }),
        vec![e("/howAttorneysMakeDecisionsDetails", not_provided)]
    );
    assert_eq!(
        with(|l| l.attorneys[0].email.clear()),
        vec![e("/attorneys/0/email", required)]
    );
    assert_eq!(
        with(|l| l.attorneys[0].channel = Channel::Paper),
        vec![e("/attorneys/0/email", not_provided)]
    );
    assert_eq!(
        with(|l| {
            l.attorneys.push(replacement());
            l.how_replacement_attorneys_make_decisions = HowMakeDecisions::Jointly;
        }),
        vec![e("/howReplacementAttorneysMakeDecisions", not_provided)]
    );
    assert_eq!(
        with(|l| l.attorneys.extend([replacement(), replacement()])),
        vec![e("/howReplacementAttorneysMakeDecisions", required)]
    );
    let jointly_and_severally = |l: &mut LpaFields| {
        l.attorneys = vec![replacement(), replacement(), attorney(), attorney()];
        l.how_attorneys_make_decisions = HowMakeDecisions::JointlyAndSeverally;
    };
    assert_eq!(
        with(jointly_and_severally),
        vec![e("/howReplacementAttorneysStepIn", required)]
    );
    assert_eq!(
        with(|l| {
            jointly_and_severally(l);
            l.how_replacement_attorneys_step_in = HowStepIn::AnotherWay;
        }),
        vec![e("/howReplacementAttorneysStepInDetails", required)]
    );
    assert_eq!(
        with(|l| {
            jointly_and_severally(l);
            l.how_replacement_attorneys_step_in = HowStepIn::AllCanNoLongerAct;
        }),
        vec![e("/howReplacementAttorneysMakeDecisions", required)]
    );
    assert_eq!(
        with(|l| {
            jointly_and_severally(l);
            l.how_replacement_attorneys_step_in = HowStepIn::OneCanNoLongerAct;
            l.how_replacement_attorneys_make_decisions = HowMakeDecisions::Jointly;
        }),
        vec![e("/howReplacementAttorneysMakeDecisions", not_provided)]
    );
    assert_eq!(
        with(|l| {
            l.attorneys = vec![replacement(), replacement(), attorney()];
            l.how_replacement_attorneys_make_decisions =
                HowMakeDecisions::JointlyForSomeSeverallyForOthers;
        }),
        vec![e("/howReplacementAttorneysMakeDecisionsDetails", required)]
    );
    assert_eq!(
        with(|l| {
            l.attorneys = vec![replacement(), replacement(), attorney()];
            l.how_replacement_attorneys_make_decisions = HowMakeDecisions::Jointly;
            l.how_replacement_attorneys_make_decisions_details = "something".into();
        }),
        vec![e(
            "/howReplacementAttorneysMakeDecisionsDetails",
            not_provided
        )]
    );
    assert_eq!(
        with(|l| l.lpa_type = LpaType::PersonalWelfare),
        vec![
            e("/lifeSustainingTreatmentOption", required),
            e("/whenTheLpaCanBeUsed", not_provided)
        ]
    );
    assert_eq!(
        with(|l| {
            l.when_the_lpa_can_be_used = CanUse::Unset;
            l.life_sustaining_treatment_option = LifeSustainingTreatment::OptionA;
        }),
        vec![
            e("/whenTheLpaCanBeUsed", required),
            e("/lifeSustainingTreatmentOption", not_provided)
        ]
    );
    let mut paper_tc = trust_corporation();
    paper_tc.channel = Channel::Paper;
    assert_eq!(
        with(|l| {
            l.trust_corporations = vec![paper_tc];
            l.how_attorneys_make_decisions = HowMakeDecisions::Jointly;
        }),
        vec![e("/trustCorporations/0/email", not_provided)]
    );
    assert_eq!(
        with(|l| {
            l.donor.identity_check = Some(IdentityCheck {
                checked_at: None,
                kind: IdentityCheckType::Other("what".into()),
            })
        }),
        vec![
            e("/donor/identityCheck/checkedAt", required),
            e("/donor/identityCheck/type", "invalid value")
        ]
    );
    assert_eq!(
        with(|l| {
            l.independent_witness = Some(IndependentWitness {
                uid: UID.into(),
                first_names: "Some".into(),
                last_name: "Person".into(),
                address: valid_address(),
                phone: "077777".into(),
            })
        }),
        vec![e("/witnessedByIndependentWitnessAt", required)]
    );
    assert_eq!(
        with(|l| l.certificate_provider_not_related_confirmed_at =
            go_time::parse(go_time::ZERO_TIME)),
        vec![e(
            "/certificateProviderNotRelatedConfirmedAt",
            "must be a valid datetime"
        )]
    );
}

#[test]
fn a_valid_lpa_has_no_errors() {
    // TestValidateLpaValid
    assert_eq!(
        with(|l| {
            l.trust_corporations = vec![trust_corporation()];
            l.how_attorneys_make_decisions = HowMakeDecisions::Jointly;
        }),
        vec![]
    );
}

#[test]
fn a_paper_lpa_with_mixed_decisions_names_the_images_but_checks_the_text() {
    // validate.go: the paper branch reports /howAttorneysMakeDecisionsDetailsImages for an empty details text
    let errors = with(|l| {
        l.channel = Channel::Paper;
        l.attorneys.push(attorney());
        l.how_attorneys_make_decisions = HowMakeDecisions::JointlyForSomeSeverallyForOthers;
    });
    assert_eq!(
        errors,
        vec![e(
            "/howAttorneysMakeDecisionsDetailsImages",
            "field is required"
        )]
    );
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

#[test]
fn online_lpas_with_errors_are_refused_and_paper_ones_stored() {
    // main_test.go: TestLambdaHandleEventWhenValidationErrors / ...WhenPaperSubmittedWithValidationErrors
    let init = |channel| LpaInit {
        fields: LpaFields {
            channel,
            ..LpaFields::default()
        },
        ..LpaInit::default()
    };
    assert!(matches!(
        created_lpa("M-1", init(Channel::Online), now()),
        Err(Refusal::Invalid(_))
    ));
    let stored = created_lpa("M-1", init(Channel::Paper), now()).expect("stored anyway");
    assert_eq!(stored.status, LpaStatus::InProgress);
    assert_eq!(stored.uid, "M-1");
    assert!(
        uuid(&stored.fields.donor.uid).is_none(),
        "actor uids are filled"
    );
    assert!(uuid(&stored.fields.certificate_provider.uid).is_none());
}

#[test]
fn paper_images_are_stored_by_path_and_hash() {
    // main_test.go: TestLambdaHandleEventWithImages; docs/example-lpa-all-paper.json's "aGVsbG8K" is "hello\n"
    let mut init = LpaInit::default();
    init.fields.channel = Channel::Paper;
    init.restrictions_and_conditions_images = vec![FileUpload {
        filename: "my-restrictions.png".into(),
        data: "aGVsbG8K".into(),
    }];
    init.how_attorneys_make_decisions_details_images = vec![FileUpload {
        filename: "my-decisions.png".into(),
        data: "aGVs\nbG8K".into(),
    }];
    let stored = created_lpa("M-1", init.clone(), now()).expect("stored");
    let hello = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    assert_eq!(
        stored.restrictions_and_conditions_images,
        vec![File {
            path: "M-1/scans/rc_0_my-restrictions.png".into(),
            hash: hello.into()
        }]
    );
    assert_eq!(
        stored.how_attorneys_make_decisions_details_images,
        vec![File {
            path: "M-1/scans/amd_0_my-decisions.png".into(),
            hash: hello.into()
        }]
    );
    init.restrictions_and_conditions_images[0].data = "not base64!".into();
    assert!(matches!(
        created_lpa("M-1", init.clone(), now()),
        Err(Refusal::ServerError(_))
    ));
    init.fields.channel = Channel::Online;
    init.fields = lpa();
    let online = created_lpa("M-1", init, now()).expect("valid online LPA");
    assert!(
        online.restrictions_and_conditions_images.is_empty(),
        "only paper LPAs keep images"
    );
}

#[test]
fn defaults_are_set_before_validation() {
    // set_defaults_test.go
    let filled = set_defaults(LpaFields {
        lpa_type: LpaType::PersonalWelfare,
        attorneys: vec![attorney(), attorney(), replacement(), replacement()],
        ..LpaFields::default()
    });
    assert_eq!(
        filled.how_attorneys_make_decisions,
        HowMakeDecisions::Jointly
    );
    assert!(filled.how_attorneys_make_decisions_is_default);
    assert_eq!(
        filled.how_replacement_attorneys_make_decisions,
        HowMakeDecisions::Jointly
    );
    assert!(filled.how_replacement_attorneys_make_decisions_is_default);
    assert_eq!(
        filled.life_sustaining_treatment_option,
        LifeSustainingTreatment::OptionB
    );
    assert!(filled.life_sustaining_treatment_option_is_default);
    let kept = set_defaults(LpaFields {
        lpa_type: LpaType::PropertyAndAffairs,
        attorneys: vec![attorney(), attorney(), replacement(), replacement()],
        how_attorneys_make_decisions: HowMakeDecisions::JointlyAndSeverally,
        how_replacement_attorneys_step_in: HowStepIn::OneCanNoLongerAct,
        ..LpaFields::default()
    });
    assert!(kept.how_replacement_attorneys_make_decisions.is_unset());
    assert_eq!(kept.when_the_lpa_can_be_used, CanUse::WhenHasCapacity);
}
