//! The global log: every history entry gets the next global index in commit order, with no gap or duplicate,
//! also when two stores (two processes) commit batches at the same time.

use crate::conformance;
use crate::harness::{Fixture, author, fixture, open};
use lpaflow_store::{Backend, Store, StoreOptions};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{t0, uid};
use serde_json::json;
use std::collections::BTreeMap;

conformance!(
    two_writers_number_the_log_without_gaps,
    one_stores_lanes_number_the_log_without_gaps,
    a_store_with_two_connections_writes_in_one_lane
);

async fn two_writers_number_the_log_without_gaps(db: &TestDb) {
    let a = fixture(db).await;
    let mut b = fixture(db).await;
    b.store = open(db).await;
    tokio::join!(twenty_lpas(&a, 600), twenty_lpas(&b, 700));
    let log = a.store.log(|_| {}).await.unwrap();
    assert_eq!(log.len(), 80);
    assert_log_in_order(&log);
    assert!(a.store.unindexed_history().await.unwrap().is_empty());
    a.store.shutdown().await;
    b.store.shutdown().await;
}

/// One store, many callers at once: on PostgreSQL its writer's two lanes write transactions at the same time,
/// and the log still numbers every entry once, in commit order; every chain verifies.
async fn one_stores_lanes_number_the_log_without_gaps(db: &TestDb) {
    let f = fixture(db).await;
    for round in 0..5 {
        let ids: Vec<_> = (0..64).map(|n| uid(800 + n)).collect();
        futures::future::join_all(ids.iter().map(|id| async {
            if round == 0 {
                f.create(id, json!({"title": "Lanes"}), t0()).await;
            } else {
                f.fire(id, &author("edit").with_payload(json!({"n": round})), t0())
                    .await
                    .unwrap();
            }
        }))
        .await;
    }
    let log = f.store.log(|_| {}).await.unwrap();
    assert_eq!(log.len(), 64 * 5);
    assert_log_in_order(&log);
    assert!(f.store.verify(None, |_| {}).await.unwrap().ok());
    let overlapped = f.store.writer_overlapped();
    match f.store.backend() {
        Backend::Postgres => assert!(
            overlapped > 0,
            "no transaction started while another ran: the lanes did not write at once"
        ),
        Backend::Sqlite => assert_eq!(overlapped, 0, "SQLite has one lane"),
    }
    f.store.shutdown().await;
}

/// With two connections, a second lane would leave none to claims and reads: one lane writes.
async fn a_store_with_two_connections_writes_in_one_lane(db: &TestDb) {
    let mut f = fixture(db).await;
    f.store.shutdown().await;
    f.store = Store::open(StoreOptions {
        max_connections: 2,
        ..StoreOptions::new(db.url())
    })
    .await
    .unwrap();
    twenty_lpas(&f, 900).await;
    assert_eq!(f.store.log(|_| {}).await.unwrap().len(), 40);
    assert_eq!(f.store.writer_overlapped(), 0);
    f.store.shutdown().await;
}

/// Every entry once, numbered densely from 0, each LPA's entries in seq order.
fn assert_log_in_order(log: &[lpaflow_core::log::LogEntry]) {
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.index, i as u64, "no gap, no duplicate");
    }
    let mut last_seq: BTreeMap<&str, u64> = BTreeMap::new();
    for e in log {
        let before = last_seq.insert(e.uid.as_str(), e.seq).unwrap_or(0);
        assert_eq!(
            e.seq,
            before + 1,
            "an LPA's entries are in seq order in the log"
        );
    }
}

/// Creates and edits twenty LPAs at once: many commits per batch.
async fn twenty_lpas(f: &Fixture, first: u64) {
    let ids: Vec<_> = (first..first + 20).map(uid).collect();
    futures::future::join_all(ids.iter().map(|id| async move {
        f.create(id, json!({"title": "Log"}), t0()).await;
        f.fire(id, &author("edit").with_payload(json!({"n": 1})), t0())
            .await
            .unwrap();
    }))
    .await;
}
