//! Whole LPAs through the real `workflows/lpa.toml`: the happy path to `registered`, the OPG steps it sends,
//! the waiting period with objections, status changes and sync problems.

mod common;

use common::{Lpa, UID, application, problem_pointers, t0, unmet_codes};
use lpaflow_core::Rejection;
use serde_json::json;

#[test]
fn happy_path_reaches_registered_and_sends_each_step_once() {
    let mut lpa = Lpa::create(application());
    assert_eq!(lpa.state(), "created");
    // Identity checked while drafting: OPG does not hold the LPA yet, so nothing is sent...
    let checked = t0().to_rfc3339();
    lpa.service(
        "confirm_donor_identity",
        json!({"type": "one-login", "checkedAt": checked}),
    );
    assert!(lpa.has_timer("deadline.donor_signature"));
    lpa.service("submit", json!({}));
    assert_eq!(
        lpa.state(),
        "discount_eligibility",
        "safeguarding cleared at once"
    );
    lpa.service(
        "record_payment",
        json!({"amountPence": 9200, "reference": "PAY-1"}),
    );
    assert_eq!(lpa.state(), "signing", "fee settled");
    lpa.advance_days(1);
    let checked = lpa.now.to_rfc3339();
    lpa.service(
        "confirm_certificate_provider_identity",
        json!({"type": "opg-paper-id", "checkedAt": checked}),
    );
    assert!(
        lpa.steps.is_empty(),
        "no OPG step before the donor signs: {:?}",
        lpa.step_names()
    );
    // ...until the donor signs: the LPA goes to OPG as the donor executed it, with what was checked so far.
    lpa.service("sign_as_donor", json!({}));
    let create = lpa.last_step();
    assert_eq!(create.name, "opg.create");
    assert_eq!(create.payload["uid"], UID);
    let body = &create.payload["lpa"];
    assert_eq!(body["donor"]["identityCheck"]["type"], "one-login");
    assert_eq!(
        body["certificateProvider"]["identityCheck"]["type"],
        "opg-paper-id"
    );
    assert_eq!(body["signedAt"], "2026-01-06T09:00:00Z");
    assert_eq!(
        body["witnessedByCertificateProviderAt"],
        "2026-01-06T09:00:00Z"
    );
    assert_eq!(body["attorneys"][0]["status"], "active");
    assert_eq!(body["attorneys"][1]["status"], "inactive");
    assert!(
        !lpa.has_timer("deadline.donor_signature"),
        "met deadlines lose their timers"
    );
    assert!(lpa.has_timer("deadline.certificate_provider_signature"));
    lpa.service("sign_as_certificate_provider", json!({}));
    let refused = lpa.refused("enter_waiting_period", "service", json!({}));
    assert_eq!(
        unmet_codes(&refused),
        ["missing_signature", "missing_signature"],
        "both attorneys named (the LPA Store wants replacements' signatures too)"
    );
    for uid in lpa.attorney_uids() {
        lpa.service(
            "sign_as_attorney",
            json!({"uid": uid, "confirmedNotBankrupt": true}),
        );
    }
    lpa.service("enter_waiting_period", json!({}));
    assert_eq!(lpa.state(), "statutory_waiting_period");
    assert!(
        lpa.timers.iter().all(|t| t.name == "waiting_period"),
        "deadline timers cancelled: {:?}",
        lpa.timers
    );

    lpa.advance_days(27);
    assert!(lpa.instance.awaiting.is_none(), "nothing before 28 days");
    lpa.advance_days(1);
    let awaiting = lpa
        .instance
        .awaiting
        .clone()
        .expect("registration requested");
    assert_eq!(awaiting.step, "opg.update:REGISTER");
    lpa.confirm_step();
    assert_eq!(lpa.state(), "registered");
    assert_eq!(lpa.data()["statusChanges"][1]["status"], "registered");

    assert_eq!(
        lpa.step_names(),
        [
            "opg.create",
            "opg.update:CERTIFICATE_PROVIDER_SIGN",
            "opg.update:ATTORNEY_SIGN",
            "opg.update:ATTORNEY_SIGN",
            "opg.update:STATUTORY_WAITING_PERIOD",
            "opg.update:REGISTER",
        ]
    );
    for step in &lpa.steps[1..] {
        let kind = step.payload["type"].as_str().expect("type");
        if ["STATUTORY_WAITING_PERIOD", "REGISTER"].contains(&kind) {
            assert_eq!(step.payload["changes"], json!([]), "{kind}");
        }
    }
    let seqs: Vec<u64> = lpa.history.iter().map(|h| h.seq).collect();
    assert_eq!(
        seqs,
        (1..=lpa.instance.revision).collect::<Vec<_>>(),
        "history has no gaps"
    );
}

