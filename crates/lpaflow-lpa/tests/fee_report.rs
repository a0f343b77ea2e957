//! The fee report and the refund increments over LPAs made through the real `workflows/lpa.toml`: the report
//! adds up what each ledger says, and the increments read from the history entries add up to every rise of
//! the refund figures, including a refund that became due and was then paid out.

mod common;

use common::{Lpa, application_with};
use lpaflow_lpa::RefundTotals;
use lpaflow_lpa::fee_report::{FeeReportBuilder, ReportRange, refund_increments};
use serde_json::json;

fn increments(lpa: &Lpa) -> RefundTotals {
    lpa.history
        .iter()
        .map(|e| refund_increments(e.event.as_str(), &e.changes))
        .fold(RefundTotals::default(), |a, b| a + b)
}

fn no_fee_claim() -> serde_json::Value {
    application_with(json!({"fee": {"claimedType": "NoFee", "receivesMeansTestedBenefit": true}}))
}

fn decide_no_fee(lpa: &mut Lpa) {
    lpa.service(
        "provide_fee_evidence",
        json!({"kind": "benefit", "reference": "DWP-1"}),
    );
    lpa.caseworker(
        "decide_fee",
        json!({"outcome": "approved", "approvedType": "NoFee"}),
    );
}

#[test]
fn history_increments_and_the_report_follow_the_ledgers() {
    let mut early = Lpa::create(no_fee_claim());
    decide_no_fee(&mut early);

    let mut late = Lpa::create(no_fee_claim());
    late.service("record_payment", json!({"amountPence": 9200}));
    decide_no_fee(&mut late);

    let mut refunded = Lpa::create(no_fee_claim());
    refunded.service("record_payment", json!({"amountPence": 9200}));
    decide_no_fee(&mut refunded);
    refunded.caseworker(
        "record_payment",
        json!({"amountPence": -9200, "reference": "REFUND-1"}),
    );

    let full = {
        let mut l = Lpa::create(application_with(json!({})));
        l.service("record_payment", json!({"amountPence": 9200}));
        l
    };

    let totals = |a: i64, d: i64| RefundTotals {
        refund_avoided_pence: a,
        refund_due_pence: d,
    };
    assert_eq!(increments(&early), totals(9200, 0));
    assert_eq!(increments(&late), totals(0, 9200));
    assert_eq!(
        increments(&refunded),
        totals(0, 9200),
        "the refund became due once; paying it out takes nothing back"
    );
    assert_eq!(increments(&full), totals(0, 0));

    let day = early.now.date_naive();
    let mut b = FeeReportBuilder::new(ReportRange::last_months(day, 1));
    for lpa in [&early, &late, &refunded, &full] {
        b.add_data(&lpa.data().to_value());
    }
    let t = b.finish().total;
    assert_eq!(t.lpas, 4);
    assert_eq!(t.full_fees_pence, 4 * 9200);
    assert_eq!(
        (t.refunds_avoided.count, t.refunds_avoided.pence),
        (1, 9200)
    );
    assert_eq!((t.refunds_due.count, t.refunds_due.pence), (1, 9200));
    let no_fee = t.reductions.get(lpaflow_lpa::application::FeeType::NoFee);
    assert_eq!((no_fee.count, no_fee.pence), (3, 3 * 9200));
    assert_eq!(t.paid_pence, 9200 * 3 - 9200);
}

#[test]
fn a_refund_is_counted_once_whatever_the_claim_does_afterwards_and_never_both_avoided_and_due() {
    // Overpaid by 9200: a refund due, counted at the payment.
    let mut lpa = Lpa::create(application_with(json!({"fee": {"claimedType": "FullFee"}})));
    lpa.service("record_payment", json!({"amountPence": 18400}));
    // A reduction claimed (the refund is pending on it) and withdrawn: the same refund, not a new one.
    lpa.service(
        "update_application",
        json!({"fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 900000}}),
    );
    lpa.service(
        "update_application",
        json!({"fee": {"claimedType": "FullFee", "grossAnnualIncomePence": null}}),
    );
    assert_eq!(lpa.data()["fee"]["amounts"]["refundDuePence"], json!(9200));
    assert_eq!(increments(&lpa).refund_due_pence, 9200);

    // Decided early (avoided), then a cheque for the full fee arrives: that refund is due after all.
    let mut early = Lpa::create(no_fee_claim());
    decide_no_fee(&mut early);
    assert_eq!(
        early.data()["fee"]["amounts"]["refundAvoidedPence"],
        json!(9200)
    );
    early.service("record_payment", json!({"amountPence": 9200}));
    let amounts = &early.data()["fee"]["amounts"];
    assert_eq!(
        (
            amounts["refundAvoidedPence"].clone(),
            amounts["refundDuePence"].clone()
        ),
        (json!(0), json!(9200))
    );
}
