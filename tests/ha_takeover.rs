//! High availability on PostgreSQL (issue 19): two `lpaflow run-engine` processes share a backlog; one is
//! SIGKILLed (or SIGSTOPped past the takeover bound) while its writes to OPG are stored but not yet answered.
//! The survivor takes its work over from the heartbeats, within seconds rather than after its 60 s leases,
//! reads every released step back before sending it again, and every step reaches OPG exactly once, in order.
#![allow(clippy::unwrap_used)]

mod common;

use common::opg::*;
use lpaflow_core::InstanceId;
use lpaflow_opg::jwt::DEFAULT_SUBJECT;
use lpaflow_store::{Store, StoreOptions};
use lpaflow_test_support::TestDb;
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(120);
/// The create, the certificate provider's and the attorney's signatures, the waiting period.
const STEPS_PER_LPA: u64 = 4;
/// Far longer than the takeover bound: work that resumes within seconds was taken over, not left to expire.
const LEASE_MS: &str = "60000";

/// `count` LPAs in the waiting period, their steps waiting in the database.
async fn backlog(db_url: &str, count: u64) -> Vec<InstanceId> {
    let maker = start_engine(db_url, None, clock(), 0, |_| {}).await;
    let uids: Vec<InstanceId> = (1..=count).map(uid).collect();
    for n in 1..=count {
        to_waiting_period(&maker, &uid(n), false).await;
    }
    assert_eq!(open_steps(maker.store()).await, count * STEPS_PER_LPA);
    maker.shutdown().await;
    uids
}

/// `lpaflow run-engine` named `node`, its log in `log`.
fn spawn_engine(db_url: &str, opg_url: &str, node: &str, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_lpaflow"))
        .args(["run-engine", "--database-url", db_url, "--opg-url", opg_url])
        .args(["--node-id", node, "--lease-ms", LEASE_MS, "--poll-ms", "50"])
        .args(["--concurrency", "16", "--node-dead-after-ms", "3000"])
        .arg("--workflows")
        .arg(workflows_dir())
        .env("LPAFLOW_OPG_JWT_SECRET", SECRET)
        .env("LPAFLOW_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name}");
}

fn log_of(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Every LPA synced in order, each step applied once, no duplicate write.
async fn assert_each_step_once(db_url: &str, sim: &Sim, uids: &[InstanceId]) {
    let engine = start_engine(db_url, None, clock(), 0, |o| o.timers.enabled = false).await;
    let client = sim.client(DEFAULT_SUBJECT);
    let total = uids.len() as u64 * STEPS_PER_LPA;
    assert_eq!(
        assert_synced_in_order(&engine, &client, uids).await as u64,
        total
    );
    let stats = sim.handle.stats();
    assert_eq!(stats.duplicates, 0, "{:?}", stats.duplicates_by_lpa);
    assert_eq!(
        stats.writes_applied, total,
        "each step applied exactly once"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_is_taken_over_by_the_survivor_without_duplicates() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let sim = start_sim().await;
    let uids = backlog(db.url(), 60).await;
    let total = uids.len() as u64 * STEPS_PER_LPA;
    // Writes are stored, then answered a second later: the killed process leaves steps that took effect
    // without knowing it.
    sim.faults(json!({"latencyMs": 20, "replyDelayMs": 1000}));
    let logs = tempfile::tempdir().unwrap();
    let (a_log, b_log) = (logs.path().join("a.log"), logs.path().join("b.log"));
    let mut a = spawn_engine(db.url(), &sim.url(), "node-a", &a_log);
    let mut b = spawn_engine(db.url(), &sim.url(), "node-b", &b_log);
    eventually("a quarter of the backlog is in OPG", LIMIT, || async {
        sim.handle.stats().writes_applied >= total / 4
    })
    .await;
    a.kill().unwrap(); // SIGKILL: no shutdown, leases and unanswered writes left behind
    a.wait().unwrap();

    let store = Store::open(StoreOptions::new(db.url())).await.unwrap();
    eventually("the survivor finished the work", LIMIT, || async {
        open_steps(&store).await == 0
    })
    .await;
    let b_says = log_of(&b_log);
    assert!(
        b_says.contains("took over a dead engine process") && b_says.contains("node-a"),
        "the survivor took node-a over: {b_says}"
    );
    assert!(
        store
            .nodes()
            .await
            .unwrap()
            .iter()
            .all(|n| n.node_id != "node-a"),
        "the dead node is gone from the registry"
    );
    b.kill().unwrap();
    b.wait().unwrap();
    store.shutdown().await;
    assert_each_step_once(db.url(), &sim, &uids).await;
    sim.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_paused_past_the_bound_is_taken_over_and_its_late_work_is_refused() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let sim = start_sim().await;
    let uids = backlog(db.url(), 60).await;
    let total = uids.len() as u64 * STEPS_PER_LPA;
    sim.faults(json!({"latencyMs": 20, "replyDelayMs": 1000}));
    let logs = tempfile::tempdir().unwrap();
    let (a_log, b_log) = (logs.path().join("a.log"), logs.path().join("b.log"));
    let mut a = spawn_engine(db.url(), &sim.url(), "node-a", &a_log);
    let mut b = spawn_engine(db.url(), &sim.url(), "node-b", &b_log);
    eventually("a quarter of the backlog is in OPG", LIMIT, || async {
        sim.handle.stats().writes_applied >= total / 4
    })
    .await;
    signal(&a, "STOP");
    eventually(
        "the survivor took the paused process over",
        LIMIT,
        || async { log_of(&b_log).contains("took over a dead engine process") },
    )
    .await;
    // Let the survivor re-deliver a's steps while a sleeps, then wake a with its stale claims.
    tokio::time::sleep(Duration::from_secs(2)).await;
    signal(&a, "CONT");
    eventually(
        "the woken process learned it was taken over",
        LIMIT,
        || async { log_of(&a_log).contains("this process was taken over by another") },
    )
    .await;

    let store = Store::open(StoreOptions::new(db.url())).await.unwrap();
    eventually("both finished the work", LIMIT, || async {
        open_steps(&store).await == 0
    })
    .await;
    let nodes: Vec<String> = store
        .nodes()
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.node_id)
        .collect();
    assert!(
        nodes.contains(&"node-a".to_owned()) && nodes.contains(&"node-b".to_owned()),
        "the woken process registered again: {nodes:?}"
    );
    for child in [&mut a, &mut b] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    store.shutdown().await;
    assert_each_step_once(db.url(), &sim, &uids).await;
    sim.handle.shutdown().await.unwrap();
}
