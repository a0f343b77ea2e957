//! Crashes and shared databases (issue 6): an engine process SIGKILLed in the middle of delivering leaves
//! its work to the next one without a duplicate in OPG; two engines on one PostgreSQL database share a backlog
//! and deliver each step once.
#![allow(clippy::unwrap_used)]

mod common;

use common::opg::*;
use lpaflow_core::InstanceId;
use lpaflow_opg::jwt::DEFAULT_SUBJECT;
use lpaflow_store::{Store, StoreOptions};
use lpaflow_test_support::TestDb;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(120);

/// Steps of an LPA in the waiting period: the create (the donor signed), the certificate provider's and the
/// attorney's signatures, the waiting period.
const STEPS_PER_LPA: u64 = 4;

/// Makes `count` LPAs in the waiting period with an engine that delivers nothing ([`STEPS_PER_LPA`] steps
/// each), then stops it: the backlog waits in the database.
async fn backlog(db_url: &str, count: u64) -> Vec<InstanceId> {
    let maker = start_engine(db_url, None, clock(), 0, |_| {}).await;
    let uids: Vec<InstanceId> = (1..=count).map(uid).collect();
    let mut lanes = tokio::task::JoinSet::new();
    for lane in 0..8 {
        let engine = maker.clone();
        lanes.spawn(async move {
            for n in (1..=count).filter(|n| n % 8 == lane) {
                to_waiting_period(&engine, &uid(n), false).await;
            }
        });
    }
    while let Some(r) = lanes.join_next().await {
        r.unwrap();
    }
    assert_eq!(open_steps(maker.store()).await, count * STEPS_PER_LPA);
    maker.shutdown().await;
    uids
}

/// `lpaflow run-engine` as a child process, its log in `log`.
fn spawn_engine(db_url: &str, opg_url: &str, node: &str, log: &std::path::Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_lpaflow"))
        .args(["run-engine", "--database-url", db_url, "--opg-url", opg_url])
        .args([
            "--node-id",
            node,
            "--lease-ms",
            "2000",
            "--poll-ms",
            "50",
            "--concurrency",
            "16",
        ])
        .arg("--workflows")
        .arg(workflows_dir())
        .env("LPAFLOW_OPG_JWT_SECRET", SECRET)
        .env("LPAFLOW_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// An engine that delivers nothing, to read the outcome.
async fn reader(db_url: &str) -> Running {
    start_engine(db_url, None, clock(), 0, |o| o.timers.enabled = false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_process_killed_while_delivering_leaves_its_work_to_the_next_without_duplicates()
{
    // Slow answers keep a full round of requests in flight when the process dies.
    killed_then_taken_over("node-b", json!({"latencyMs": 30, "replyDelayMs": 500})).await;
}

/// Restarted at once under the same node id, the new process releases the dead one's leases (writes stored
/// but not yet answered when it died make some of them steps that took effect) and takes up its ambiguous
/// steps within a second of their writes, while every OPG read lags a second behind (from the kill
/// until the restarted process has had time to resolve them): a read that misses a write must not make it send
/// the write again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_restarted_at_once_reads_past_lagging_replicas_before_sending_again() {
    killed_then_taken_over("node-a", json!({"latencyMs": 30, "replyDelayMs": 500})).await;
}

/// A backlog, a first engine process SIGKILLed a quarter of the way through it, a second (`second_node`)
/// finishing it; OPG with `faults`. Restarting as `node-a` (the first's own id) takes its leases at once, and
/// then OPG's reads lag from the kill until 3 s after the restart. Every step reaches OPG exactly once, in
/// order.
async fn killed_then_taken_over(second_node: &str, faults: serde_json::Value) {
    let sim = start_sim().await;
    let db = TestDb::sqlite();
    let uids = backlog(db.url(), 150).await;
    let total = uids.len() as u64 * STEPS_PER_LPA;
    sim.faults(faults);
    let logs = tempfile::tempdir().unwrap();

    let mut first = spawn_engine(db.url(), &sim.url(), "node-a", &logs.path().join("a.log"));
    eventually(
        "the first process delivered part of the backlog",
        LIMIT,
        || async { sim.handle.stats().writes_applied >= total / 4 },
    )
    .await;
    let lag_at_restart = second_node == "node-a";
    if lag_at_restart {
        sim.faults(json!({"laggingReadRate": 1.0}));
    }
    first.kill().unwrap(); // SIGKILL: no shutdown, leases left behind, requests cut off mid-flight
    first.wait().unwrap();
    let at_kill = sim.handle.stats().writes_applied;
    assert!(
        at_kill < total,
        "killed before the end ({at_kill} of {total} written)"
    );

    let mut second = spawn_engine(
        db.url(),
        &sim.url(),
        second_node,
        &logs.path().join("b.log"),
    );

    if lag_at_restart {
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(sim.handle.stats().lagging_reads > 0, "reads lagged");
        sim.faults(json!({"laggingReadRate": 0.0}));
    }
    let store = Store::open(StoreOptions::new(db.url())).await.unwrap();
    eventually("the second process finished the work", LIMIT, || async {
        open_steps(&store).await == 0
    })
    .await;
    second.kill().unwrap();
    second.wait().unwrap();
    store.shutdown().await;

    let engine = reader(db.url()).await;
    let client = sim.client(DEFAULT_SUBJECT);
    assert_eq!(
        assert_synced_in_order(&engine, &client, &uids).await as u64,
        total
    );
    let stats = sim.handle.stats();
    assert_eq!(stats.duplicates, 0, "{:?}", stats.duplicates_by_lpa);
    assert_eq!(
        stats.writes_applied, total,
        "each step applied exactly once"
    );
    engine.shutdown().await;
    sim.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_on_one_postgres_database_deliver_each_step_once() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let sim = start_sim().await;
    let uids = backlog(db.url(), 100).await;
    let total = uids.len() as u64 * STEPS_PER_LPA;
    sim.faults(json!({"latencyMs": 10}));
    let node = |name: &'static str| {
        move |o: &mut lpaflow_engine::EngineOptions| o.node_id = name.to_owned()
    };
    let a = start_engine(db.url(), Some(&sim.url()), clock(), 8, node("node-a")).await;
    let b = start_engine(db.url(), Some(&sim.url()), clock(), 8, node("node-b")).await;
    drained(a.store(), LIMIT).await;

    let client = sim.client(DEFAULT_SUBJECT);
    assert_eq!(
        assert_synced_in_order(&a, &client, &uids).await as u64,
        total
    );
    let stats = sim.handle.stats();
    assert_eq!(stats.duplicates, 0, "{:?}", stats.duplicates_by_lpa);
    assert_eq!(stats.writes_applied, total, "each step delivered once");
    a.shutdown().await;
    b.shutdown().await;
    sim.handle.shutdown().await.unwrap();
}
