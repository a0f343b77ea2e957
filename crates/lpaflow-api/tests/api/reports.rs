//! The fee report through the real path, on each backend: a few hundred LPAs made through the API with varied
//! fee claims, reductions decided before and after payment, refunds paid out; the report's figures against
//! the ledgers read back one by one through `GET /v1/lpas/{uid}`, ranges that include and exclude, the roles,
//! problems for bad dates, the refund counters on `/metrics`, and the console's page.

use crate::common::{FEE_COUNTERS, Harness, Setup, application_with, uid_of};
use axum::http::StatusCode;
use chrono::{NaiveDate, TimeDelta};
use lpaflow_api::Role;
use lpaflow_test_support::TestDb;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// LPAs made before the clock moves on, and after.
const EARLY_LPAS: usize = 200;
const LATE_LPAS: usize = 100;

/// One way an LPA's fee goes, and the rises of its refund figures it causes: (avoided, due).
#[derive(Clone, Copy, Debug)]
enum Flow {
    FullFee,
    HalfDecidedBeforePaying,
    HalfDecidedAfterPayingInFull,
    NoFeeDecidedBeforePaying,
    NoFeeDecidedAfterPayingThenRefunded,
    RepeatDecidedBeforePaying,
    HardshipInsteadOfHalf,
    HalfUndecidedPaidInFull,
    HalfDeclined,
}

const FLOWS: [Flow; 9] = [
    Flow::FullFee,
    Flow::HalfDecidedBeforePaying,
    Flow::HalfDecidedAfterPayingInFull,
    Flow::NoFeeDecidedBeforePaying,
    Flow::NoFeeDecidedAfterPayingThenRefunded,
    Flow::RepeatDecidedBeforePaying,
    Flow::HardshipInsteadOfHalf,
    Flow::HalfUndecidedPaidInFull,
    Flow::HalfDeclined,
];

impl Flow {
    fn claim(self, today: NaiveDate) -> Value {
        let half = json!({"claimedType": "HalfFee", "grossAnnualIncomePence": 1_000_000});
        match self {
            Flow::FullFee => json!({"claimedType": "FullFee"}),
            Flow::NoFeeDecidedBeforePaying | Flow::NoFeeDecidedAfterPayingThenRefunded => {
                json!({"claimedType": "NoFee", "receivesMeansTestedBenefit": true})
            }
            Flow::RepeatDecidedBeforePaying => json!({
                "claimedType": "RepeatApplicationFee",
                "previousApplication": {
                    "uid": "M-QWER-TY34-6789",
                    "fee": "FullFee",
                    "date": (today - TimeDelta::days(30)).to_string(),
                },
            }),
            Flow::HalfDecidedBeforePaying
            | Flow::HalfDecidedAfterPayingInFull
            | Flow::HardshipInsteadOfHalf
            | Flow::HalfUndecidedPaidInFull
            | Flow::HalfDeclined => half,
        }
    }

    /// The rises of (refund avoided, refund due) the flow causes, in pence.
    fn rises(self) -> (i64, i64) {
        match self {
            Flow::FullFee | Flow::HalfUndecidedPaidInFull | Flow::HalfDeclined => (0, 0),
            Flow::HalfDecidedBeforePaying | Flow::RepeatDecidedBeforePaying => (4600, 0),
            Flow::HalfDecidedAfterPayingInFull => (0, 4600),
            Flow::NoFeeDecidedBeforePaying | Flow::HardshipInsteadOfHalf => (9200, 0),
            Flow::NoFeeDecidedAfterPayingThenRefunded => (0, 9200),
        }
    }
}

async fn pay(h: &Harness, uid: &str, role: Role, pence: i64) {
    h.fire_ok(uid, role, "record_payment", json!({"amountPence": pence}))
        .await;
}

async fn decide(h: &Harness, uid: &str, kind: &str, approved: Option<&str>) {
    h.fire_ok(
        uid,
        Role::Service,
        "provide_fee_evidence",
        json!({"kind": kind, "reference": "DOC-1"}),
    )
    .await;
    let payload = match approved {
        Some(t) => json!({"outcome": "approved", "approvedType": t}),
        None => json!({"outcome": "declined", "reason": "income above the limit"}),
    };
    h.fire_ok(uid, Role::Caseworker, "decide_fee", payload)
        .await;
}

