//! Reveals of masked personal values: recorded and listed newest first, per LPA; append-only like history
//! (an UPDATE, a DELETE and, on SQLite, a REPLACE are refused).

use crate::conformance;
use crate::history::raw;
use lpaflow_store::{NewReveal, Store, StoreOptions};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{t0, uid};

conformance!(
    reveals_are_recorded_and_listed_newest_first,
    reveals_are_append_only,
);

fn reveal(n: u64, seq: u64, reason: &str) -> NewReveal {
    NewReveal {
        uid: uid(n),
        seq,
        actor: "auditor-1".to_owned(),
        role: "auditor".to_owned(),
        reason: reason.to_owned(),
        revealed_at: t0() + chrono::TimeDelta::seconds(i64::try_from(seq).unwrap()),
    }
}

async fn store(db: &TestDb) -> Store {
    Store::open(StoreOptions::new(db.url())).await.unwrap()
}

async fn reveals_are_recorded_and_listed_newest_first(db: &TestDb) {
    let s = store(db).await;
    let first = s
        .record_reveal(&reveal(1, 2, "complaint C-1"))
        .await
        .unwrap();
    let second = s
        .record_reveal(&reveal(1, 5, "complaint C-2"))
        .await
        .unwrap();
    s.record_reveal(&reveal(2, 1, "another LPA")).await.unwrap();
    assert!(second > first);
    let listed = s.reveals(&uid(1), 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|r| r.id).collect::<Vec<_>>(),
        [second, first]
    );
    assert_eq!(
        listed[1].reveal,
        reveal(1, 2, "complaint C-1"),
        "kept as recorded"
    );
    assert_eq!(s.reveals(&uid(1), 1).await.unwrap().len(), 1, "the limit");
    assert!(s.reveals(&uid(3), 10).await.unwrap().is_empty());
}

async fn reveals_are_append_only(db: &TestDb) {
    let s = store(db).await;
    let id = s.record_reveal(&reveal(4, 3, "audit A-7")).await.unwrap();
    let mut attempts = vec![
        format!("UPDATE reveals SET reason = 'nothing' WHERE id = {id}"),
        format!("DELETE FROM reveals WHERE id = {id}"),
    ];
    match db {
        TestDb::Sqlite { .. } => attempts.push(format!(
            "INSERT OR REPLACE INTO reveals (id, uid, seq, actor, role, reason, revealed_at) \
             SELECT id, uid, seq, actor, role, 'nothing', revealed_at FROM reveals WHERE id = {id}"
        )),
        TestDb::Postgres { .. } => attempts.push("TRUNCATE reveals".to_owned()),
    }
    for attempt in attempts {
        let err = raw(db, std::slice::from_ref(&attempt))
            .await
            .expect_err("changing a reveal must be refused")
            .to_string();
        assert!(err.contains("append-only"), "{attempt}: {err}");
    }
    let kept = s.reveals(&uid(4), 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].reveal.reason, "audit A-7");
}
