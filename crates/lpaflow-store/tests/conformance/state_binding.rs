//! The instance row is bound to its chain (hash format 2): editing an instance's state, data, revision or wait
//! outside lpaflow, or deleting its row, is found by `verify`, naming the instance and the entry; entries
//! written before format 2 still verify.

use crate::conformance;
use crate::harness::{Fixture, author, fixture};
use crate::history::{drop_triggers, raw};
use lpaflow_core::history::{BreakKind, GENESIS_HASH, chain_hash};
use lpaflow_core::{HistoryEntry, InstanceId};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{t0, uid};
use serde_json::json;

conformance!(
    verify_checks_every_instance_row_against_its_head,
    an_unreadable_row_is_reported_not_fatal,
    entries_bind_the_timers_they_set,
    entries_written_before_format_2_still_verify
);

/// An instance with three history entries, the last in `review` (with its timer set).
async fn three_entries(f: &Fixture, id: &InstanceId) {
    f.create(id, json!({"title": "Bound"}), t0()).await;
    f.fire(id, &author("edit").with_payload(json!({"n": 1})), t0())
        .await
        .unwrap();
    f.fire(id, &author("submit"), t0()).await.unwrap();
}

async fn verify_checks_every_instance_row_against_its_head(db: &TestDb) {
    let f = fixture(db).await;
    let ids: Vec<InstanceId> = (300..306).map(uid).collect();
    for id in &ids {
        three_entries(&f, id).await;
    }
    let before = f.store.verify(None, |_| {}).await.unwrap();
    assert!(before.ok(), "{before:?}");
    assert_eq!(before.state_bound, 6);
    let [state, data, rolled_back, awaiting, deleted, intact] = ids.as_slice() else {
        unreachable!()
    };
    let entry2 = f.store.history(rolled_back, 1, 1).await.unwrap()[0]
        .hash
        .clone();
    drop_triggers(db).await;
    raw(
        db,
        &[
            format!("UPDATE instances SET state = 'published' WHERE uid = '{state}'"),
            format!("UPDATE instances SET data = '{{\"title\":\"Forged\"}}' WHERE uid = '{data}'"),
            format!("DELETE FROM history WHERE uid = '{rolled_back}' AND seq = 3"),
            format!(
                "UPDATE instances SET revision = 2, head_hash = '{entry2}' WHERE uid = '{rolled_back}'"
            ),
            format!(
                "UPDATE instances SET awaiting = '{{\"step\":\"ext.publish\",\"event\":\"published\",\"since\":\"2026-01-01T00:00:00Z\"}}' WHERE uid = '{awaiting}'"
            ),
            format!("DELETE FROM instances WHERE uid = '{deleted}'"),
        ],
    )
    .await
    .unwrap();
    let report = f.store.verify(None, |_| {}).await.unwrap();
    let found: Vec<(String, u64, BreakKind)> = report
        .broken
        .iter()
        .map(|b| (b.uid.to_string(), b.seq, b.kind))
        .collect();
    assert_eq!(
        found,
        vec![
            (state.to_string(), 3, BreakKind::State),
            (data.to_string(), 3, BreakKind::State),
            (rolled_back.to_string(), 2, BreakKind::State),
            (awaiting.to_string(), 3, BreakKind::State),
        ]
    );
    assert_eq!(report.orphans.len(), 1, "{report:?}");
    assert_eq!(report.orphans[0].uid, *deleted);
    assert_eq!(report.orphans[0].last_seq, 3);
    assert_eq!(report.state_bound, 1);
    assert!(!report.ok());
    assert!(f.store.verify(Some(intact), |_| {}).await.unwrap().ok());
}

async fn entries_bind_the_timers_they_set(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(310);
    three_entries(&f, &id).await;
    let history = f.store.history(&id, 0, 10).await.unwrap();
    let submit = history[2].entry.binding.as_ref().expect("format 2");
    assert_eq!(submit.timers["set"][0]["name"], "review_deadline");
    assert_eq!(submit.timers["cancel"], json!([]));
    let head = f.store.chain_head(&id).await.unwrap().unwrap();
    assert_eq!(submit.state, head.state);
}

/// Rewrites an instance's chain as format 1 (what a database written before format 2 holds).
async fn as_format_1(f: &Fixture, db: &TestDb, id: &InstanceId) {
    let rows = f.store.history(id, 0, 100).await.unwrap();
    let mut prev = GENESIS_HASH.to_owned();
    let mut statements = Vec::new();
    for row in rows {
        let entry = HistoryEntry {
            rules: None,
            binding: None,
            ..row.entry
        };
        let hash = chain_hash(&prev, id, &entry);
        statements.push(format!(
            "UPDATE history SET hash_format = 1, state_digest = NULL, timers = NULL, prev_hash = '{prev}', \
             hash = '{hash}' WHERE uid = '{id}' AND seq = {}",
            entry.seq
        ));
        prev = hash;
    }
    statements.push(format!(
        "UPDATE instances SET head_hash = '{prev}' WHERE uid = '{id}'"
    ));
    raw(db, &statements).await.unwrap();
}

async fn entries_written_before_format_2_still_verify(db: &TestDb) {
    let f = fixture(db).await;
    let (old, upgraded) = (uid(320), uid(321));
    three_entries(&f, &old).await;
    three_entries(&f, &upgraded).await;
    drop_triggers(db).await;
    as_format_1(&f, db, &old).await;
    as_format_1(&f, db, &upgraded).await;
    f.fire(
        &upgraded,
        &author("edit").with_payload(json!({"n": 2})),
        t0(),
    )
    .await
    .unwrap();
    let report = f.store.verify(None, |_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!((report.history_only, report.state_bound), (1, 1));
    raw(
        db,
        &[format!(
            "UPDATE history SET payload = '{{\"n\":9}}' WHERE uid = '{old}' AND seq = 2"
        )],
    )
    .await
    .unwrap();
    let report = f.store.verify(None, |_| {}).await.unwrap();
    assert_eq!(report.broken.len(), 1);
    assert_eq!(
        (report.broken[0].seq, report.broken[0].kind),
        (2, BreakKind::Content)
    );
}

/// A history row made unreadable (not JSON) is reported for its LPA; the others are still verified.
async fn an_unreadable_row_is_reported_not_fatal(db: &TestDb) {
    let f = fixture(db).await;
    let (garbled, fine) = (uid(330), uid(331));
    three_entries(&f, &garbled).await;
    three_entries(&f, &fine).await;
    drop_triggers(db).await;
    raw(
        db,
        &[format!(
            "UPDATE history SET changes = 'not json' WHERE uid = '{garbled}' AND seq = 2"
        )],
    )
    .await
    .unwrap();
    let report = f.store.verify(None, |_| {}).await.unwrap();
    assert_eq!(report.checked, 2);
    assert_eq!(report.broken.len(), 1, "{report:?}");
    assert_eq!(report.broken[0].uid, garbled);
    assert_eq!(report.broken[0].kind, BreakKind::Unreadable);
    assert_eq!(report.state_bound, 1);
}
