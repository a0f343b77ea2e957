//! A process committing transitions is killed with SIGKILL: every transition whose submitter got an
//! acknowledgement is in the store afterwards, and every hash chain verifies (issue 4's crash proof). Runs
//! the real binary (`lpaflow bench store --ack-log`) on SQLite and, when available, PostgreSQL.
#![allow(clippy::unwrap_used)]

use lpaflow_core::InstanceId;
use lpaflow_store::{Store, StoreOptions};
use lpaflow_test_support::TestDb;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn acked(path: &std::path::Path) -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut max = BTreeMap::new();
    // A line cut short by the kill is ignored: its commit may or may not have been acknowledged.
    for line in text
        .lines()
        .filter(|l| l.ends_with(|c: char| c.is_ascii_digit()))
    {
        if let Some((uid, rev)) = line.split_once(' ')
            && let Ok(rev) = rev.parse::<u64>()
        {
            let e = max.entry(uid.to_owned()).or_insert(0);
            *e = (*e).max(rev);
        }
    }
    max
}

async fn kill_while_committing(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("acks.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lpaflow"))
        .args([
            "bench",
            "store",
            "--submitters",
            "16",
            "--seconds",
            "60",
            "--instances-per-submitter",
            "2",
        ])
        .args([
            "--database-url",
            db.url(),
            "--ack-log",
            log.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked(&log).values().sum::<u64>() < 400 {
        assert!(
            Instant::now() < deadline,
            "the child did not commit 400 transitions in time"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child exited early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let acks = acked(&log);
    // `bench store` writes into `bench_store_16` (PostgreSQL) or `<file>.store_16` (SQLite).
    let url = match db {
        TestDb::Sqlite { .. } => format!("{}.store_16", db.url()),
        TestDb::Postgres { .. } => format!(
            "{}?schema=bench_store_16",
            db.url().split('?').next().unwrap()
        ),
    };
    let store = Store::open(StoreOptions::new(&url)).await.unwrap();
    for (uid, rev) in &acks {
        let stored = store
            .get(&InstanceId::new(uid))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{uid} is missing"));
        assert!(
            stored.instance.revision >= *rev,
            "{uid}: acknowledged revision {rev}, stored {}",
            stored.instance.revision
        );
    }
    let report = store.verify(None, |_| {}).await.unwrap();
    assert!(report.ok(), "{:?}", report.broken);
    assert!(report.checked >= acks.len() as u64);
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commits_survive_sigkill_on_sqlite() {
    kill_while_committing(&TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commits_survive_sigkill_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        kill_while_committing(&db).await;
    }
}
