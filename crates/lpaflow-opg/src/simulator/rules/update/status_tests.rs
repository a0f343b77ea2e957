//! statutory_waiting_period_test.go, register_test.go, donor_withdraw_lpa_test.go, opg_change_status_test.go
use super::super::test_support::*;
use lpaflow_lpa::lpa_store::{
    Attorney, AttorneyStatus, Lpa, LpaStatus, Signatory, TrustCorporation,
};
use serde_json::{Value, json};

fn at(status: LpaStatus) -> Lpa {
    Lpa {
        status,
        ..Lpa::default()
    }
}

fn signed_lpa() -> Lpa {
    let signed = Some(t("2024-01-01T00:00:00Z"));
    let mut lpa = at(LpaStatus::InProgress);
    lpa.fields.signed_at = signed;
    lpa.fields.certificate_provider.signed_at = signed;
    lpa.fields.attorneys = vec![
        Attorney {
            signed_at: signed,
            ..Attorney::default()
        },
        Attorney {
            status: AttorneyStatus::Removed,
            ..Attorney::default()
        },
    ];
    lpa.fields.trust_corporations = vec![
        TrustCorporation {
            signatories: vec![Signatory {
                signed_at: signed,
                ..Signatory::default()
            }],
            ..TrustCorporation::default()
        },
        TrustCorporation {
            status: AttorneyStatus::Removed,
            signatories: vec![Signatory::default()],
            ..TrustCorporation::default()
        },
    ];
    lpa
}

#[test]
fn statutory_waiting_period_needs_every_signature() {
    // TestStatutoryWaitingPeriodApply, TestStatutoryWaitingPeriodApplyWhenUnsigned
    for kind in ["STATUTORY_WAITING_PERIOD", "PERFECT"] {
        let after = run(kind, vec![], &signed_lpa()).expect("enters the waiting period");
        assert_eq!(after.status, LpaStatus::StatutoryWaitingPeriod);
    }
    let mut unsigned = signed_lpa();
    unsigned.fields.signed_at = None;
    assert_eq!(
        run("PERFECT", vec![], &unsigned),
        Err(vec![e("/type", "lpa must be signed")])
    );
    let mut no_certificate = signed_lpa();
    no_certificate.fields.certificate_provider.signed_at = None;
    assert_eq!(
        run("PERFECT", vec![], &no_certificate),
        Err(vec![e("/type", "lpa must have a certificate")])
    );
    let mut attorney = signed_lpa();
    attorney.fields.attorneys[0].signed_at = None;
    assert_eq!(
        run("PERFECT", vec![], &attorney),
        Err(vec![e("/type", "lpa must be signed by attorneys")])
    );
    let mut tc = signed_lpa();
    tc.fields.trust_corporations[0]
        .signatories
        .push(Signatory::default());
    assert_eq!(
        run("PERFECT", vec![], &tc),
        Err(vec![e("/type", "lpa must be signed by trust corporations")])
    );
    // TestRegisterApplyWhenNotInProgress (statutory_waiting_period_test.go)
    for status in [
        LpaStatus::StatutoryWaitingPeriod,
        LpaStatus::Registered,
        LpaStatus::Withdrawn,
    ] {
        assert_eq!(
            run("STATUTORY_WAITING_PERIOD", vec![], &at(status)),
            Err(vec![e(
                "/type",
                "status must be in-progress to enter statutory-waiting-period"
            )])
        );
    }
    // TestValidateStatutoryWaitingPeriodWhenChanges
    assert_eq!(
        errors_of(parse(
            "STATUTORY_WAITING_PERIOD",
            vec![ch("/a", Value::Null, json!(1))],
            &Lpa::default()
        )),
        vec![e("/changes", "expected empty")]
    );
}

