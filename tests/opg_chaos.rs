//! Chaos end to end (issue 6): a thousand LPAs driven to `registered` while OPG answers one request in five
//! with a 5xx or a timeout and applies one write in twenty before failing its answer. Every LPA must end
//! consistent with OPG (reconcile finds no drift), each step applied exactly once and in its LPA's order.
#![allow(clippy::unwrap_used)]

mod common;

use common::opg::*;
use lpaflow_core::InstanceId;
use lpaflow_opg::jwt::DEFAULT_SUBJECT;
use lpaflow_test_support::TestDb;
use serde_json::json;
use std::time::{Duration, Instant};

const LPAS: u64 = 1_000;
const LANES: u64 = 8;
const LIMIT: Duration = Duration::from_secs(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_lpas_reach_registered_under_chaos_consistent_with_opg_and_without_duplicates() {
    let sim = start_sim().await;
    let db = TestDb::sqlite();
    let clock = clock();
    let engine = start_engine(db.url(), Some(&sim.url()), clock.clone(), 64, |_| {}).await;
    sim.faults(json!({
        "errorRate": 0.15,
        "timeoutRate": 0.05,
        "commitThenFailRate": 0.05,
        "seed": 20_260_601
    }));
    let started = Instant::now();
    let uids: Vec<InstanceId> = (1..=LPAS).map(uid).collect();
    let mut lanes = tokio::task::JoinSet::new();
    for lane in 0..LANES {
        let engine = engine.clone();
        lanes.spawn(async move {
            for n in (1..=LPAS).filter(|n| n % LANES == lane) {
                to_waiting_period(&engine, &uid(n), false).await;
            }
        });
    }
    while let Some(r) = lanes.join_next().await {
        r.unwrap();
    }
    let driven = started.elapsed();
    // The business clock only moves once nothing is in flight (moving it expires leases: see the report).
    drained(engine.store(), LIMIT).await;
    let synced = started.elapsed();
    end_waiting_period(&engine, &clock).await;
    eventually("every LPA registered", LIMIT, || async {
        let by_state = engine.store().count_by_state().await.unwrap();
        by_state
            .iter()
            .any(|(_, state, n)| state == "registered" && *n == LPAS)
    })
    .await;
    drained(engine.store(), LIMIT).await;
    let registered = started.elapsed();
    let stats = sim.handle.stats();
    eprintln!(
        "chaos: {LPAS} LPAs driven to the waiting period in {driven:?}, synced by {synced:?}, registered by \
         {registered:?}; OPG answered {:?}, dropped {} connections, held {} requests",
        stats.requests, stats.connections_dropped, stats.timeouts
    );
    assert!(
        stats.status_count(500) + stats.status_count(502) + stats.status_count(504) > 0,
        "faults were injected"
    );

    sim.faults(json!({"errorRate": 0.0, "timeoutRate": 0.0, "commitThenFailRate": 0.0}));
    let report = reconcile_all(&engine, &sim).await;
    assert_eq!(report.summary.in_sync, LPAS, "{:#?}", report.lpas.first());
    assert!(!report.drift_remains());
    let client = sim.client(DEFAULT_SUBJECT);
    let steps = assert_synced_in_order(&engine, &client, &uids).await;
    let stats = sim.handle.stats();
    assert_eq!(stats.duplicates, 0, "{:?}", stats.duplicates_by_lpa);
    assert_eq!(
        stats.writes_applied, steps as u64,
        "each step applied exactly once"
    );
    engine.shutdown().await;
    sim.handle.shutdown().await.unwrap();
}
