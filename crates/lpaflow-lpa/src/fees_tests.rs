use super::*;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn previous(fee: FeeType, date: &str) -> PreviousApplication {
    PreviousApplication {
        uid: "M-QWER-TY34-6789".into(),
        fee: Some(fee),
        date: Some(d(date)),
    }
}

#[track_caller]
fn check_cost(fee_type: FeeType, on: &str, earlier: Option<PreviousApplication>, pence: i64) {
    assert_eq!(
        cost_pence(fee_type, d(on), earlier.as_ref()),
        pence,
        "{fee_type} on {on}"
    );
}

#[test]
fn amounts_depend_on_the_date_of_the_application() {
    check_cost(FeeType::FullFee, "2025-09-18", None, 8200);
    check_cost(FeeType::FullFee, "2025-09-19", None, 9200);
    check_cost(FeeType::HalfFee, "2025-09-18", None, 4100);
    check_cost(FeeType::HalfFee, "2025-09-19", None, 4600);
    check_cost(FeeType::NoFee, "2026-01-05", None, 0);
    check_cost(FeeType::HardshipFee, "2026-01-05", None, 0);
}

#[test]
fn a_repeat_application_costs_half_of_what_was_paid_before() {
    let repeat = FeeType::RepeatApplicationFee;
    check_cost(
        repeat,
        "2025-10-01",
        Some(previous(FeeType::FullFee, "2025-08-01")),
        4100,
    );
    check_cost(
        repeat,
        "2025-12-01",
        Some(previous(FeeType::FullFee, "2025-10-01")),
        4600,
    );
    check_cost(
        repeat,
        "2025-12-01",
        Some(previous(FeeType::HalfFee, "2025-10-01")),
        2300,
    );
    check_cost(
        repeat,
        "2025-12-01",
        Some(previous(FeeType::NoFee, "2025-10-01")),
        0,
    );
    check_cost(
        repeat,
        "2025-12-01",
        Some(previous(FeeType::HardshipFee, "2025-10-01")),
        0,
    );
    check_cost(repeat, "2025-12-01", None, 4600);
}

#[track_caller]
fn check_band(claim: FeeClaim, on: &str, band: FeeType) {
    assert_eq!(assess_band(&claim, d(on)), band, "{claim:?} on {on}");
}

#[test]
fn the_band_follows_benefit_income_repeat_then_full() {
    let base = FeeClaim {
        claimed_type: Some(FeeType::FullFee),
        ..FeeClaim::default()
    };
    let income = |pence| FeeClaim {
        gross_annual_income_pence: Some(pence),
        ..base.clone()
    };
    let earlier = |date: &str| FeeClaim {
        previous_application: Some(previous(FeeType::FullFee, date)),
        ..base.clone()
    };
    check_band(base.clone(), "2026-01-05", FeeType::FullFee);
    check_band(
        FeeClaim {
            receives_means_tested_benefit: Some(true),
            ..income(500_000)
        },
        "2026-01-05",
        FeeType::NoFee,
    );
    check_band(income(1_199_999), "2026-01-05", FeeType::HalfFee);
    check_band(income(1_200_000), "2026-01-05", FeeType::FullFee);
    // Three calendar months: 5 October to 5 January is inside (92 days), 4 October is not.
    check_band(
        earlier("2025-10-05"),
        "2026-01-05",
        FeeType::RepeatApplicationFee,
    );
    check_band(earlier("2025-10-04"), "2026-01-05", FeeType::FullFee);
    // Across February: 30 November runs to 28 February (90 days), not to 1 March (91 days, which a
    // fixed 90-day window would also refuse) nor short of it.
    check_band(
        earlier("2025-11-30"),
        "2026-02-28",
        FeeType::RepeatApplicationFee,
    );
    check_band(earlier("2025-11-30"), "2026-03-01", FeeType::FullFee);
    // 31 May to 31 August is 92 days: inside three months, outside 90 days.
    check_band(
        earlier("2025-05-31"),
        "2025-08-31",
        FeeType::RepeatApplicationFee,
    );
    // An earlier application dated after this one is no repeat.
    check_band(earlier("2026-01-06"), "2026-01-05", FeeType::FullFee);
    check_band(
        earlier("2026-01-05"),
        "2026-01-05",
        FeeType::RepeatApplicationFee,
    );
}

fn ledger(claimed: FeeType, paid: &[i64]) -> FeeLedger {
    let now = DateTime::from_timestamp(1_767_600_000, 0).expect("valid");
    let mut l = FeeLedger::new(d("2026-01-05"));
    l.claimed_type = Some(claimed);
    l.payments = paid
        .iter()
        .map(|p| Payment {
            amount_pence: *p,
            paid_at: now,
            reference: None,
            recorded_by: "t".into(),
            received_at: None,
        })
        .collect();
    l.amounts = amounts(&l);
    l
}