#[test]
fn register_from_the_waiting_period_sets_the_registration_date() {
    // TestRegisterApply, TestRegisterApplyWhenNotStatutoryWaitingPeriod, TestValidateRegisterWhenChanges
    let after = run("REGISTER", vec![], &at(LpaStatus::StatutoryWaitingPeriod)).expect("registers");
    assert_eq!(after.status, LpaStatus::Registered);
    assert_eq!(after.registration_date, Some(now().fixed_offset()));
    for status in [LpaStatus::InProgress, LpaStatus::Registered] {
        assert_eq!(
            run("REGISTER", vec![], &at(status)),
            Err(vec![e(
                "/type",
                "status must be statutory-waiting-period to register"
            )])
        );
    }
    assert_eq!(
        errors_of(parse(
            "REGISTER",
            vec![ch("/a", Value::Null, json!(1))],
            &Lpa::default()
        )),
        vec![e("/changes", "expected empty")]
    );
}

#[test]
fn donor_withdraws_unless_withdrawn_registered_or_unregisterable() {
    // TestDonorWithdrawLPA, TestDonorWithdrawLPAInvalidStatuses, TestValidateDonorWithdrawLPAWithChanges
    let after = run("DONOR_WITHDRAW_LPA", vec![], &at(LpaStatus::InProgress)).expect("withdraws");
    assert_eq!(after.status, LpaStatus::Withdrawn);
    for (status, detail) in [
        (LpaStatus::Withdrawn, "lpa has already been withdrawn"),
        (LpaStatus::Registered, "cannot withdraw a registered lpa"),
        (
            LpaStatus::CannotRegister,
            "cannot withdraw an unregisterable lpa",
        ),
    ] {
        assert_eq!(
            run("DONOR_WITHDRAW_LPA", vec![], &at(status)),
            Err(vec![e("/type", detail)])
        );
    }
    assert_eq!(
        errors_of(parse(
            "DONOR_WITHDRAW_LPA",
            vec![ch("/a", Value::Null, json!(1))],
            &Lpa::default()
        )),
        vec![e("/changes", "expected empty")]
    );
}

#[test]
fn opg_status_changes_follow_their_rules() {
    // opg_change_status_test.go
    let change = |from: LpaStatus, to: LpaStatus| {
        run(
            "OPG_STATUS_CHANGE",
            vec![ch("/status", json!(from.as_str()), json!(to.as_str()))],
            &at(from.clone()),
        )
        .map(|l| l.status)
    };
    use LpaStatus as S;
    assert_eq!(
        change(S::InProgress, S::CannotRegister),
        Ok(S::CannotRegister)
    );
    assert_eq!(change(S::Registered, S::Cancelled), Ok(S::Cancelled));
    assert_eq!(
        change(S::StatutoryWaitingPeriod, S::DoNotRegister),
        Ok(S::DoNotRegister)
    );
    assert_eq!(
        change(S::StatutoryWaitingPeriod, S::Expired),
        Ok(S::Expired)
    );
    let refused =
        |from, to, detail: &str| assert_eq!(change(from, to), Err(vec![e("/status", detail)]));
    refused(
        S::InProgress,
        S::Withdrawn,
        "Lpa cannot be manually updated to this status",
    );
    refused(
        S::Registered,
        S::CannotRegister,
        "Lpa status cannot be registered while changing to cannot register",
    );
    refused(
        S::Cancelled,
        S::CannotRegister,
        "Lpa status cannot be cancelled while changing to cannot register",
    );
    refused(
        S::InProgress,
        S::Cancelled,
        "Lpa status has to be registered while changing to cancelled",
    );
    refused(
        S::InProgress,
        S::DoNotRegister,
        "Lpa status has to be statutory waiting period while changing to do not register",
    );
    refused(
        S::Registered,
        S::Expired,
        "Lpa status has to be in progress, statutory waiting period or do not register while changing to expired",
    );
    // TestValidateUpdateOPGChangeStatus
    assert_eq!(
        errors_of(parse(
            "OPG_STATUS_CHANGE",
            vec![ch("/status", json!("in-progress"), json!("never-register"))],
            &at(S::InProgress)
        )),
        vec![e("/changes/0/new", "invalid value")]
    );
    assert_eq!(
        errors_of(parse(
            "OPG_STATUS_CHANGE",
            vec![ch("/status", json!("registered"), json!("cancelled"))],
            &at(S::InProgress)
        )),
        vec![e("/changes/0/old", "does not match existing value")]
    );
    assert_eq!(
        errors_of(parse("OPG_STATUS_CHANGE", vec![], &at(S::InProgress))),
        vec![e("/changes", "missing /status")]
    );
}
