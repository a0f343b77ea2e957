//! OPG sync end to end (issue 6): a real engine on a real database delivering to the real simulator over
//! HTTP. An outage degrades the service without stopping it and the backlog drains in order exactly once; a
//! planned maintenance window keeps every request away from OPG; a step OPG refuses fails visibly on its LPA
//! and holds up no other.
#![allow(clippy::unwrap_used)]

mod common;

use common::opg::*;
use lpaflow_core::{Clock, InstanceId};
use lpaflow_engine::Engine;
use lpaflow_engine::delivery::BreakerState;
use lpaflow_opg::jwt::DEFAULT_SUBJECT;
use lpaflow_opg::reconcile::{DriftKind, Repair};
use lpaflow_store::{StepStatus, SyncStatus};
use lpaflow_test_support::TestDb;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DRAIN: Duration = Duration::from_secs(120);

fn finding_id(data: &lpaflow_core::Data, rule: &str) -> String {
    data["findings"]
        .as_array()
        .and_then(|l| l.iter().find(|f| f["rule"] == rule))
        .and_then(|f| f["id"].as_str())
        .unwrap_or_else(|| panic!("no finding of {rule}"))
        .to_owned()
}

/// One LPA of the outage mix: most change their data (locally), then the donor and the certificate provider
/// sign (the create and one update); some need a caseworker's safeguarding decision or fee decision first;
/// the last ten go on to the waiting period.
async fn drive_during_outage(engine: &Engine, n: u64) {
    let id = uid(n);
    match n {
        481..=485 => {
            let mut app = application();
            app["certificateProvider"]["relationship"] = json!("personal");
            app["certificateProvider"]["knownForYears"] = json!(1);
            create(engine, &id, app).await;
            let data = engine.get(&id).await.unwrap().unwrap().instance.data;
            let finding = finding_id(&data, "certificate_provider.known_too_briefly");
            let payload =
                json!({"finding": finding, "reason": "met at the donor's club years before"});
            fire(engine, &id, "caseworker", "accept_finding", payload).await;
            send_to_opg(engine, &id).await;
        }
        486..=490 => {
            let mut app = application();
            app["fee"] = json!({"claimedType": "HalfFee", "grossAnnualIncomePence": 1_000_000});
            create(engine, &id, app).await;
            submit_and_pay(engine, &id).await;
            let evidence = json!({"kind": "income", "reference": "DOC-17"});
            fire(engine, &id, "service", "provide_fee_evidence", evidence).await;
            let decision = json!({"outcome": "approved", "approvedType": "HalfFee"});
            let o = fire(engine, &id, "caseworker", "decide_fee", decision).await;
            assert_eq!(o.stored.instance.state, "signing", "{id}: fee settled");
            sign_all(engine, &id).await;
        }
        491.. => to_waiting_period(engine, &id, true).await,
        _ => {
            create(engine, &id, application()).await;
            submit_and_pay(engine, &id).await;
            let change = json!({"donor": {"email": format!("donor{n}@example.org")}});
            fire(engine, &id, "service", "update_application", change).await;
            fire(engine, &id, "service", "sign_as_donor", json!({})).await;
            let cp = json!({});
            fire(engine, &id, "service", "sign_as_certificate_provider", cp).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_degrades_the_service_and_the_backlog_drains_in_order_exactly_once() {
    const CONCURRENCY: usize = 8;
    let sim = start_sim().await;
    let db = TestDb::sqlite();
    let clock = clock();
    let engine = start_engine(
        db.url(),
        Some(&sim.url()),
        clock.clone(),
        CONCURRENCY,
        |_| {},
    )
    .await;
    sim.faults(json!({"outage": true}));
    let down = Instant::now();

    let uids: Vec<InstanceId> = (1..=500).map(uid).collect();
    let mut drivers = tokio::task::JoinSet::new();
    for lane in 0..8u64 {
        let engine = engine.clone();
        drivers.spawn(async move {
            for n in (1..=500u64).filter(|n| n % 8 == lane) {
                drive_during_outage(&engine, n).await;
            }
        });
    }
    while let Some(r) = drivers.join_next().await {
        r.unwrap();
    }
    end_waiting_period(&engine, &clock).await;
    let waiting: Vec<InstanceId> = (491..=500).map(uid).collect();
    for id in &waiting {
        eventually("registration requested", DRAIN, || async {
            engine.get(id).await.unwrap().unwrap().sync_status == SyncStatus::AwaitingSync
        })
        .await;
    }

    // Degraded, not down: everything above was accepted locally; the breaker is open and every step waits as
    // `suspended` (or blocked behind its LPA's first), each LPA showing what is pending and since when.
    // (`/readyz` reporting `degraded` belongs to the API; these are the engine facts it will report.)
    eventually("the breaker opened", DRAIN, || async {
        engine.delivery_status().breaker != BreakerState::Closed
    })
    .await;
    eventually("waiting steps are shown suspended", DRAIN, || async {
        let backlog = engine.store().backlog().await.unwrap();
        let queued = ["queued", "retrying"]
            .iter()
            .map(|s| backlog.by_status.get(*s).copied().unwrap_or(0));
        queued.sum::<u64>() == 0 && backlog.by_status.get("suspended").copied().unwrap_or(0) >= 400
    })
    .await;
    let backlog = engine.store().backlog().await.unwrap();
    assert!(backlog.open() >= 1_000, "{backlog:?}");
    assert!(backlog.oldest_open_at.is_some());
    let now = engine.clock().now();
    for id in &uids {
        let stored = engine.get(id).await.unwrap().unwrap();
        assert!(
            matches!(
                stored.sync_status,
                SyncStatus::Pending | SyncStatus::AwaitingSync
            ),
            "{id}: {:?}",
            stored.sync_status
        );
        let steps = engine.steps(id).await.unwrap();
        let first_open = steps.iter().find(|s| s.status.is_open()).unwrap();
        assert!(
            first_open.created_at <= now,
            "{id}: pending since {}",
            first_open.created_at
        );
        assert!(
            steps.iter().all(|s| matches!(
                s.status,
                StepStatus::Suspended
                    | StepStatus::Blocked
                    | StepStatus::InFlight
                    | StepStatus::Queued
            )),
            "{id}: {:?}",
            steps.iter().map(|s| s.status).collect::<Vec<_>>()
        );
    }
    // Zero requests beyond the breaker's probes: what was in flight before the breaker opened (a full round
    // plus the attempts before the third failure), then one probe at a time, never more often than OPG's
    // Retry-After (1 s).
    let during = sim.requests();
    let probes_max = down.elapsed().as_secs() + 1 + 2;
    assert_eq!(sim.responses(503), during, "only outage answers");
    assert!(
        during <= CONCURRENCY as u64 + probes_max,
        "{during} requests reached OPG during a {:?} outage: more than {CONCURRENCY} + {probes_max}",
        down.elapsed()
    );
    assert_eq!(sim.handle.stats().writes_applied, 0);

    // OPG is back: the backlog drains by itself, and blocked LPAs move on.
    sim.faults(json!({"outage": false}));
    drained(engine.store(), DRAIN).await;
    for id in &waiting {
        eventually("registered after the outage", DRAIN, || async {
            engine.get(id).await.unwrap().unwrap().instance.state == "registered"
        })
        .await;
    }
    assert_eq!(engine.delivery_status().breaker, BreakerState::Closed);
    let client = sim.client(DEFAULT_SUBJECT);
    let steps = assert_synced_in_order(&engine, &client, &uids).await;
    let stats = sim.handle.stats();
    assert_eq!(stats.duplicates, 0, "{:?}", stats.duplicates_by_lpa);
    assert_eq!(
        stats.writes_applied, steps as u64,
        "each step applied exactly once"
    );
    let report = reconcile_all(&engine, &sim).await;
    assert_eq!(report.summary.in_sync, 500, "{:?}", report.summary);
    engine.shutdown().await;
    sim.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planned_maintenance_window_keeps_requests_away_and_delivery_resumes_at_its_end() {
    let sim = start_sim().await;
    let db = TestDb::sqlite();
    let clock = clock();
    let engine = start_engine(db.url(), Some(&sim.url()), clock.clone(), 8, |_| {}).await;
    let before: Vec<InstanceId> = (1..=5).map(uid).collect();
    for id in &before {
        create(&engine, id, application()).await;
        send_to_opg(&engine, id).await;
    }
    drained(engine.store(), DRAIN).await;

    // Planned in advance, in both places: lpaflow's window (as `lpaflow opg maintenance add` stores it) and
    // OPG's own, which answers 503 to any request that reaches it inside the window.
    let now = engine.clock().now();
    let (from, to) = (
        now + chrono::TimeDelta::seconds(3),
        now + chrono::TimeDelta::seconds(10),
    );
    engine
        .store()
        .add_maintenance(from, to, "OPG database upgrade", "admin", now)
        .await
        .unwrap();
    sim.faults(json!({"maintenance": {"from": from, "to": to}}));
    let requests_before = sim.requests();
    eventually("the window is in force", DRAIN, || async {
        engine.delivery_status().maintenance.is_some()
    })
    .await;
    let during: Vec<InstanceId> = (6..=15).map(uid).collect();
    for id in &during {
        create(&engine, id, application()).await;
        send_to_opg(&engine, id).await;
    }
    eventually("steps wait as suspended", DRAIN, || async {
        let backlog = engine.store().backlog().await.unwrap();
        backlog.by_status.get("suspended").copied().unwrap_or(0) == during.len() as u64
    })
    .await;
    assert_eq!(
        sim.requests(),
        requests_before,
        "nothing was sent inside the window"
    );
    drained(engine.store(), DRAIN).await;
    assert!(
        engine.clock().now() >= to,
        "delivered only after the window"
    );
    assert_eq!(
        sim.responses(503),
        0,
        "no request reached OPG inside its window"
    );
    let client = sim.client(DEFAULT_SUBJECT);
    let all: Vec<InstanceId> = before.iter().chain(&during).cloned().collect();
    assert_synced_in_order(&engine, &client, &all).await;
    for id in &during {
        let create = &engine.steps(id).await.unwrap()[0];
        assert!(
            create.completed_at.unwrap() >= to,
            "{id} was delivered inside the window"
        );
        assert_eq!(create.attempts, 1, "{id}: the window burned no attempts");
    }
    engine.shutdown().await;
    sim.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_opg_refuses_fails_on_its_lpa_with_the_reason_and_blocks_no_other() {
    let sim = start_sim().await;
    let db = TestDb::sqlite();
    let clock: Arc<dyn Clock> = clock();
    let engine = start_engine(db.url(), Some(&sim.url()), clock, 8, |_| {}).await;
    let (bad, others) = (uid(1), (2..=11).map(uid).collect::<Vec<_>>());
    for id in std::iter::once(&bad).chain(&others) {
        create(&engine, id, application()).await;
        send_to_opg(&engine, id).await;
    }
    for id in std::iter::once(&bad).chain(&others) {
        sign_after_donor(&engine, id).await;
    }
    drained(engine.store(), DRAIN).await;
    // A caseworker in Sirius corrects the donor's name and decides the LPA cannot be registered; lpaflow
    // does not know yet. (The store keeps one change-log entry per LPA and second, so each change is made in a
    // second of its own, as people's changes are.)
    let sirius = sim.client("urn:opg:poas:sirius:users:42");
    let correction = serde_json::from_value(json!({"type": "CORRECTION",
        "changes": [{"key": "/donor/firstNames", "old": "Ada", "new": "Adeline"}]}))
    .unwrap();
    next_second().await;
    sirius
        .update(bad.as_str(), &correction, None)
        .await
        .unwrap();
    let change = serde_json::from_value(json!({"type": "OPG_STATUS_CHANGE",
        "changes": [{"key": "/status", "old": "in-progress", "new": "cannot-register"}]}))
    .unwrap();
    next_second().await;
    sirius.update(bad.as_str(), &change, None).await.unwrap();

    // The waiting period needs the LPA in progress: the store refuses it for this one.
    for id in std::iter::once(&bad).chain(&others) {
        fire(&engine, id, "service", "enter_waiting_period", json!({})).await;
    }
    eventually("the refusal is recorded on the LPA", DRAIN, || async {
        engine.get(&bad).await.unwrap().unwrap().sync_status == SyncStatus::Failed
    })
    .await;
    drained(engine.store(), DRAIN).await;
    let stored = engine.get(&bad).await.unwrap().unwrap();
    let steps = engine.steps(&bad).await.unwrap();
    let failed = steps.last().unwrap();
    assert_eq!(
        (failed.step.as_str(), failed.status),
        ("opg.update:STATUTORY_WAITING_PERIOD", StepStatus::Failed)
    );
    let error = failed.last_error.clone().unwrap();
    assert_eq!(error["code"], "INVALID_REQUEST", "{error}");
    assert_eq!(
        error["errors"][0],
        json!({"source": "/type", "detail": "status must be in-progress to enter statutory-waiting-period"}),
        "the store's reason: {error}"
    );
    let finding = stored.instance.data["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sync.failed")
        .cloned()
        .unwrap();
    assert_eq!(
        (finding["subject"].as_str(), finding["status"].as_str()),
        (
            Some("opg.update:STATUTORY_WAITING_PERIOD"),
            Some("detected")
        )
    );
    assert!(
        finding["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/type: status must be in-progress")),
        "the finding names the store's reason: {finding}"
    );
    let client = sim.client(DEFAULT_SUBJECT);
    assert_synced_in_order(&engine, &client, &others).await;

    // Reconcile sees it too: the refused step (already flagged) and the name Sirius corrected, attributed to
    // Sirius from the store's change log.
    let report = reconcile_all(&engine, &sim).await;
    assert_eq!(
        (report.summary.in_sync, report.summary.drifted),
        (10, 1),
        "{:?}",
        report.summary
    );
    let drift = &report.lpas[0];
    let kinds: Vec<(DriftKind, Option<&str>, Repair)> = drift
        .differences
        .iter()
        .map(|d| (d.kind, d.pointer.as_deref(), d.repair.clone()))
        .collect();
    let flagged = Repair::Flagged {
        finding: finding["id"].as_str().unwrap().to_owned(),
    };
    assert_eq!(
        kinds,
        [
            (DriftKind::StepNotApplied, None, flagged),
            (
                DriftKind::FieldMismatch,
                Some("/donor/firstNames"),
                Repair::Person
            )
        ]
    );
    let by = drift.differences[1].last_change.as_ref().unwrap();
    assert_eq!(
        (by.author.as_str(), by.kind.as_str(), by.by_lpaflow),
        ("urn:opg:poas:sirius:users:42", "CORRECTION", false)
    );
    assert!(report.drift_remains());
    assert_eq!(sim.handle.stats().duplicates, 0);
    engine.shutdown().await;
    sim.handle.shutdown().await.unwrap();
}

/// A store that acknowledges a write it did not keep as sent: the read-back after the write sees it, and a
/// caseworker gets a `sync.readback_mismatch` finding naming the step and the keys (issue 12, item 7).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_the_store_did_not_keep_as_sent_becomes_a_finding() {
    let sim = start_sim().await;
    let db = TestDb::sqlite();
    let clock: Arc<dyn Clock> = clock();
    let engine = start_engine(db.url(), Some(&sim.url()), clock, 4, |_| {}).await;
    let (altered, lost) = (uid(1), uid(2));
    sim.faults(json!({"applyDifferentlyRate": 1.0, "seed": 3}));
    create(&engine, &altered, application()).await;
    send_to_opg(&engine, &altered).await;
    drained(engine.store(), DRAIN).await;
    sim.faults(json!({"applyDifferentlyRate": 0.0, "acknowledgeWithoutApplyingRate": 1.0}));
    create(&engine, &lost, application()).await;
    send_to_opg(&engine, &lost).await;
    drained(engine.store(), DRAIN).await;
    sim.faults(json!({"acknowledgeWithoutApplyingRate": 0.0}));

    for (id, pointer) in [(&altered, "/attorneys/0/firstNames"), (&lost, "/")] {
        let data = engine.get(id).await.unwrap().unwrap().instance.data;
        let finding = data["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "sync.readback_mismatch")
            .unwrap_or_else(|| panic!("{id}: no read-back finding in {:#}", data["findings"]))
            .clone();
        assert_eq!(finding["subject"], "opg.create", "{id}");
        assert_eq!(finding["status"], "detected", "{id}");
        assert_eq!(
            finding["differences"][0]["pointer"], pointer,
            "{id}: {finding}"
        );
        let create = &engine.steps(id).await.unwrap()[0];
        assert_eq!(
            create.status,
            StepStatus::Done,
            "{id}: acknowledged, so not sent again"
        );
    }
    let stats = sim.handle.stats();
    assert_eq!(stats.duplicates, 0);
    engine.shutdown().await;
    sim.handle.shutdown().await.unwrap();
}

/// The store reads DynamoDB without `ConsistentRead`, its own read before an update included. With half the
/// reads lagging a second behind, lpaflow's read-back waits for its write instead of reporting a false
/// mismatch, and its pacing (one write per LPA per second) keeps every update off a read that misses the one
/// before: nothing is lost, OPG's change log lists every update, nothing is reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eventually_consistent_reads_lose_no_write_and_raise_no_false_finding() {
    let sim = start_sim().await;
    sim.faults(json!({"laggingReadRate": 0.5, "seed": 11}));
    let db = TestDb::sqlite();
    let clock = clock();
    let engine = start_engine(db.url(), Some(&sim.url()), clock.clone(), 8, |_| {}).await;
    let uids: Vec<InstanceId> = (1..=6).map(uid).collect();
    for id in &uids {
        to_waiting_period(&engine, id, true).await;
    }
    drained(engine.store(), DRAIN).await;
    end_waiting_period(&engine, &clock).await;
    drained(engine.store(), DRAIN).await;
    let lagging = sim.handle.stats().lagging_reads;
    sim.faults(json!({"laggingReadRate": 0.0}));

    for id in &uids {
        let stored = engine.get(id).await.unwrap().unwrap();
        assert_eq!(stored.instance.state, "registered", "{id}");
        let findings = stored.instance.data["findings"].as_array().cloned();
        let sync: Vec<Value> = findings
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("sync.")))
            .collect();
        assert!(sync.is_empty(), "{id}: {sync:#?}");
    }
    let client = sim.client(DEFAULT_SUBJECT);
    let steps = assert_synced_in_order(&engine, &client, &uids).await;
    let stats = sim.handle.stats();
    assert!(lagging > 0, "no read lagged: the fault was not exercised");
    assert_eq!(stats.duplicates, 0, "{:?}", stats.duplicates_by_lpa);
    assert_eq!(stats.writes_applied, steps as u64);
    let report = reconcile_all(&engine, &sim).await;
    assert_eq!(report.summary.in_sync, 6, "{:?}", report.summary);
    engine.shutdown().await;
    sim.handle.shutdown().await.unwrap();
}