#[test]
fn the_create_carries_only_what_the_lpa_store_models() {
    let mut lpa = Lpa::ready_to_sign(application());
    lpa.service("sign_as_donor", json!({}));
    let body = lpa.last_step().payload["lpa"].clone();
    assert_eq!(body.get("fee"), None, "the fee never leaves lpaflow");
    let cp = &body["certificateProvider"];
    assert_eq!(cp.get("relationship"), None);
    assert_eq!(cp.get("dateOfBirth"), None);
    assert_eq!(cp["phone"], "07700900000");
    assert_eq!(cp["channel"], "online");
    assert_eq!(body["language"], "en");
    assert_eq!(body["donor"]["contactLanguagePreference"], "en");
    for actor in [
        &body["donor"],
        cp,
        &body["attorneys"][0],
        &body["attorneys"][1],
    ] {
        let uid = actor["uid"].as_str().expect("every actor has a uid");
        assert!(lpaflow_lpa::validation::uuid_well_formed(uid), "{uid}");
    }
    // Read into the store's own type and written back: nothing is lost, so nothing was outside its model.
    let typed: lpaflow_lpa::lpa_store::LpaInit =
        serde_json::from_value(body.clone()).expect("the store's shape");
    assert_eq!(serde_json::to_value(typed).expect("json"), body);
}

#[test]
fn update_payloads_name_their_keys_with_old_and_new_values() {
    let mut lpa = Lpa::ready_to_sign(application());
    lpa.service("sign_as_donor", json!({}));
    lpa.service(
        "sign_as_certificate_provider",
        json!({"contactLanguagePreference": "cy"}),
    );
    let cp = lpa.last_step().payload.clone();
    assert_eq!(cp["type"], "CERTIFICATE_PROVIDER_SIGN");
    assert_eq!(
        cp["changes"],
        json!([
            {"key": "/certificateProvider/contactLanguagePreference", "old": null, "new": "cy"},
            {"key": "/certificateProvider/signedAt", "old": null, "new": "2026-01-05T09:00:00Z"}
        ])
    );
    let uid = lpa.attorney_uids()[0].clone();
    lpa.service(
        "sign_as_attorney",
        json!({"uid": uid, "confirmedNotBankrupt": true, "mobile": "07700900123"}),
    );
    assert_eq!(
        lpa.last_step().payload["changes"],
        json!([
            {"key": format!("/attorneys/{uid}/mobile"), "old": null, "new": "07700900123"},
            {"key": format!("/attorneys/{uid}/signedAt"), "old": null, "new": "2026-01-05T09:00:00Z"}
        ])
    );
}

fn in_waiting_period() -> Lpa {
    let mut lpa = Lpa::ready_to_sign(application());
    lpa.sign_all();
    lpa.service("enter_waiting_period", json!({}));
    assert_eq!(lpa.state(), "statutory_waiting_period");
    lpa
}

#[test]
fn an_upheld_objection_stops_registration() {
    let mut lpa = in_waiting_period();
    lpa.caseworker(
        "raise_objection",
        json!({"detail": "the donor's son objects"}),
    );
    lpa.advance_days(28);
    assert!(
        lpa.instance.awaiting.is_none(),
        "an open objection holds registration"
    );
    assert!(lpa.data()["waitingPeriod"]["elapsedAt"].is_string());
    lpa.caseworker(
        "uphold_objection",
        json!({"objection": "O1", "reason": "undue pressure"}),
    );
    assert_eq!(lpa.state(), "do_not_register");
    assert_eq!(
        lpa.last_step().payload["changes"][0]["new"],
        "do-not-register"
    );
}

#[test]
fn a_dismissed_objection_lets_registration_go_ahead() {
    let mut lpa = in_waiting_period();
    lpa.caseworker("raise_objection", json!({"detail": "a neighbour objects"}));
    lpa.advance_days(30);
    lpa.caseworker(
        "dismiss_objection",
        json!({"objection": "O1", "reason": "no grounds"}),
    );
    assert_eq!(
        lpa.instance.awaiting.as_ref().map(|a| a.step.as_str()),
        Some("opg.update:REGISTER")
    );
    let again = lpa.refused(
        "dismiss_objection",
        "caseworker",
        json!({"objection": "O1", "reason": "x"}),
    );
    assert!(matches!(again, Rejection::AwaitingSync { .. }), "{again:?}");
    lpa.confirm_step();
    assert_eq!(lpa.state(), "registered");
}