/// Makes one LPA go through `flow`; its uid.
async fn run(h: &Harness, flow: Flow) -> String {
    let today = h.engine.clock().now().date_naive();
    let view = h
        .create_with(application_with(json!({"fee": flow.claim(today)})))
        .await;
    let uid = uid_of(&view);
    let u = uid.as_str();
    match flow {
        Flow::FullFee => pay(h, u, Role::Service, 9200).await,
        Flow::HalfDecidedBeforePaying => {
            decide(h, u, "income", Some("HalfFee")).await;
            pay(h, u, Role::Service, 4600).await;
        }
        Flow::HalfDecidedAfterPayingInFull => {
            pay(h, u, Role::Service, 9200).await;
            decide(h, u, "income", Some("HalfFee")).await;
        }
        Flow::NoFeeDecidedBeforePaying => decide(h, u, "benefit", Some("NoFee")).await,
        Flow::NoFeeDecidedAfterPayingThenRefunded => {
            pay(h, u, Role::Service, 9200).await;
            decide(h, u, "benefit", Some("NoFee")).await;
            pay(h, u, Role::Caseworker, -9200).await;
        }
        Flow::RepeatDecidedBeforePaying => {
            decide(h, u, "previous-application", Some("RepeatApplicationFee")).await;
            pay(h, u, Role::Service, 4600).await;
        }
        Flow::HardshipInsteadOfHalf => decide(h, u, "hardship", Some("HardshipFee")).await,
        Flow::HalfUndecidedPaidInFull => pay(h, u, Role::Service, 9200).await,
        Flow::HalfDeclined => {
            pay(h, u, Role::Service, 4600).await;
            decide(h, u, "income", None).await;
            pay(h, u, Role::Service, 4600).await;
        }
    }
    uid
}

/// The report's figures for `ledgers` (as `GET /v1/lpas/{uid}` shows them), added up here.
fn figures(ledgers: &[&Value]) -> Value {
    let tally = |pick: &dyn Fn(&Value) -> Option<i64>| {
        let hits: Vec<i64> = ledgers.iter().filter_map(|l| pick(&l["amounts"])).collect();
        json!({"count": hits.len(), "pence": hits.iter().sum::<i64>()})
    };
    let int = |a: &Value, k: &str| a[k].as_i64().expect("an amount");
    let positive = |k: &'static str| move |a: &Value| Some(int(a, k)).filter(|p| *p > 0);
    let mut reductions = serde_json::Map::new();
    for ty in ["HalfFee", "NoFee", "HardshipFee", "RepeatApplicationFee"] {
        let of_type = |a: &Value| (a["effectiveType"] == ty).then(|| int(a, "reductionPence"));
        reductions.insert(ty.to_owned(), tally(&of_type));
    }
    let pending = |a: &Value| {
        (a["reductionPending"] == true && a["effectiveType"] != "FullFee")
            .then(|| int(a, "reductionPence"))
    };
    let sum = |k: &str| ledgers.iter().map(|l| int(&l["amounts"], k)).sum::<i64>();
    json!({
        "lpas": ledgers.len(),
        "fullFeesPence": sum("fullCostPence"),
        "reductions": reductions,
        "reductionsPending": tally(&pending),
        "refundsAvoided": tally(&positive("refundAvoidedPence")),
        "refundsDue": tally(&positive("refundDuePence")),
        "paidPence": sum("paidPence"),
    })
}

/// The value of a counter in a Prometheus rendering (0 when absent).
fn counter(metrics: &str, name: &str) -> i64 {
    metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0, |v| v as i64)
}

async fn counters(h: &Harness) -> (i64, i64) {
    let text = h.get("/metrics").send().await.text();
    (
        counter(&text, "lpaflow_fee_refund_avoided_pence_total"),
        counter(&text, "lpaflow_fee_refund_due_pence_total"),
    )
}

async fn report(h: &Harness, query: &str) -> Value {
    let r = h
        .get(&format!("/v1/reports/fees{query}"))
        .role(Role::Auditor)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
    r.json()
}

