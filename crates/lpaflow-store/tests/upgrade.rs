//! A database written before migration 0004 (hash format 1, no global index) upgrades in place: its entries
//! get global indices in (at, uid, seq) order, its chains still verify (as history only), and entries written
//! after the upgrade are bound to their instance and appended to the log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use lpaflow_core::history::{GENESIS_HASH, chain_hash};
use lpaflow_core::{Actor, EventName, HistoryEntry, InstanceId, RoleName, StateName};
use lpaflow_store::{Base, Commit, Store, StoreOptions};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{document, t0, uid};
use serde_json::json;
use sqlx::migrate::Migrator;

/// A connection to the test database without the store.
enum Old {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Old {
    async fn exec(&self, sql: &str) {
        match self {
            Old::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Old::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    async fn close(self) {
        match self {
            Old::Sqlite(p) => p.close().await,
            Old::Postgres(p) => p.close().await,
        }
    }
}

/// Only the migrations before 0004.
fn before_0004(mut migrator: Migrator) -> Migrator {
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version < 4)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    migrator
}

/// The migrations before 0004, applied as an older lpaflow did.
async fn old_schema(db: &TestDb) -> Old {
    match db {
        TestDb::Sqlite { url, .. } => {
            let pool = sqlx::SqlitePool::connect(&format!("{url}?mode=rwc"))
                .await
                .unwrap();
            before_0004(sqlx::migrate!("../../migrations/sqlite"))
                .run(&pool)
                .await
                .unwrap();
            Old::Sqlite(pool)
        }
        TestDb::Postgres { url, .. } => {
            let plain = url.split('?').next().unwrap_or(url).to_owned();
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        sqlx::query("CREATE SCHEMA IF NOT EXISTS lpaflow")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("SET search_path TO lpaflow")
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    })
                })
                .connect(&plain)
                .await
                .unwrap();
            before_0004(sqlx::migrate!("../../migrations/postgres"))
                .run(&pool)
                .await
                .unwrap();
            Old::Postgres(pool)
        }
    }
}

/// An LPA created and edited once, as the older lpaflow wrote it: format-1 hashes, no global index.
async fn old_lpa(pool: &Old, id: &InstanceId, minutes: i64, postgres: bool) {
    let (def, _) = document();
    let mut prev = GENESIS_HASH.to_owned();
    for seq in 1..=2u64 {
        let at = t0() + chrono::TimeDelta::minutes(minutes + seq as i64);
        let entry = HistoryEntry {
            seq,
            at,
            actor: Actor::new("author-1"),
            role: RoleName::new("author"),
            event: EventName::new(if seq == 1 { "create" } else { "edit" }),
            from: (seq == 2).then(|| StateName::new("draft")),
            to: StateName::new("draft"),
            payload: json!({"title": "Old"}),
            changes: vec![],
            workflow: def.reference().clone(),
            rules: None,
            binding: None,
        };
        let hash = chain_hash(&prev, id, &entry);
        let time = |t: chrono::DateTime<chrono::Utc>| {
            if postgres {
                format!("'{}'::timestamptz", t.to_rfc3339())
            } else {
                t.timestamp_micros().to_string()
            }
        };
        let from = if seq == 2 { "'draft'" } else { "NULL" };
        pool.exec(&format!(
            "INSERT INTO history (uid, seq, at, actor, role, event, from_state, to_state, payload, changes, workflow, \
             version, prev_hash, hash) VALUES ('{id}', {seq}, {}, 'author-1', 'author', '{}', {from}, 'draft', \
             '{{\"title\":\"Old\"}}', '[]', 'document', 1, '{prev}', '{hash}')",
            time(at),
            entry.event
        ))
        .await;
        prev = hash;
    }
    pool.exec(&format!(
        "INSERT INTO instances (uid, workflow, version, workflow_hash, state, data, revision, head_hash, sync_status, \
         created_at, updated_at) VALUES ('{id}', 'document', 1, '{}', 'draft', '{{\"title\":\"Old\"}}', 2, '{prev}', \
         'synced', {t}, {t})",
        def.hash(),
        t = if postgres { format!("'{}'::timestamptz", t0().to_rfc3339()) } else { t0().timestamp_micros().to_string() },
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_0004_upgrades_and_still_verifies() {
    for db in TestDb::all().await {
        let pool = old_schema(&db).await;
        let postgres = matches!(db, TestDb::Postgres { .. });
        // Created in the other order than their uids: the log follows time.
        old_lpa(&pool, &uid(902), 0, postgres).await;
        old_lpa(&pool, &uid(901), 10, postgres).await;
        pool.close().await;

        let store = Store::open(StoreOptions::new(db.url())).await.unwrap();
        let report = store.verify(None, |_| {}).await.unwrap();
        assert!(report.ok(), "{}: {report:?}", db.kind());
        assert_eq!((report.history_only, report.state_bound), (2, 0));
        let log = store.log(|_| {}).await.unwrap();
        let order: Vec<(String, u64, u64)> = log
            .iter()
            .map(|e| (e.uid.clone(), e.seq, e.index))
            .collect();
        let (a, b) = (uid(902).to_string(), uid(901).to_string());
        assert_eq!(
            order,
            vec![(a.clone(), 1, 0), (a, 2, 1), (b.clone(), 1, 2), (b, 2, 3)],
            "{}",
            db.kind()
        );

        let (def, rules) = document();
        let stored = store.get(&uid(901)).await.unwrap().unwrap();
        let command =
            lpaflow_core::Command::new("edit", "author-1", "author").with_payload(json!({"n": 1}));
        let decisions =
            lpaflow_core::decide_chain(&def, &rules, &stored.instance, &command, t0()).unwrap();
        store
            .commit(Commit {
                uid: uid(901),
                base: Some(Base::of(&stored)),
                workflow_hash: def.hash().to_owned(),
                decisions: decisions.into(),
                labels: None,
                findable: None,
                consume_timer: None,
                complete_step: None,
                idempotency: None,
                enqueued_at: None,
                lease_first_step: None,
            })
            .await
            .unwrap();
        let report = store.verify(None, |_| {}).await.unwrap();
        assert!(report.ok(), "{}: {report:?}", db.kind());
        assert_eq!((report.history_only, report.state_bound), (1, 1));
        let log = store.log(|_| {}).await.unwrap();
        assert_eq!(log.len(), 5);
        assert_eq!(
            (log[4].uid.as_str(), log[4].seq, log[4].index),
            (uid(901).as_str(), 3, 4)
        );
        store.shutdown().await;
    }
}
