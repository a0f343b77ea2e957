//! Commits: creation, compare-and-set, atomicity, isolation of bad commits in a batch.

use crate::conformance;
use crate::harness::{author, editor, fixture};
use lpaflow_core::history::GENESIS_HASH;
use lpaflow_store::{CommitError, StepStatus, SyncStatus};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{payload_of, t0, uid};
use serde_json::json;

conformance!(
    create_stores_instance_history_and_first_step,
    update_is_compare_and_set,
    a_commit_from_another_chain_head_at_the_same_revision_is_a_conflict,
    create_twice_is_already_exists,
    a_conflict_in_a_batch_does_not_fail_the_others,
    a_malformed_commit_is_refused_alone,
    data_and_times_round_trip_exactly,
);

async fn create_stores_instance_history_and_first_step(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(1);
    let committed = f.create(&id, json!({"title": "T"}), t0()).await;
    assert_eq!(committed.step_ids.len(), 1);
    let stored = f.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.instance.state, "draft");
    assert_eq!(stored.instance.revision, 1);
    assert_eq!(stored.instance.data, json!({"title": "T"}));
    assert_eq!(stored.steps_enqueued, 1);
    assert_eq!(stored.steps_pending, 1);
    assert_eq!(stored.sync_status, SyncStatus::Pending);
    assert_eq!(stored, *committed.stored);
    let history = f.store.history(&id, 0, 100).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].prev_hash, GENESIS_HASH);
    assert_eq!(history[0].hash, stored.head_hash);
    assert_eq!(history[0].entry.event, "create");
    let steps = f.store.steps_of(&id).await.unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!((steps[0].seq, steps[0].status), (1, StepStatus::Queued));
    assert_eq!(steps[0].step, "ext.create");
    assert_eq!(steps[0].id, committed.step_ids[0]);
}

async fn update_is_compare_and_set(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(2);
    f.create(&id, json!({}), t0()).await;
    let first = f
        .fire_commit(&id, &author("edit").with_payload(json!({"a": 1})), t0())
        .await;
    let second = f
        .fire_commit(&id, &author("edit").with_payload(json!({"a": 2})), t0())
        .await;
    f.store.commit(first).await.unwrap();
    match f.store.commit(second).await {
        Err(CommitError::Conflict {
            expected, actual, ..
        }) => assert_eq!((expected, actual), (1, 2)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let stored = f.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.instance.revision, 2);
    assert_eq!(stored.instance.data, json!({"a": 1}));
    assert_eq!(
        f.store.history(&id, 0, 10).await.unwrap().len(),
        2,
        "nothing of the refused commit is visible"
    );
    assert_eq!(f.store.steps_of(&id).await.unwrap().len(), 2);
}

/// The compare-and-set also checks the chain head the commit was decided from: an engine deciding from an
/// instance it kept in memory (`lpaflow-engine`'s `cache.rs`) relies on it to never commit over an instance
/// whose content differs at the same revision.
async fn a_commit_from_another_chain_head_at_the_same_revision_is_a_conflict(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(7);
    f.create(&id, json!({}), t0()).await;
    let mut commit = f
        .fire_commit(&id, &author("edit").with_payload(json!({"a": 1})), t0())
        .await;
    let base = commit.base.as_mut().expect("an update has a base");
    base.head_hash = "0".repeat(64);
    match f.store.commit(commit).await {
        Err(CommitError::Conflict {
            expected, actual, ..
        }) => assert_eq!((expected, actual), (1, 1)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let stored = f.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.instance.revision, 1);
    assert_eq!(stored.instance.data, json!({}));
    assert_eq!(f.store.history(&id, 0, 10).await.unwrap().len(), 1);
}

async fn create_twice_is_already_exists(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(3);
    f.create(&id, json!({"v": 1}), t0()).await;
    let again = f
        .store
        .commit(f.create_commit(&id, json!({"v": 2}), t0()))
        .await;
    assert!(
        matches!(again, Err(CommitError::AlreadyExists(ref u)) if *u == id),
        "{again:?}"
    );
    assert_eq!(
        f.store.get(&id).await.unwrap().unwrap().instance.data,
        json!({"v": 1})
    );
}

async fn a_conflict_in_a_batch_does_not_fail_the_others(db: &TestDb) {
    let f = fixture(db).await;
    for n in 10..20 {
        f.create(&uid(n), json!({}), t0()).await;
    }
    let mut commits = Vec::new();
    for n in 10..20 {
        commits.push(
            f.fire_commit(&uid(n), &author("edit").with_payload(json!({"n": n})), t0())
                .await,
        );
    }
    // Make uid(15)'s commit stale before the batch runs.
    f.fire(
        &uid(15),
        &author("edit").with_payload(json!({"n": "first"})),
        t0(),
    )
    .await
    .unwrap();
    let results = futures::future::join_all(commits.into_iter().map(|c| f.store.commit(c))).await;
    for (n, r) in (10..20).zip(results) {
        if n == 15 {
            assert!(matches!(r, Err(CommitError::Conflict { .. })), "{n}: {r:?}");
        } else {
            assert_eq!(r.unwrap().stored.instance.revision, 2, "{n}");
        }
    }
}

async fn a_malformed_commit_is_refused_alone(db: &TestDb) {
    let f = fixture(db).await;
    f.create(&uid(30), json!({}), t0()).await;
    f.create(&uid(31), json!({}), t0()).await;
    let good = f.fire_commit(&uid(30), &author("edit"), t0()).await;
    let mut bad = f.fire_commit(&uid(31), &author("edit"), t0()).await;
    let mut changed = bad.decisions.to_vec();
    changed[0].instance.revision = 7;
    bad.decisions = changed.into();
    let (good, bad) = tokio::join!(f.store.commit(good), f.store.commit(bad));
    assert!(good.is_ok());
    assert!(matches!(bad, Err(CommitError::Invalid { .. })), "{bad:?}");
    let mut empty = f.create_commit(&uid(32), json!({}), t0());
    empty.decisions = Vec::new().into();
    assert!(matches!(
        f.store.commit(empty).await,
        Err(CommitError::Invalid { .. })
    ));
}

async fn data_and_times_round_trip_exactly(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(40);
    let data = json!({"unicode": "Zoë – 🎉", "float": 1.5, "big": 9007199254740993u64, "neg": -3, "nested": {"a": [1, {"b": null}]}, "payload": payload_of(1024)});
    let now = t0() + chrono::TimeDelta::microseconds(123_457);
    f.create(&id, data.clone(), now).await;
    let stored = f.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.instance.data, data);
    assert_eq!(stored.instance.created_at, now);
    let h = f.store.history(&id, 0, 1).await.unwrap();
    assert_eq!(h[0].entry.at, now);
    assert_eq!(h[0].entry.payload, data);
    let report = f.store.verify(Some(&id), |_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
    f.fire(&id, &author("submit"), now).await.unwrap();
    f.fire(&id, &editor("approve"), now).await.unwrap();
    assert!(f.store.verify(None, |_| {}).await.unwrap().ok());
}