/// Decides `approved` after `paid` and checks (refund avoided, refund due, balance).
#[track_caller]
fn check_decision(claimed: FeeType, paid: &[i64], approved: FeeType, expect: (i64, i64, i64)) {
    let now = DateTime::from_timestamp(1_767_600_000, 0).expect("valid");
    let mut l = ledger(claimed, paid);
    let outcome = if approved == FeeType::FullFee {
        FeeOutcome::Declined
    } else {
        FeeOutcome::Approved
    };
    l.decide(outcome, approved, None, "caseworker", now);
    let a = &l.amounts;
    assert_eq!(
        (a.refund_avoided_pence, a.refund_due_pence, a.balance_pence),
        expect,
        "paid {paid:?}"
    );
}

#[test]
fn deciding_before_payment_avoids_refunds_and_after_leaves_them_due() {
    check_decision(FeeType::HalfFee, &[], FeeType::HalfFee, (4600, 0, 4600));
    check_decision(FeeType::HalfFee, &[4600], FeeType::HalfFee, (4600, 0, 0));
    check_decision(
        FeeType::HalfFee,
        &[9200],
        FeeType::HalfFee,
        (0, 4600, -4600),
    );
    check_decision(
        FeeType::HalfFee,
        &[6000],
        FeeType::HalfFee,
        (3200, 1400, -1400),
    );
    check_decision(FeeType::NoFee, &[], FeeType::HalfFee, (4600, 0, 4600));
    check_decision(FeeType::NoFee, &[9200, -9200], FeeType::NoFee, (9200, 0, 0));
    check_decision(FeeType::HalfFee, &[4600], FeeType::FullFee, (0, 0, 4600));
}

#[test]
fn an_undecided_claim_owes_the_claimed_amount_and_no_refund() {
    let l = ledger(FeeType::HalfFee, &[9200]);
    assert!(l.amounts.reduction_pending);
    assert_eq!(
        (l.amounts.balance_pence, l.amounts.refund_due_pence),
        (-4600, 0)
    );
    assert!(!l.settled());
    assert!(ledger(FeeType::FullFee, &[9200]).settled());
}

#[test]
fn refund_totals_read_instance_data() {
    let now = DateTime::from_timestamp(1_767_600_000, 0).expect("valid");
    let mut l = ledger(FeeType::HalfFee, &[9200]);
    l.decide(FeeOutcome::Approved, FeeType::HalfFee, None, "c", now);
    let data: lpaflow_core::Data = serde_json::json!({"fee": l}).into();
    assert_eq!(
        refund_totals(&data),
        RefundTotals {
            refund_avoided_pence: 0,
            refund_due_pence: 4600
        }
    );
    assert_eq!(
        refund_totals(&lpaflow_core::Data::empty()),
        RefundTotals::default()
    );
}

fn fee_type() -> impl Strategy<Value = FeeType> {
    prop_oneof![
        Just(FeeType::FullFee),
        Just(FeeType::HalfFee),
        Just(FeeType::NoFee),
        Just(FeeType::HardshipFee),
        Just(FeeType::RepeatApplicationFee),
    ]
}

proptest! {
    #[test]
    fn the_balance_is_cost_minus_payments_and_reductions(
        day in 0i64..400,
        claimed in proptest::option::of(fee_type()),
        decided in proptest::option::of((fee_type(), 0usize..6)),
        payments in proptest::collection::vec(-5_000i64..12_000, 0..6),
    ) {
        let now = DateTime::from_timestamp(1_767_600_000, 0).expect("valid");
        let mut l = FeeLedger::new(d("2025-06-01") + chrono::TimeDelta::days(day));
        l.claimed_type = claimed;
        l.previous_application = Some(previous(FeeType::HalfFee, "2025-05-01"));
        for (i, p) in payments.iter().enumerate() {
            if let Some((approved, at)) = decided && at == i {
                let outcome = if approved == FeeType::FullFee { FeeOutcome::Declined } else { FeeOutcome::Approved };
                l.decide(outcome, approved, None, "c", now);
            }
            l.payments.push(Payment { amount_pence: *p, paid_at: now, reference: None, recorded_by: "t".into(), received_at: None });
        }
        let a = amounts(&l);
        let paid: i64 = payments.iter().sum();
        prop_assert_eq!(a.balance_pence, a.full_cost_pence - paid - a.reduction_pence);
        prop_assert_eq!(a.paid_pence, paid);
        prop_assert!(a.reduction_pence >= 0 && a.reduction_pence <= a.full_cost_pence);
        prop_assert!(a.due_pence >= 0 && a.refund_due_pence >= 0 && a.refund_avoided_pence >= 0);
        if !a.reduction_pending {
            prop_assert_eq!(a.due_pence - a.refund_due_pence, a.balance_pence);
        }
        if let Some(dec) = &l.decision {
            prop_assert_eq!(dec.refund_avoided_pence + dec.refund_due_at_decision_pence, dec.reduction_pence);
            // No pence of the reduction is both avoided and still due.
            prop_assert!(a.refund_avoided_pence + a.refund_due_pence.min(a.reduction_pence) <= a.reduction_pence.max(0));
        }
    }
}
