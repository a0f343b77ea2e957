//! Several engine processes on one database, played by two store handles (two pools, two group-commit
//! writers): what a single SQLite writer serializes for free must stay true when the writers race on
//! PostgreSQL.

use crate::conformance;
use crate::harness::{author, fixture, open};
use chrono::TimeDelta;
use lpaflow_store::{
    CommitError, Fenced, Reservation, StepFinish, StepOutcome, StepStatus, Store, SyncStatus,
};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{t0, uid};
use serde_json::json;
use std::sync::Arc;

conformance!(
    two_handles_create_each_uid_once,
    racing_writers_on_two_handles_lose_nothing,
    steps_finished_while_others_are_enqueued_are_never_stranded,
    two_handles_reserve_each_idempotency_key_once,
);

async fn two_handles_create_each_uid_once(db: &TestDb) {
    let f = fixture(db).await;
    let other = open(db).await;
    let ids: Vec<_> = (0..40).map(|n| uid(2000 + n)).collect();
    // Opposite orders, so the two batches meet each other's rows from both ends.
    let mine = futures::future::join_all(ids.iter().map(|id| {
        f.store
            .commit(f.create_commit(id, json!({"by": "a"}), t0()))
    }));
    let theirs = futures::future::join_all(
        ids.iter()
            .rev()
            .map(|id| other.commit(f.create_commit(id, json!({"by": "b"}), t0()))),
    );
    let (mine, mut theirs) = tokio::join!(mine, theirs);
    theirs.reverse();
    for ((id, a), b) in ids.iter().zip(mine).zip(theirs) {
        let by = match (a, b) {
            (Ok(_), Err(CommitError::AlreadyExists(u))) if u == *id => "a",
            (Err(CommitError::AlreadyExists(u)), Ok(_)) if u == *id => "b",
            other => panic!("{id}: exactly one create must win, got {other:?}"),
        };
        let stored = f.store.get(id).await.unwrap().unwrap();
        assert_eq!(stored.instance.data, json!({"by": by}), "{id}");
        assert_eq!(f.store.steps_of(id).await.unwrap().len(), 1, "{id}");
    }
    assert!(f.store.verify(None, |_| {}).await.unwrap().ok());
    other.shutdown().await;
}

async fn racing_writers_on_two_handles_lose_nothing(db: &TestDb) {
    let f = Arc::new(fixture(db).await);
    let other = open(db).await;
    let id = uid(2100);
    f.create(&id, json!({}), t0()).await;
    let (tasks, per_task) = (8, 8);
    let mut handles = Vec::new();
    for t in 0..tasks {
        let (f, id) = (f.clone(), id.clone());
        let store: Store = if t % 2 == 0 {
            f.store.clone()
        } else {
            other.clone()
        };
        handles.push(tokio::spawn(async move {
            let mut wins = 0;
            while wins < per_task {
                let payload = json!({format!("t{t}"): wins});
                let commit = f
                    .fire_commit(&id, &author("edit").with_payload(payload), t0())
                    .await;
                match store.commit(commit).await {
                    Ok(_) => wins += 1,
                    Err(CommitError::Conflict { .. }) => {}
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let stored = f.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.instance.revision, 1 + tasks * per_task);
    for t in 0..tasks {
        assert_eq!(
            stored.instance.data[format!("t{t}").as_str()],
            json!(per_task - 1)
        );
    }
    assert_eq!(stored.steps_enqueued, 1 + tasks * per_task);
    assert_eq!(stored.steps_pending, 1 + tasks * per_task);
    let steps = f.store.steps_of(&id).await.unwrap();
    let queued: Vec<u64> = steps
        .iter()
        .filter(|s| s.status == StepStatus::Queued)
        .map(|s| s.seq)
        .collect();
    assert_eq!(queued, [1], "only the first step is claimable");
    assert!(f.store.verify(Some(&id), |_| {}).await.unwrap().ok());
    other.shutdown().await;
}

/// One handle delivers steps while the other enqueues more for the same instances: a step enqueued while the
/// step before it is being finished must still become claimable, or its instance never syncs.
async fn steps_finished_while_others_are_enqueued_are_never_stranded(db: &TestDb) {
    let f = Arc::new(fixture(db).await);
    let worker = open(db).await;
    let ids: Vec<_> = (0..16).map(|n| uid(2200 + n)).collect();
    for id in &ids {
        f.create(id, json!({}), t0()).await;
    }
    let lease = t0() + TimeDelta::seconds(30);
    // One writer task per instance, so the writer's batches hold many instances at once.
    let writers: Vec<_> = ids
        .iter()
        .map(|id| {
            let (f, id) = (f.clone(), id.clone());
            tokio::spawn(async move {
                for round in 0..16 {
                    let edit = author("edit").with_payload(json!({ "round": round }));
                    f.fire(&id, &edit, t0()).await.unwrap();
                }
            })
        })
        .collect();
    let deliver = |store: Store| async move {
        let claimed = store.claim_steps("w", 64, lease, t0()).await.unwrap();
        let done: Vec<StepFinish> = claimed
            .iter()
            .map(|s| StepFinish {
                step: Fenced {
                    key: s.id,
                    fence: s.fence,
                },
                uid: s.uid.clone(),
                outcome: StepOutcome::Done { result: json!({}) },
                at: t0(),
            })
            .collect();
        let n = done.len();
        assert!(store.finish_steps(done).await.unwrap().iter().all(|ok| *ok));
        n
    };
    while !writers.iter().all(|w| w.is_finished()) {
        deliver(worker.clone()).await;
    }
    for w in writers {
        w.await.unwrap();
    }
    while deliver(worker.clone()).await > 0 {}
    for id in &ids {
        let steps = f.store.steps_of(id).await.unwrap();
        let stuck: Vec<_> = steps
            .iter()
            .filter(|s| s.status != StepStatus::Done)
            .map(|s| (s.seq, s.status))
            .collect();
        assert!(stuck.is_empty(), "{id}: steps left undelivered: {stuck:?}");
        assert_eq!(steps.len(), 17);
        let stored = f.store.get(id).await.unwrap().unwrap();
        assert_eq!(
            (stored.steps_pending, stored.sync_status),
            (0, SyncStatus::Synced)
        );
    }
    worker.shutdown().await;
}

async fn two_handles_reserve_each_idempotency_key_once(db: &TestDb) {
    let a = open(db).await;
    let b = open(db).await;
    let stale = t0() - TimeDelta::seconds(30);
    let later = t0() + TimeDelta::minutes(5);
    let keys: Vec<String> = (0..30).map(|k| format!("k{k}")).collect();
    for (now, abandoned_before) in [(t0(), stale), (later, later - TimeDelta::seconds(30))] {
        // First round: new keys. Second round: every reservation is abandoned and taken over once.
        let (ra, rb) = tokio::join!(
            futures::future::join_all(keys.iter().map(|k| a.reserve_idempotency_key(
                "svc",
                k,
                "h",
                now,
                abandoned_before
            ))),
            futures::future::join_all(keys.iter().rev().map(|k| b.reserve_idempotency_key(
                "svc",
                k,
                "h",
                now,
                abandoned_before
            ))),
        );
        let rb: Vec<_> = rb.into_iter().rev().collect();
        for ((k, x), y) in keys.iter().zip(ra).zip(rb) {
            let mut outcomes = [x.unwrap(), y.unwrap()];
            outcomes.sort_by_key(|r| r != &Reservation::Reserved);
            assert_eq!(
                outcomes,
                [Reservation::Reserved, Reservation::InProgress],
                "{k} at {now}"
            );
        }
    }
    a.shutdown().await;
    b.shutdown().await;
}
