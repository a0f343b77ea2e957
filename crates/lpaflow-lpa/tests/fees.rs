//! The fee ledger through the real `workflows/lpa.toml`: a declined reduction, and refunds avoided by deciding
//! before payment versus refunds due after it.

mod common;

use common::{Lpa, application_with, unmet_codes};
use serde_json::json;

/// The labels that say what waits for a caseworker (not the type and channel every LPA carries).
fn labels(lpa: &Lpa) -> Vec<String> {
    lpaflow_core::Rules::labels(
        &lpaflow_lpa::LpaRules::default(),
        &lpa.instance,
        &lpaflow_core::Reading::new(),
    )
    .into_iter()
    .filter(|l| !l.starts_with("type:") && !l.starts_with("channel:"))
    .collect()
}

fn lpa_totals(lpa: &Lpa) -> (i64, i64) {
    let t = lpaflow_lpa::refund_totals(lpa.data());
    (t.refund_avoided_pence, t.refund_due_pence)
}

#[test]
fn a_declined_reduction_means_the_full_fee() {
    let mut lpa = Lpa::create(application_with(
        json!({"fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 1_000_000}}),
    ));
    assert_eq!(lpa.data()["fee"]["assessedType"], "HalfFee");
    assert_eq!(
        lpa.data()["fee"]["amounts"]["balancePence"],
        4600,
        "the claimed type is due until decided"
    );
    lpa.service("submit", json!({}));
    lpa.service("record_payment", json!({"amountPence": 4600}));
    assert_eq!(
        lpa.state(),
        "discount_eligibility",
        "a claimed reduction waits for a decision"
    );
    assert_eq!(labels(&lpa), ["fee:decision_needed"]);
    let refused = lpa.refused(
        "decide_fee",
        "caseworker",
        json!({"outcome": "approved", "approvedType": "HalfFee"}),
    );
    assert_eq!(unmet_codes(&refused), ["evidence_missing"]);
    lpa.service(
        "provide_fee_evidence",
        json!({"kind": "income", "reference": "DOC-17"}),
    );
    lpa.caseworker(
        "decide_fee",
        json!({"outcome": "declined", "reason": "income above the limit"}),
    );
    assert!(
        lpa.steps.is_empty(),
        "the LPA Store holds no fee: the decision stays in lpaflow: {:?}",
        lpa.step_names()
    );
    assert_eq!(lpa.data()["fee"]["amounts"]["duePence"], 4600);
    assert_eq!(lpa.state(), "discount_eligibility");
    lpa.service("record_payment", json!({"amountPence": 4600}));
    assert_eq!(lpa.state(), "signing");
    assert_eq!(lpa_totals(&lpa), (0, 0));
}

#[test]
fn a_reduction_decided_before_payment_avoids_the_refund_and_one_after_leaves_it_due() {
    let claim = json!({"fee": {"claimedType": "NoFee", "receivesMeansTestedBenefit": true}});
    let mut early = Lpa::create(application_with(claim.clone()));
    early.service(
        "provide_fee_evidence",
        json!({"kind": "benefit", "reference": "DWP-1"}),
    );
    early.caseworker(
        "decide_fee",
        json!({"outcome": "approved", "approvedType": "NoFee"}),
    );
    early.service("submit", json!({}));
    assert_eq!(early.state(), "signing", "nothing to pay");
    assert_eq!(lpa_totals(&early), (9200, 0));

    let mut late = Lpa::create(application_with(claim));
    late.service("record_payment", json!({"amountPence": 9200}));
    late.service(
        "provide_fee_evidence",
        json!({"kind": "benefit", "reference": "DWP-2"}),
    );
    late.caseworker(
        "decide_fee",
        json!({"outcome": "approved", "approvedType": "NoFee"}),
    );
    assert_eq!(lpa_totals(&late), (0, 9200));
    assert_eq!(labels(&late), ["fee:refund_due"]);
    let too_much = late.refused(
        "record_payment",
        "caseworker",
        json!({"amountPence": -9300}),
    );
    assert_eq!(unmet_codes(&too_much), ["refund_exceeds_payments"]);
    late.caseworker(
        "record_payment",
        json!({"amountPence": -9200, "reference": "REFUND-1"}),
    );
    assert_eq!(lpa_totals(&late), (0, 0), "the refund was paid out");
    let total = lpaflow_lpa::refund_totals(early.data()) + lpaflow_lpa::refund_totals(late.data());
    assert_eq!(total.refund_avoided_pence, 9200);
}

#[test]
fn a_fee_claim_is_locked_once_decided() {
    let mut lpa = Lpa::create(application_with(
        json!({"fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 1_000_000}}),
    ));
    lpa.service(
        "provide_fee_evidence",
        json!({"kind": "income", "reference": "DOC-1"}),
    );
    lpa.caseworker(
        "decide_fee",
        json!({"outcome": "approved", "approvedType": "HalfFee"}),
    );
    let again = lpa.refused("decide_fee", "caseworker", json!({"outcome": "declined"}));
    assert_eq!(unmet_codes(&again), ["fee_already_decided"]);
    let change = lpa.refused(
        "update_application",
        "service",
        json!({"fee": {"claimedType": "FullFee"}}),
    );
    assert_eq!(unmet_codes(&change), ["fee_decided"]);
}
