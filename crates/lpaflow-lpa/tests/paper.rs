//! A paper application worked by caseworkers alone (the service only keys it in): what arrives by post is
//! recorded by a caseworker, and only for people who use paper; the paper identity check only. Claiming and
//! releasing a case.

mod common;

use common::{Lpa, application, unmet_codes};
use lpaflow_core::Rejection;
use lpaflow_test_support::lpa_application::paper_application;
use serde_json::json;

fn problem_text(r: &Rejection) -> String {
    format!("{r} {r:?}")
}

#[test]
fn a_caseworker_takes_a_paper_lpa_from_created_to_registered() {
    let mut lpa = Lpa::create(paper_application());
    let rules: Vec<(String, String, String)> = lpa.findings();
    assert!(
        rules.iter().any(
            |(rule, _, status)| rule == "certificate_provider.same_last_name"
                && status == "detected"
        ),
        "{rules:?}"
    );
    let blocked = lpa.refused("submit", "caseworker", json!({}));
    assert!(
        problem_text(&blocked).contains("same_last_name"),
        "{blocked}"
    );
    lpa.caseworker("confirm_not_related", json!({}));
    lpa.caseworker("submit", json!({}));
    assert_eq!(lpa.state(), "discount_eligibility");
    lpa.caseworker(
        "provide_fee_evidence",
        json!({"kind": "income", "reference": "P60 received by post"}),
    );
    lpa.caseworker(
        "decide_fee",
        json!({"outcome": "approved", "approvedType": "HalfFee"}),
    );
    lpa.caseworker("record_payment", json!({"amountPence": 4600}));
    assert_eq!(lpa.state(), "signing");
    let checked = lpa.now.to_rfc3339();
    lpa.caseworker(
        "confirm_donor_identity",
        json!({"type": "opg-paper-id", "checkedAt": checked}),
    );
    lpa.caseworker(
        "confirm_certificate_provider_identity",
        json!({"type": "opg-paper-id", "checkedAt": checked}),
    );
    lpa.caseworker("sign_as_donor", json!({}));
    lpa.caseworker("sign_as_certificate_provider", json!({}));
    for uid in lpa.attorney_uids() {
        lpa.caseworker(
            "sign_as_attorney",
            json!({"uid": uid, "confirmedNotBankrupt": true}),
        );
    }
    lpa.caseworker("enter_waiting_period", json!({}));
    lpa.advance_days(29);
    lpa.confirm_step();
    assert_eq!(lpa.state(), "registered");
    assert_eq!(
        lpa.data()["fee"]["amounts"]["duePence"],
        0,
        "half the fee paid"
    );
    assert!(
        lpa.history
            .iter()
            .skip(1)
            .all(|e| e.role.as_str() != "service"),
        "the service only created it"
    );
}

#[test]
fn a_caseworker_records_nothing_for_an_online_application() {
    let mut lpa = Lpa::create(application());
    for event in ["submit", "confirm_not_related"] {
        let r = lpa.refused(event, "caseworker", json!({}));
        assert!(problem_text(&r).contains("not_on_paper"), "{event}: {r}");
    }
    let r = lpa.refused(
        "provide_fee_evidence",
        "caseworker",
        json!({"kind": "income", "reference": "x"}),
    );
    assert!(problem_text(&r).contains("not_on_paper"), "{r}");
}

#[test]
fn a_caseworker_signs_only_for_attorneys_on_paper_and_checks_identity_on_paper_only() {
    // The default application: an online certificate provider and attorney, a replacement on paper.
    let mut lpa = Lpa::ready_to_sign(application());
    let checked = lpa.now.to_rfc3339();
    let r = lpa.refused(
        "confirm_certificate_provider_identity",
        "caseworker",
        json!({"type": "opg-paper-id", "checkedAt": checked}),
    );
    assert!(problem_text(&r).contains("not_on_paper"), "{r}");
    let r = lpa.refused("sign_as_donor", "caseworker", json!({}));
    assert_eq!(unmet_codes(&r), ["not_on_paper"]);
    lpa.service("sign_as_donor", json!({}));
    let [online, on_paper] = <[String; 2]>::try_from(lpa.attorney_uids()).expect("two");
    let r = lpa.refused(
        "sign_as_attorney",
        "caseworker",
        json!({"uid": online, "confirmedNotBankrupt": true}),
    );
    assert_eq!(unmet_codes(&r), ["not_on_paper"]);
    lpa.caseworker(
        "sign_as_attorney",
        json!({"uid": on_paper, "confirmedNotBankrupt": true}),
    );

    let mut paper = Lpa::create(paper_application());
    let r = paper.refused(
        "confirm_donor_identity",
        "caseworker",
        json!({"type": "one-login", "checkedAt": checked}),
    );
    assert!(problem_text(&r).contains("opg-paper-id"), "{r}");
}

#[test]
fn a_caseworker_claims_gives_and_releases_a_case() {
    let mut lpa = Lpa::create(paper_application());
    let r = lpa.refused("release_case", "caseworker", json!({}));
    assert_eq!(unmet_codes(&r), ["not_assigned"]);
    lpa.caseworker("assign_case", json!({}));
    assert_eq!(lpa.data()["caseOwner"]["actor"], "urn:test:caseworker");
    assert!(
        lpaflow_lpa::labels::labels(&lpa.instance, &lpaflow_core::Reading::new())
            .contains(&"owner:urn:test:caseworker".to_owned())
    );
    let again = lpa.refused("assign_case", "caseworker", json!({}));
    assert_eq!(unmet_codes(&again), ["already_assigned"]);
    lpa.caseworker("assign_case", json!({"to": "cw-2"}));
    assert_eq!(lpa.data()["caseOwner"]["actor"], "cw-2");
    assert_eq!(lpa.data()["caseOwner"]["assignedBy"], "urn:test:caseworker");
    let bad = lpa.refused("assign_case", "caseworker", json!({"to": "two words"}));
    assert!(problem_text(&bad).contains("/to"), "{bad}");
    // Any token subject is a caseworker's id, an email included, and its label says who it is.
    lpa.caseworker("assign_case", json!({"to": "ada@example.org"}));
    let labels = lpaflow_lpa::labels::labels(&lpa.instance, &lpaflow_core::Reading::new());
    let owner = labels.iter().find_map(|l| lpaflow_lpa::labels::owner_in(l));
    assert_eq!(owner.as_deref(), Some("ada@example.org"), "{labels:?}");
    lpa.caseworker("release_case", json!({}));
    assert!(lpa.data().get("caseOwner").is_none());
    let refused = lpa.refused("assign_case", "service", json!({}));
    assert!(
        matches!(refused, Rejection::RoleNotAllowed { .. }),
        "{refused:?}"
    );
}

#[test]
fn paper_cases_and_their_type_and_channel_are_labelled() {
    let lpa = Lpa::create(paper_application());
    let labels = lpaflow_lpa::labels::labels(&lpa.instance, &lpaflow_core::Reading::new());
    for l in ["paper:open", "channel:paper", "type:property-and-affairs"] {
        assert!(labels.contains(&l.to_owned()), "{l} in {labels:?}");
    }
    // A paper form is keyed in as it came: an LPA type the LPA Store does not know is a finding, never a label
    // (a label would show whatever was typed to every role).
    let mut odd = paper_application();
    odd["lpaType"] = json!("Ada-Lovelace");
    let labels =
        lpaflow_lpa::labels::labels(&Lpa::create(odd).instance, &lpaflow_core::Reading::new());
    assert!(!labels.iter().any(|l| l.starts_with("type:")), "{labels:?}");
}
