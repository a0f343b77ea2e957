use super::*;
use crate::application::PreviousApplication;
use crate::fees::{FeeOutcome, Payment};
use chrono::{DateTime, Utc};
use serde_json::json;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_600_000, 0).expect("valid")
}

fn range(from: &str, to: &str) -> ReportRange {
    ReportRange::new(d(from), d(to)).expect("a valid range")
}

/// How an LPA's fee went: what was claimed, paid before a decision, approved (`None`: undecided), paid after.
struct Case {
    on: &'static str,
    claimed: FeeType,
    paid_before: &'static [i64],
    approved: Option<FeeType>,
    paid_after: &'static [i64],
}

fn pay(l: &mut FeeLedger, amounts: &[i64]) {
    l.payments.extend(amounts.iter().map(|p| Payment {
        amount_pence: *p,
        paid_at: now(),
        reference: None,
        recorded_by: "t".into(),
        received_at: None,
    }));
}

fn ledger(c: &Case) -> FeeLedger {
    let mut l = FeeLedger::new(d(c.on));
    l.claimed_type = Some(c.claimed);
    if c.claimed == FeeType::RepeatApplicationFee {
        l.previous_application = Some(PreviousApplication {
            uid: "M-QWER-TY34-6789".into(),
            fee: Some(FeeType::FullFee),
            date: Some(d(c.on) - chrono::TimeDelta::days(30)),
        });
    }
    pay(&mut l, c.paid_before);
    if let Some(t) = c.approved {
        let outcome = if t == FeeType::FullFee {
            FeeOutcome::Declined
        } else {
            FeeOutcome::Approved
        };
        l.decide(outcome, t, None, "caseworker", now());
    }
    pay(&mut l, c.paid_after);
    l.amounts = fees::amounts(&l);
    l
}

fn case(
    claimed: FeeType,
    paid_before: &'static [i64],
    approved: Option<FeeType>,
    paid_after: &'static [i64],
) -> Case {
    Case {
        on: "2026-01-05",
        claimed,
        paid_before,
        approved,
        paid_after,
    }
}

fn tally(count: u64, pence: i64) -> Tally {
    Tally { count, pence }
}

/// What one LPA adds: (reduced type and pence, pending, refund avoided, refund due, paid).
type Expected = (Option<(FeeType, i64)>, bool, i64, i64, i64);

#[track_caller]
fn check(c: Case, (reduction, pending, avoided, due, paid): Expected) {
    let mut b = FeeReportBuilder::new(range("2026-01-01", "2026-01-31"));
    b.add_ledger(&ledger(&c));
    let r = b.finish();
    assert_eq!(r.months.len(), 1);
    assert_eq!(r.months[0].figures, r.total, "one month is the total");
    let t = &r.total;
    assert_eq!((t.lpas, t.full_fees_pence), (1, 9200));
    for (ty, got) in t.reductions.iter() {
        let want = match reduction {
            Some((rt, pence)) if rt == ty => tally(1, pence),
            _ => Tally::default(),
        };
        assert_eq!(got, want, "reduction {ty}");
    }
    let counted = |p: i64| if p > 0 { tally(1, p) } else { Tally::default() };
    let pending_pence = if pending {
        reduction.map_or(0, |r| r.1)
    } else {
        0
    };
    assert_eq!(t.reductions_pending, counted(pending_pence), "pending");
    assert_eq!(t.refunds_avoided, counted(avoided), "avoided");
    assert_eq!(t.refunds_due, counted(due), "due");
    assert_eq!(t.paid_pence, paid, "paid");
}

#[test]
fn each_lpa_adds_its_reduction_refunds_and_payments() {
    use FeeType::*;
    check(case(FullFee, &[9200], None, &[]), (None, false, 0, 0, 9200));
    check(
        case(HalfFee, &[], Some(HalfFee), &[4600]),
        (Some((HalfFee, 4600)), false, 4600, 0, 4600),
    );
    check(
        case(HalfFee, &[9200], Some(HalfFee), &[]),
        (Some((HalfFee, 4600)), false, 0, 4600, 9200),
    );
    check(
        case(NoFee, &[], Some(NoFee), &[]),
        (Some((NoFee, 9200)), false, 9200, 0, 0),
    );
    check(
        case(NoFee, &[9200], Some(NoFee), &[-9200]),
        (Some((NoFee, 9200)), false, 0, 0, 0),
    );
    check(
        case(HalfFee, &[], Some(HardshipFee), &[]),
        (Some((HardshipFee, 9200)), false, 9200, 0, 0),
    );
    check(
        case(
            RepeatApplicationFee,
            &[],
            Some(RepeatApplicationFee),
            &[4600],
        ),
        (Some((RepeatApplicationFee, 4600)), false, 4600, 0, 4600),
    );
    check(
        case(HalfFee, &[4600], Some(FullFee), &[4600]),
        (None, false, 0, 0, 9200),
    );
    check(
        case(HalfFee, &[9200], None, &[]),
        (Some((HalfFee, 4600)), true, 0, 0, 9200),
    );
}