/// Checks `report` (months and total) against the ledgers of `lpas`, grouped by the month of their fee date.
#[track_caller]
fn check_report(report: &Value, lpas: &[(String, Value)], backend: &str) {
    let mut by_month: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for (_, ledger) in lpas {
        let date = ledger["feeDate"].as_str().expect("a fee date");
        by_month
            .entry(date[..7].to_owned())
            .or_default()
            .push(ledger);
    }
    let all: Vec<&Value> = lpas.iter().map(|(_, l)| l).collect();
    assert_eq!(report["total"], figures(&all), "{backend}: total");
    assert_eq!(report["unreadableLedgers"], 0);
    for m in report["months"].as_array().expect("months") {
        let month = m["month"].as_str().expect("a month");
        let mut got = m.clone();
        got.as_object_mut().expect("an object").remove("month");
        let want = figures(by_month.get(month).map_or(&[][..], Vec::as_slice));
        assert_eq!(got, want, "{backend}: month {month}");
    }
}

async fn one_backend(db: TestDb) {
    let backend = db.kind();
    let h = Harness::on(db, Setup::default()).await;
    let before = counters(&h).await;
    let mut lpas: Vec<(String, Flow)> = Vec::new();
    for i in 0..EARLY_LPAS + LATE_LPAS {
        if i == EARLY_LPAS {
            // The later LPAs are received at least one calendar month later.
            h.clock.advance(TimeDelta::days(45));
        }
        let flow = FLOWS[i % FLOWS.len()];
        lpas.push((run(&h, flow).await, flow));
    }
    let mut ledgers: Vec<(String, Value)> = Vec::new();
    for (uid, _) in &lpas {
        let view = h.view(uid, Role::Caseworker).await;
        ledgers.push((uid.clone(), view["fee"].clone()));
    }
    for ((_, flow), (uid, ledger)) in lpas.iter().zip(&ledgers) {
        let a = &ledger["amounts"];
        let (avoided, _) = flow.rises();
        assert_eq!(a["refundAvoidedPence"], avoided, "{uid} {flow:?}: {a}");
    }

    let whole = report(&h, "").await;
    check_report(&whole, &ledgers, backend);
    assert_eq!(whole["months"].as_array().map(Vec::len), Some(12));
    let date = |l: &Value| {
        NaiveDate::parse_from_str(l["feeDate"].as_str().unwrap_or(""), "%Y-%m-%d")
            .expect("a fee date")
    };
    let (early, late) = ledgers.split_at(EARLY_LPAS);
    for part in [early, late] {
        let from = part.iter().map(|(_, l)| date(l)).min().expect("LPAs");
        let to = part.iter().map(|(_, l)| date(l)).max().expect("LPAs");
        let only = report(&h, &format!("?from={from}&to={to}")).await;
        check_report(&only, part, backend);
        assert_eq!(
            only["total"]["lpas"],
            part.len(),
            "{backend}: the others are outside {from}..{to}"
        );
    }
    let none = report(&h, "?from=2020-01-01&to=2020-12-31").await;
    assert_eq!(none["total"]["lpas"], 0);
    assert_eq!(none["months"].as_array().map(Vec::len), Some(12));

    let after = counters(&h).await;
    let expected = lpas.iter().fold((0, 0), |(a, d), (_, f)| {
        let (ra, rd) = f.rises();
        (a + ra, d + rd)
    });
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        expected,
        "{backend}: counters"
    );
    let due_now: i64 = ledgers
        .iter()
        .map(|(_, l)| l["amounts"]["refundDuePence"].as_i64().unwrap_or(0))
        .sum();
    assert!(
        expected.1 > due_now,
        "a refund paid out still counts once: {} > {due_now}",
        expected.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fee_report_adds_up_the_ledgers_on_each_backend() {
    let _counters = FEE_COUNTERS.lock().await;
    for db in TestDb::all().await {
        one_backend(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fee_report_is_for_caseworkers_auditors_and_admins_and_names_bad_dates() {
    let h = Harness::start().await;
    for role in [Role::Caseworker, Role::Auditor, Role::Admin] {
        let r = h.get("/v1/reports/fees").role(role).send().await;
        assert_eq!(r.status, StatusCode::OK, "{role}: {}", r.text());
    }
    h.get("/v1/reports/fees")
        .role(Role::Service)
        .send()
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    h.get("/v1/reports/fees")
        .send()
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    for (query, pointers) in [
        ("?from=2026-01-01", &["/to"][..]),
        ("?to=2026-01-01", &["/from"]),
        ("?from=2026-02-30&to=2026-03-01", &["/from"]),
        ("?from=2026-01-01&to=March", &["/to"]),
        ("?from=x&to=y", &["/from", "/to"]),
        ("?from=2026-02-01&to=2026-01-31", &["/from"]),
        ("?from=2016-01-01&to=2026-01-01", &["/to"]),
    ] {
        let r = h
            .get(&format!("/v1/reports/fees{query}"))
            .role(Role::Caseworker)
            .send()
            .await;
        let p = r.problem(StatusCode::BAD_REQUEST, "invalid_query");
        assert_eq!(r.pointers(), pointers, "{query}: {p:#}");
        for ptr in pointers {
            let name = ptr.trim_start_matches('/');
            assert!(
                p["detail"].as_str().is_some_and(|d| d.contains(name)),
                "{query}: {p:#}"
            );
        }
    }
    let r = report(&h, "?from=2026-01-15&to=2026-03-02").await;
    let months: Vec<&str> = r["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-01", "2026-02", "2026-03"]);
    assert_eq!(
        (r["from"].as_str(), r["to"].as_str()),
        (Some("2026-01-15"), Some("2026-03-02"))
    );
}

/// A console page as `role` (the session cookie is the token itself).
async fn console_page(h: &Harness, role: Role, path: &str) -> (StatusCode, String) {
    let cookie = h.console_cookie(role).await;
    let r = h.get(path).header("cookie", &cookie).send().await;
    (r.status, r.text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_the_fee_report_as_a_table_and_a_chart() {
    let _counters = FEE_COUNTERS.lock().await;
    let h = Harness::start().await;
    run(&h, Flow::NoFeeDecidedBeforePaying).await;
    run(&h, Flow::HalfDecidedAfterPayingInFull).await;
    let month = h
        .engine
        .clock()
        .now()
        .date_naive()
        .format("%B %Y")
        .to_string();

    let (status, html) = console_page(&h, Role::Caseworker, "/console/reports/fees").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains(r#"<a href="/console/reports/fees" aria-current="page">Fee report</a>"#),
        "linked from the navigation"
    );
    assert!(html.contains(r#"<svg class="chart""#) && html.contains(r#"role="img""#));
    assert!(html.contains("Refunds avoided and refunds still due, by month</title>"));
    assert!(
        html.contains(&format!("{month}, refunds avoided: £92.00 (1 LPA)")),
        "{html}"
    );
    assert!(html.contains(&format!("{month}, refunds still due: £46.00 (1 LPA)")));
    assert!(html.contains(&format!(r#"<th scope="row">{month}</th>"#)));
    assert!(html.contains(r#"<th scope="col">Refunds avoided</th>"#));
    assert!(
        html.contains(
            r#"<th scope="row">Total</th><td class="num">2</td><td class="num">£184.00</td>"#
        ),
        "{html}"
    );
    assert_eq!(
        html.matches(r#"<tr><th scope="row">"#).count(),
        13,
        "12 months and the total"
    );
    assert!(
        html.contains(r#"<input class="input input-medium" type="date" id="from" name="from""#)
    );

    let (status, html) = console_page(
        &h,
        Role::Admin,
        "/console/reports/fees?from=2020-03-01&to=2020-04-30",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("March 2020") && html.contains("April 2020") && !html.contains(&month));
    let (status, html) = console_page(
        &h,
        Role::Auditor,
        "/console/reports/fees?from=2020-05-01&to=",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("There is a problem") && html.contains(r##"<a href="#to">"##),
        "{html}"
    );
    assert!(
        html.contains(r#"value="2020-05-01""#),
        "what was entered stays"
    );
    let (status, html) = console_page(&h, Role::Service, "/console/reports/fees").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        !html.contains(r#"href="/console/reports/fees""#),
        "not offered to services"
    );
}
