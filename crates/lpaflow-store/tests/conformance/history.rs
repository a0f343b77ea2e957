//! Tamper evidence: the triggers refuse UPDATE and DELETE; with the triggers dropped, every kind of edit is
//! found by `verify`, which names the instance and the first broken entry.

use crate::conformance;
use crate::harness::{Fixture, author, fixture};
use lpaflow_core::InstanceId;
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{t0, uid};
use serde_json::json;
use sqlx::Connection;

conformance!(
    history_refuses_update_and_delete,
    history_refuses_replace_and_upsert,
    verify_finds_every_kind_of_tampering,
    chain_heads_can_be_published
);

/// Runs raw SQL statements on the test database, as someone with database access would.
pub(crate) async fn raw(db: &TestDb, statements: &[String]) -> Result<(), sqlx::Error> {
    match db {
        TestDb::Sqlite { url, .. } => {
            let mut conn = sqlx::SqliteConnection::connect(url).await?;
            for s in statements {
                sqlx::query(s).execute(&mut conn).await?;
            }
        }
        TestDb::Postgres { url, .. } => {
            let plain = url.split('?').next().unwrap_or(url);
            let mut conn = sqlx::PgConnection::connect(plain).await?;
            sqlx::query("SET search_path TO lpaflow")
                .execute(&mut conn)
                .await?;
            for s in statements {
                sqlx::query(s).execute(&mut conn).await?;
            }
        }
    }
    Ok(())
}

pub(crate) async fn drop_triggers(db: &TestDb) {
    let statements = match db {
        TestDb::Sqlite { .. } => vec![
            "DROP TRIGGER history_refuses_update".to_owned(),
            "DROP TRIGGER history_refuses_delete".to_owned(),
        ],
        TestDb::Postgres { .. } => vec![
            "DROP TRIGGER history_refuses_update ON history".to_owned(),
            "DROP TRIGGER history_refuses_delete ON history".to_owned(),
        ],
    };
    raw(db, &statements).await.unwrap();
}

/// An instance with five history entries.
async fn five_entries(f: &Fixture, id: &InstanceId) {
    f.create(id, json!({"title": "Tamper"}), t0()).await;
    for i in 0..4 {
        f.fire(id, &author("edit").with_payload(json!({"i": i})), t0())
            .await
            .unwrap();
    }
}

async fn history_refuses_update_and_delete(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(200);
    five_entries(&f, &id).await;
    let update = raw(
        db,
        &[format!(
            "UPDATE history SET actor = 'mallory' WHERE uid = '{id}' AND seq = 2"
        )],
    )
    .await;
    let err = update.expect_err("UPDATE must be refused").to_string();
    assert!(err.contains("append-only"), "{err}");
    let delete = raw(
        db,
        &[format!(
            "DELETE FROM history WHERE uid = '{id}' AND seq = 5"
        )],
    )
    .await;
    assert!(
        delete
            .expect_err("DELETE must be refused")
            .to_string()
            .contains("append-only")
    );
    assert!(f.store.verify(None, |_| {}).await.unwrap().ok());
}

/// Every way to write over an existing entry with an INSERT: SQLite's REPLACE (which deletes the old row by
/// conflict resolution, firing no DELETE trigger) and an upsert on both backends.
async fn history_refuses_replace_and_upsert(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(201);
    five_entries(&f, &id).await;
    let copy = "SELECT uid, seq, at, 'mallory', role, event, from_state, to_state, payload, changes, workflow, \
                version, prev_hash, hash, hash_format, state_digest, timers FROM history";
    let columns = "(uid, seq, at, actor, role, event, from_state, to_state, payload, changes, workflow, \
                   version, prev_hash, hash, hash_format, state_digest, timers)";
    let mut attempts = vec![format!(
        "INSERT INTO history {columns} {copy} WHERE uid = '{id}' AND seq = 2 \
         ON CONFLICT (uid, seq) DO UPDATE SET actor = excluded.actor"
    )];
    if let TestDb::Sqlite { .. } = db {
        attempts.push(format!(
            "INSERT OR REPLACE INTO history {columns} {copy} WHERE uid = '{id}' AND seq = 2"
        ));
        attempts.push(format!(
            "REPLACE INTO history {columns} {copy} WHERE uid = '{id}' AND seq = 3"
        ));
    }
    for attempt in attempts {
        let err = raw(db, std::slice::from_ref(&attempt))
            .await
            .expect_err("writing over an entry must be refused")
            .to_string();
        assert!(err.contains("append-only"), "{attempt}: {err}");
    }
    let history = f.store.history(&id, 0, 10).await.unwrap();
    assert!(history.iter().all(|e| e.entry.actor.as_str() != "mallory"));
    assert!(f.store.verify(None, |_| {}).await.unwrap().ok());
}

async fn verify_finds_every_kind_of_tampering(db: &TestDb) {
    let f = fixture(db).await;
    let (edited, deleted, swapped, truncated, intact) =
        (uid(210), uid(211), uid(212), uid(213), uid(214));
    for id in [&edited, &deleted, &swapped, &truncated, &intact] {
        five_entries(&f, id).await;
    }
    drop_triggers(db).await;
    raw(
        db,
        &[
            format!("UPDATE history SET payload = replace(payload, '1', '7') WHERE uid = '{edited}' AND seq = 3"),
            format!("DELETE FROM history WHERE uid = '{deleted}' AND seq = 2"),
            format!("UPDATE history SET seq = 100 WHERE uid = '{swapped}' AND seq = 3"),
            format!("UPDATE history SET seq = 3 WHERE uid = '{swapped}' AND seq = 4"),
            format!("UPDATE history SET seq = 4 WHERE uid = '{swapped}' AND seq = 100"),
            format!("DELETE FROM history WHERE uid = '{truncated}' AND seq >= 4"),
        ],
    )
    .await
    .unwrap();
    let mut progress = Vec::new();
    let report = f.store.verify(None, |n| progress.push(n)).await.unwrap();
    assert_eq!(report.checked, 5);
    assert_eq!(progress.last(), Some(&5));
    let found: Vec<(String, u64, &str)> = report
        .broken
        .iter()
        .map(|b| (b.uid.to_string(), b.seq, b.reason.as_str()))
        .collect();
    assert_eq!(found.len(), 4, "{found:?}");
    assert_eq!(
        found[0],
        (
            edited.to_string(),
            3,
            "the entry's content does not match its hash (edited after it was written)"
        )
    );
    assert_eq!(
        found[1],
        (
            deleted.to_string(),
            2,
            "expected entry 2 here but found entry 3 (deleted or reordered rows)"
        )
    );
    assert_eq!(found[2].0, swapped.to_string());
    assert_eq!(found[2].1, 3);
    assert_eq!(
        found[3],
        (
            truncated.to_string(),
            4,
            "the history ends at entry 3 but the instance is at revision 5"
        )
    );
    let one = f.store.verify(Some(&intact), |_| {}).await.unwrap();
    assert!(one.ok() && one.entries == 5);
}

async fn chain_heads_can_be_published(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(220);
    five_entries(&f, &id).await;
    let head = f.store.chain_head(&id).await.unwrap().unwrap();
    let history = f.store.history(&id, 0, 10).await.unwrap();
    assert_eq!(head.revision, 5);
    assert_eq!(head.hash, history[4].hash);
    assert_eq!(
        f.store.history(&id, 3, 10).await.unwrap().len(),
        2,
        "pages continue after a seq"
    );
    assert!(f.store.chain_head(&uid(221)).await.unwrap().is_none());
}
