//! Findings through the real `workflows/lpa.toml`: blocking findings and `submit`, caseworker decisions, a
//! fatal finding, deadlines passing on a manual clock, validation (online refused, paper as findings), the
//! not-related confirmation and locked fields.

mod common;

use chrono::TimeDelta;
use common::{Lpa, application, application_with, problem_pointers, t0, unmet_codes};
use serde_json::{Value, json};

fn young_attorney() -> Value {
    application_with(json!({"attorneys": [
        {"firstNames": "Young", "lastName": "Person", "dateOfBirth": "2008-03-01",
         "address": common::address("5 Road"), "appointmentType": "original", "channel": "paper"}
    ]}))
}

#[test]
fn a_blocking_finding_stops_submit_until_a_caseworker_accepts_it() {
    // Attorney 1 turns 18 on 2026-03-01: under 18 today.
    let mut lpa = Lpa::create(young_attorney());
    let subject = format!("attorney:{}", lpa.attorney_uids()[0]);
    assert_eq!(
        lpa.findings(),
        [("attorney.under_18".into(), subject, "detected".into())]
    );
    let refused = lpa.refused("submit", "service", json!({}));
    assert_eq!(unmet_codes(&refused), ["blocking_finding"]);
    assert!(
        refused.to_string().contains("attorney.under_18"),
        "{refused}"
    );

    let id = lpa.finding_id("attorney.under_18");
    let no_reason = lpa.refused("accept_finding", "caseworker", json!({"finding": id}));
    assert_eq!(problem_pointers(&no_reason), ["/reason"]);
    lpa.caseworker(
        "accept_finding",
        json!({"finding": id, "reason": "signs after the birthday"}),
    );
    lpa.service("submit", json!({}));
    assert_eq!(lpa.state(), "discount_eligibility");
}

#[test]
fn a_finding_clears_itself_when_time_or_data_fixes_it() {
    let mut lpa = Lpa::create(young_attorney());
    lpa.advance_days(55); // 2026-03-01: the attorney is 18 today
    lpa.service("submit", json!({}));
    assert_eq!(lpa.state(), "discount_eligibility");
    assert_eq!(lpa.findings()[0].2, "resolved");
}

#[test]
fn a_fatal_finding_means_the_lpa_cannot_be_registered() {
    let mut lpa = Lpa::create(application());
    lpa.service("submit", json!({}));
    assert_eq!(lpa.state(), "discount_eligibility");
    // A change reveals a personal certificate provider who has known the donor for one year.
    lpa.service(
        "update_application",
        json!({"certificateProvider": {"relationship": "personal", "knownForYears": 1}}),
    );
    assert_eq!(lpa.state(), "safeguarding", "blocking_finding_raised");
    let id = lpa.finding_id("certificate_provider.known_too_briefly");
    lpa.caseworker(
        "reject_finding",
        json!({"finding": id, "reason": "not a suitable certificate provider"}),
    );
    assert_eq!(lpa.state(), "cannot_register");
    assert!(
        lpa.steps.is_empty(),
        "caught before the donor signed: OPG never hears of it: {:?}",
        lpa.step_names()
    );
    let change = &lpa.data()["statusChanges"][0];
    assert_eq!(change["reason"], "not a suitable certificate provider");
    assert_eq!(change["status"], "cannot-register");
}

#[test]
fn a_missed_signing_deadline_raises_a_finding_on_time() {
    let mut lpa = Lpa::ready_to_sign(application());
    lpa.service("sign_as_donor", json!({}));
    // The last day to act is 2026-07-05: nothing on it, a warning the day after.
    lpa.advance_days(181);
    assert!(lpa.findings().is_empty(), "{:?}", lpa.findings());
    lpa.advance_days(1);
    assert!(lpa.findings().contains(&(
        "deadline.certificate_provider_acts".into(),
        "certificateProvider".into(),
        "detected".into()
    )));
    assert_eq!(lpa.state(), "signing", "a warning does not block");
    // Two years less a day: the certificate provider and the attorneys are late: blocking.
    lpa.advance_days(365 + 365 - 182);
    let late: Vec<String> = lpa
        .findings()
        .into_iter()
        .filter(|f| f.2 == "detected")
        .map(|f| f.0)
        .collect();
    assert!(
        late.contains(&"deadline.certificate_provider_signature".to_owned()),
        "{late:?}"
    );
    assert!(
        late.contains(&"deadline.attorney_signature".to_owned()),
        "{late:?}"
    );
    assert_eq!(
        lpa.state(),
        "safeguarding",
        "a blocking finding sends the LPA back"
    );
    assert!(
        lpa.timer_rejections.is_empty(),
        "{:?}",
        lpa.timer_rejections
    );
}

#[test]
fn a_lapsed_identity_check_blocks_until_it_is_done_again() {
    let mut lpa = Lpa::create(application());
    lpa.service(
        "confirm_donor_identity",
        json!({"type": "one-login", "checkedAt": t0().to_rfc3339()}),
    );
    let timer = lpa
        .timers
        .iter()
        .find(|t| t.name == "deadline.donor_signature")
        .expect("timer")
        .clone();
    assert_eq!(
        timer.fire_at.to_rfc3339(),
        "2026-07-05T23:00:00+00:00",
        "UK midnight (BST) ending 2026-07-05"
    );
    assert_eq!(timer.payload, json!({"deadline": "donor_signature"}));
    lpa.advance(TimeDelta::days(182));
    assert_eq!(
        lpa.findings()[0].0,
        "deadline.donor_signature",
        "the identity check lapsed unsigned"
    );
    let refused = lpa.refused("submit", "service", json!({}));
    assert_eq!(unmet_codes(&refused), ["blocking_finding"]);
    // A new identity check opens a new window: the finding resolves itself.
    let checked = lpa.now.to_rfc3339();
    lpa.service(
        "confirm_donor_identity",
        json!({"type": "one-login", "checkedAt": checked}),
    );
    assert_eq!(lpa.findings()[0].2, "resolved");
    lpa.service("submit", json!({}));
}