#[test]
fn status_changes_need_a_reason_from_caseworkers_but_not_from_the_donor() {
    let mut lpa = Lpa::create(application());
    let r = lpa.refused("change_status:expired", "caseworker", json!({}));
    assert_eq!(problem_pointers(&r), ["/reason"]);
    let mut withdrawn = Lpa::create(application());
    withdrawn.service("withdraw", json!({}));
    assert_eq!(withdrawn.state(), "withdrawn");
    assert!(
        withdrawn.steps.is_empty(),
        "never signed, so never in OPG: nothing to tell it"
    );
    lpa.caseworker("change_status:expired", json!({"reason": "not pursued"}));
    assert_eq!(lpa.data()["statusChanges"][0]["status"], "expired");
}

#[test]
fn a_status_change_after_the_donor_signed_goes_to_opg() {
    let mut lpa = Lpa::ready_to_sign(application());
    lpa.service("sign_as_donor", json!({}));
    lpa.caseworker(
        "change_status:cannot_register",
        json!({"reason": "the donor lacked capacity"}),
    );
    let step = lpa.last_step();
    assert_eq!(step.name, "opg.update:OPG_STATUS_CHANGE");
    assert_eq!(
        step.payload["changes"],
        json!([{"key": "/status", "old": "in-progress", "new": "cannot-register"}])
    );
}

#[test]
fn sync_problems_become_findings_for_a_caseworker() {
    let mut lpa = in_waiting_period();
    let problem = json!({"step": "opg.update:ATTORNEY_SIGN", "kind": "conflict",
                         "detail": "OPG holds another signing time"});
    lpa.ok("sync_problem", "system", problem.clone());
    lpa.ok("sync_problem", "system", problem);
    assert_eq!(
        lpa.findings(),
        [(
            "sync.conflict".into(),
            "opg.update:ATTORNEY_SIGN".into(),
            "detected".into()
        )]
    );
    lpa.advance_days(28);
    assert!(
        lpa.instance.awaiting.is_none(),
        "a blocking sync finding holds registration"
    );
    let id = lpa.finding_id("sync.conflict");
    lpa.caseworker(
        "resolve_finding",
        json!({"finding": id, "reason": "corrected in Sirius"}),
    );
    assert!(
        lpa.instance.awaiting.is_some(),
        "registration requested once it is resolved"
    );
}

/// A status change behind an awaited REGISTER would reach OPG after the registration, when the store refuses
/// it: the caseworker waits for OPG's answer. Once OPG refused the request for good, nothing is on its way and
/// the status change is the way out.
#[test]
fn a_status_change_waits_for_a_pending_registration_unless_opg_refused_it() {
    let mut lpa = in_waiting_period();
    lpa.advance_days(28);
    assert_eq!(
        lpa.instance.awaiting.as_ref().map(|a| a.step.as_str()),
        Some("opg.update:REGISTER")
    );
    let reason = json!({"reason": "a court order arrived"});
    for event in [
        "change_status:do_not_register",
        "change_status:cannot_register",
        "change_status:expired",
    ] {
        let r = lpa.refused(event, "caseworker", reason.clone());
        assert_eq!(unmet_codes(&r), ["registration_pending"], "{event}");
    }
    let other = json!({"step": "opg.update:ATTORNEY_SIGN", "kind": "failed", "detail": "refused"});
    lpa.ok("sync_problem", "system", other);
    let r = lpa.refused(
        "change_status:do_not_register",
        "caseworker",
        reason.clone(),
    );
    assert_eq!(
        unmet_codes(&r),
        ["registration_pending"],
        "another step's failure"
    );
    let refused = json!({"step": "opg.update:REGISTER", "kind": "failed",
                         "detail": "lpa must be signed by attorneys"});
    lpa.ok("sync_problem", "system", refused);
    lpa.caseworker("change_status:do_not_register", reason);
    assert_eq!(lpa.state(), "do_not_register");
    assert_eq!(lpa.instance.awaiting, None);
}

/// An LPA pinned to version 1 of the workflow never reaches OPG: its create went out at submit in a shape the
/// store refuses, so the updates today's rules would build are declined too.
#[test]
fn an_lpa_pinned_to_version_1_sends_nothing_to_opg() {
    let mut lpa = Lpa::ready_to_sign(application());
    // Today's transitions under version 1: only the version decides.
    let text =
        include_str!("../../../workflows/lpa.toml").replacen("version = 4", "version = 1", 1);
    lpa.def = lpaflow_spec::load("lpa-v1.toml", &text, &lpaflow_lpa::catalog()).expect("loads");
    lpa.instance.workflow.version = 1;
    lpa.sign_all();
    assert_eq!(lpa.state(), "signing");
    assert!(lpa.steps.is_empty(), "{:?}", lpa.step_names());
    let mut current = Lpa::ready_to_sign(application());
    current.sign_all();
    assert!(current.step_names().contains(&"opg.create"));
}