#[test]
fn amounts_are_derived_from_the_facts_not_read_from_storage() {
    let mut l = ledger(&case(FeeType::NoFee, &[9200], Some(FeeType::NoFee), &[]));
    l.amounts = FeeAmounts {
        refund_due_pence: 1,
        refund_avoided_pence: 77,
        paid_pence: -5,
        ..FeeAmounts::default()
    };
    let mut b = FeeReportBuilder::new(range("2026-01-05", "2026-01-05"));
    b.add_data(&json!({"fee": l}));
    let t = b.finish().total;
    assert_eq!(t.refunds_due, tally(1, 9200));
    assert_eq!(t.refunds_avoided, Tally::default());
    assert_eq!(t.paid_pence, 9200);
}

#[test]
fn lpas_count_in_the_month_of_their_fee_date_within_the_range() {
    let mut b = FeeReportBuilder::new(range("2025-11-15", "2026-02-10"));
    for on in [
        "2025-11-14",
        "2025-11-15",
        "2025-11-30",
        "2026-01-31",
        "2026-02-10",
        "2026-02-11",
    ] {
        let c = Case {
            on,
            ..case(FeeType::FullFee, &[100], None, &[])
        };
        b.add_ledger(&ledger(&c));
    }
    let r = b.finish();
    let months: Vec<(String, u64)> = r
        .months
        .iter()
        .map(|m| (m.month.to_string(), m.figures.lpas))
        .collect();
    assert_eq!(
        months,
        [
            ("2025-11".to_owned(), 2),
            ("2025-12".to_owned(), 0),
            ("2026-01".to_owned(), 1),
            ("2026-02".to_owned(), 1),
        ],
        "both ends included, empty months listed"
    );
    assert_eq!((r.total.lpas, r.total.paid_pence), (4, 400));
    assert_eq!((r.from, r.to), (d("2025-11-15"), d("2026-02-10")));
}

#[test]
fn data_without_a_readable_ledger_is_counted_apart() {
    let mut b = FeeReportBuilder::new(range("2026-01-01", "2026-01-31"));
    b.add_data(&json!({}));
    b.add_data(&json!({"fee": {"feeDate": "not a date"}}));
    b.add_data(&json!({"fee": ledger(&case(FeeType::FullFee, &[], None, &[]))}));
    let r = b.finish();
    assert_eq!((r.unreadable_ledgers, r.total.lpas), (2, 1));
}

#[test]
fn the_report_serializes_in_camel_case_with_reductions_by_fee_type_name() {
    let mut b = FeeReportBuilder::new(range("2026-01-05", "2026-01-05"));
    b.add_ledger(&ledger(&case(
        FeeType::HalfFee,
        &[],
        Some(FeeType::HalfFee),
        &[],
    )));
    let v = serde_json::to_value(b.finish()).expect("serializes");
    assert_eq!(v["from"], "2026-01-05");
    assert_eq!(v["unreadableLedgers"], 0);
    assert_eq!(v["months"][0]["month"], "2026-01");
    assert_eq!(v["months"][0]["fullFeesPence"], 9200);
    let t = &v["total"];
    let mut keys: Vec<&String> = t["reductions"]
        .as_object()
        .expect("an object")
        .keys()
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["HalfFee", "HardshipFee", "NoFee", "RepeatApplicationFee"],
        "every type but FullFee, by its serde name"
    );
    assert_eq!(
        t["reductions"]["HalfFee"],
        json!({"count": 1, "pence": 4600})
    );
    assert_eq!(t["refundsAvoided"], json!({"count": 1, "pence": 4600}));
    assert_eq!(t["refundsDue"], json!({"count": 0, "pence": 0}));
    assert_eq!(t["reductionsPending"]["count"], 0);
    assert_eq!(t["paidPence"], 0);
    assert_eq!(t["lpas"], 1);
}

