//! Many writers on one instance: exactly one wins per revision, no update is lost, history has no gaps.

use crate::conformance;
use crate::harness::{author, fixture, fixture_with};
use lpaflow_store::CommitError;
use lpaflow_test_support::fixture::{t0, uid};
use lpaflow_test_support::{TestDb, WriteLock};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

conformance!(
    racing_writers_on_one_instance_lose_nothing,
    many_instances_commit_concurrently,
    a_submit_dropped_while_the_queue_is_full_queues_nothing
);

async fn racing_writers_on_one_instance_lose_nothing(db: &TestDb) {
    let f = Arc::new(fixture(db).await);
    let id = uid(100);
    f.create(&id, json!({"counter": 0}), t0()).await;
    let tasks = 16;
    let per_task = 10;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let f = f.clone();
        let id = id.clone();
        handles.push(tokio::spawn(async move {
            let mut wins = Vec::new();
            let mut conflicts = 0u32;
            while wins.len() < per_task {
                let commit = f
                    .fire_commit(
                        &id,
                        &author("edit").with_payload(json!({format!("t{t}"): wins.len()})),
                        t0(),
                    )
                    .await;
                match f.store.commit(commit).await {
                    Ok(c) => wins.push(c.stored.instance.revision),
                    Err(CommitError::Conflict { .. }) => conflicts += 1,
                    Err(e) => panic!("{e}"),
                }
            }
            (wins, conflicts)
        }));
    }
    let mut revisions = Vec::new();
    for h in handles {
        let (wins, _) = h.await.unwrap();
        revisions.extend(wins);
    }
    revisions.sort_unstable();
    let expected: Vec<u64> = (2..=(1 + tasks * per_task) as u64).collect();
    assert_eq!(revisions, expected, "each revision has exactly one winner");
    let stored = f.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.instance.revision, 1 + (tasks * per_task) as u64);
    for t in 0..tasks {
        assert_eq!(
            stored.instance.data[format!("t{t}").as_str()],
            json!(per_task - 1),
            "task {t}'s last write is kept"
        );
    }
    let history = f.store.history(&id, 0, 1000).await.unwrap();
    let seqs: Vec<u64> = history.iter().map(|h| h.entry.seq).collect();
    assert_eq!(seqs, (1..=stored.instance.revision).collect::<Vec<_>>());
    assert!(f.store.verify(Some(&id), |_| {}).await.unwrap().ok());
    assert_eq!(
        f.store.steps_of(&id).await.unwrap().len() as u64,
        stored.instance.revision
    );
}

async fn many_instances_commit_concurrently(db: &TestDb) {
    let f = Arc::new(fixture(db).await);
    let mut handles = Vec::new();
    for n in 0..200u64 {
        let f = f.clone();
        handles.push(tokio::spawn(async move {
            let id = uid(1000 + n);
            f.create(&id, json!({"n": n}), t0()).await;
            f.fire(&id, &author("submit"), t0()).await.unwrap();
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let counts = f.store.count_by_state().await.unwrap();
    assert_eq!(
        counts,
        vec![("document".to_owned(), "review".to_owned(), 200)]
    );
    let report = f.store.verify(None, |_| {}).await.unwrap();
    assert_eq!((report.checked, report.entries), (200, 400));
    assert!(report.ok());
    let (transactions, commits, _) = f.store.writer_counts();
    assert_eq!(commits, 400);
    assert!(
        transactions * 2 <= commits,
        "concurrent commits share transactions (group commit): {commits} commits in {transactions} transactions"
    );
}

/// `Store::submit` queues a commit or nothing: dropped while it waits for room in the writer's queue, nothing
/// is queued, nothing lands and it no longer counts as on its way (the engine relies on it: a caller that goes
/// away before its commit is queued leaves nothing to follow up).
async fn a_submit_dropped_while_the_queue_is_full_queues_nothing(db: &TestDb) {
    let f = fixture_with(db, |o| {
        o.writer.queue_capacity = 1;
        o.writer.lanes = 1;
    })
    .await;
    let lock = WriteLock::take(db).await;
    // The writer takes the first commit and waits for the lock; the second fills the queue.
    let first = f
        .store
        .submit(f.create_commit(&uid(301), json!({}), t0()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = f
        .store
        .submit(f.create_commit(&uid(302), json!({}), t0()))
        .await
        .unwrap();
    let third = f.store.submit(f.create_commit(&uid(303), json!({}), t0()));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), third)
            .await
            .is_err(),
        "the queue is full: the third waits for room"
    );
    assert_eq!(
        f.store.commits_in_flight(),
        2,
        "the dropped one is uncounted"
    );
    lock.release().await;
    first.await.unwrap();
    second.await.unwrap();
    assert_eq!(f.store.commits_in_flight(), 0);
    assert!(f.store.get(&uid(301)).await.unwrap().is_some());
    assert!(f.store.get(&uid(302)).await.unwrap().is_some());
    assert!(
        f.store.get(&uid(303)).await.unwrap().is_none(),
        "nothing of the dropped submit landed"
    );
}
