//! The global log: every history entry gets the next global index in commit order, with no gap or duplicate,
//! also when two stores (two processes) commit batches at the same time.

use crate::conformance;
use crate::harness::{Fixture, author, fixture, open};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{t0, uid};
use serde_json::json;
use std::collections::BTreeMap;

conformance!(two_writers_number_the_log_without_gaps);

async fn two_writers_number_the_log_without_gaps(db: &TestDb) {
    let a = fixture(db).await;
    let mut b = fixture(db).await;
    b.store = open(db).await;
    tokio::join!(twenty_lpas(&a, 600), twenty_lpas(&b, 700));
    let log = a.store.log(|_| {}).await.unwrap();
    assert_eq!(log.len(), 80);
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.index, i as u64, "no gap, no duplicate");
    }
    let mut last_seq: BTreeMap<&str, u64> = BTreeMap::new();
    for e in &log {
        let before = last_seq.insert(e.uid.as_str(), e.seq).unwrap_or(0);
        assert_eq!(
            e.seq,
            before + 1,
            "an LPA's entries are in seq order in the log"
        );
    }
    assert!(a.store.unindexed_history().await.unwrap().is_empty());
    a.store.shutdown().await;
    b.store.shutdown().await;
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