#[test]
fn ranges_are_ordered_bounded_and_default_to_whole_months() {
    assert_eq!(
        ReportRange::new(d("2026-02-01"), d("2026-01-31")),
        Err(RangeError::Reversed {
            from: d("2026-02-01"),
            to: d("2026-01-31")
        })
    );
    assert!(ReportRange::new(d("2016-01-01"), d("2025-12-31")).is_ok());
    assert_eq!(
        ReportRange::new(d("2016-01-01"), d("2026-01-01")),
        Err(RangeError::TooLong { months: 121 })
    );
    let last = ReportRange::last_months(d("2026-12-03"), 12);
    assert_eq!((last.from(), last.to()), (d("2026-01-01"), d("2026-12-31")));
    let last = ReportRange::last_months(d("2026-02-28"), 3);
    assert_eq!((last.from(), last.to()), (d("2025-12-01"), d("2026-02-28")));
    assert_eq!(last.months().count(), 3);
    assert_eq!(Month::of(d("2025-12-31")).next().to_string(), "2026-01");
    assert_eq!(Month::of(d("2026-01-31")).plus(-13).to_string(), "2024-12");
}

fn change(pointer: &str, old: Option<Value>, new: Option<Value>) -> Change {
    Change {
        pointer: pointer.to_owned(),
        old,
        new,
    }
}

#[track_caller]
fn check_increments(changes: &[Change], avoided: i64, due: i64) {
    assert_eq!(
        refund_increments("decide_fee", changes),
        RefundTotals {
            refund_avoided_pence: avoided,
            refund_due_pence: due
        }
    );
}

#[test]
fn refund_increments_read_leaf_and_parent_changes_and_never_go_down() {
    let amounts =
        |avoided: i64, due: i64| json!({"refundAvoidedPence": avoided, "refundDuePence": due});
    // The leaves, as a decision changes them.
    check_increments(
        &[
            change(REFUND_AVOIDED_POINTER, Some(json!(0)), Some(json!(4600))),
            change(
                "/fee/amounts/balancePence",
                Some(json!(4600)),
                Some(json!(0)),
            ),
        ],
        4600,
        0,
    );
    check_increments(
        &[change(
            REFUND_DUE_POINTER,
            Some(json!(0)),
            Some(json!(9200)),
        )],
        0,
        9200,
    );
    // A refund paid out lowers the amount due: no increment.
    check_increments(
        &[change(
            REFUND_DUE_POINTER,
            Some(json!(9200)),
            Some(json!(0)),
        )],
        0,
        0,
    );
    // A parent replaced whole: the amounts object, the ledger, the whole data at creation.
    check_increments(
        &[change(
            "/fee/amounts",
            Some(amounts(0, 100)),
            Some(amounts(4600, 300)),
        )],
        4600,
        200,
    );
    check_increments(
        &[change(
            "/fee",
            None,
            Some(json!({"amounts": amounts(9200, 0)})),
        )],
        9200,
        0,
    );
    check_increments(
        &[change(
            "",
            None,
            Some(json!({"fee": {"amounts": amounts(0, 50)}})),
        )],
        0,
        50,
    );
    // The value removed, a sibling that only shares a prefix, and unrelated changes count nothing.
    check_increments(&[change(REFUND_DUE_POINTER, Some(json!(9200)), None)], 0, 0);
    check_increments(
        &[
            change("/fee/amountsOld", None, Some(amounts(1, 1))),
            change("/feeX/amounts", None, Some(amounts(1, 1))),
            change("/findings", None, Some(json!([]))),
        ],
        0,
        0,
    );
    check_increments(&[], 0, 0);
}

#[test]
fn only_the_fee_events_count_a_rise() {
    let rise = [change(
        REFUND_DUE_POINTER,
        Some(json!(0)),
        Some(json!(9200)),
    )];
    assert_eq!(
        refund_increments("record_payment", &rise).refund_due_pence,
        9200
    );
    assert_eq!(
        refund_increments("update_application", &rise),
        RefundTotals::default(),
        "a claim toggled back after a pending one, or a receipt date moved, is no new refund"
    );
}