#[test]
fn online_applications_are_refused_with_every_problem() {
    let mut bad = application();
    bad["donor"]["dateOfBirth"] = json!("02/01/1950");
    bad["donor"]["address"]["postcode"] = json!("NOT A CODE");
    bad["certificateProvider"]["address"]["country"] = Value::Null;
    bad["whenTheLpaCanBeUsed"] = Value::Null;
    let r = Lpa::try_create(bad, t0()).err().expect("refused");
    assert_eq!(
        problem_pointers(&r),
        [
            "/donor/dateOfBirth",
            "/donor/address/postcode",
            "/certificateProvider/address/country",
            "/whenTheLpaCanBeUsed"
        ]
    );
}

#[test]
fn paper_applications_are_accepted_and_their_problems_become_findings() {
    let mut paper =
        application_with(json!({"channel": "paper", "receivedAt": "2026-01-02T10:00:00Z"}));
    paper["donor"]["address"]["postcode"] = json!("NOT A CODE");
    let mut lpa = Lpa::create(paper);
    assert_eq!(
        lpa.findings(),
        [(
            "application.invalid".into(),
            "/donor/address/postcode".into(),
            "detected".into()
        )]
    );
    assert_eq!(
        unmet_codes(&lpa.refused("submit", "service", json!({}))),
        ["blocking_finding"]
    );
    lpa.service(
        "update_application",
        json!({"donor": {"address": {"postcode": "LS1 1AA"}}}),
    );
    assert_eq!(lpa.findings()[0].2, "resolved");
    lpa.service("submit", json!({}));
}

#[test]
fn a_shared_last_name_needs_the_donors_confirmation_which_lapses_when_names_change() {
    let mut lpa = Lpa::create(application_with(
        json!({"certificateProvider": {"lastName": "Byron-Lovelace"}}),
    ));
    let id = lpa.finding_id("certificate_provider.same_last_name");
    assert_eq!(
        unmet_codes(&lpa.refused("submit", "service", json!({}))),
        ["blocking_finding"]
    );
    lpa.service("confirm_not_related", json!({}));
    assert_eq!(lpa.findings()[0].2, "resolved");
    // A change to any of those names lapses the confirmation.
    lpa.service(
        "update_application",
        json!({"donor": {"lastName": "Byron"}}),
    );
    assert_eq!(
        lpa.findings()[0],
        (
            "certificate_provider.same_last_name".into(),
            "certificateProvider".into(),
            "detected".into()
        )
    );
    assert_eq!(
        lpa.finding_id("certificate_provider.same_last_name"),
        id,
        "the same finding, detected again"
    );
    lpa.service("confirm_not_related", json!({}));
    lpa.service("submit", json!({}));
    let r = lpa.refused("confirm_not_related", "service", json!({}));
    assert_eq!(unmet_codes(&r), ["already_confirmed"]);
}

#[test]
fn locked_fields_refuse_changes() {
    let mut lpa = Lpa::create(application());
    lpa.service(
        "confirm_donor_identity",
        json!({"type": "one-login", "checkedAt": t0().to_rfc3339()}),
    );
    let r = lpa.refused(
        "update_application",
        "service",
        json!({"donor": {"dateOfBirth": "1950-01-03"}}),
    );
    assert_eq!(unmet_codes(&r), ["date_of_birth_locked"]);
    let r = lpa.refused("update_application", "service", json!({"channel": "paper"}));
    assert_eq!(problem_pointers(&r), ["/channel"]);
    lpa.service(
        "update_application",
        json!({"donor": {"email": "ada@example.net"}}),
    );
}

/// The store's `certificateProviderNotRelatedConfirmedAt` is the donor's confirmation for the names as they
/// were: lpaflow sends it only while it still holds for the names the LPA has when the donor signs.
#[test]
fn the_not_related_confirmation_goes_to_opg_only_while_it_holds_for_the_names() {
    let create_body = |change: Option<Value>| {
        let mut lpa = Lpa::create(application_with(
            json!({"certificateProvider": {"lastName": "Byron-Lovelace"}}),
        ));
        lpa.service("confirm_not_related", json!({}));
        if let Some(change) = change {
            lpa.service("update_application", change);
        }
        lpa.service("submit", json!({}));
        lpa.service("record_payment", json!({"amountPence": 9200}));
        lpa.service("sign_as_donor", json!({}));
        let create = lpa.last_step();
        assert_eq!(create.name, "opg.create");
        create.payload["lpa"].clone()
    };
    let held = create_body(None);
    assert_eq!(
        held["certificateProviderNotRelatedConfirmedAt"],
        json!(t0().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );
    let lapsed = create_body(Some(
        json!({"certificateProvider": {"lastName": "Faraday"}}),
    ));
    assert_eq!(
        lapsed.get("certificateProviderNotRelatedConfirmedAt"),
        None,
        "confirmed for names the LPA no longer has"
    );
}
