//! PostgreSQL only: the plans of the writer's statements must not depend on how large the outbox was when a
//! connection first ran them. A prepared statement's generic plan is made once per connection, on the table
//! sizes of that moment, and kept until an `ANALYZE` invalidates it; with autovacuum off (as on the CI machine)
//! that never happens, so a plan made on an empty outbox (a hashed sub-plan scanning the whole table) ran for
//! every later batch, each one slower as the outbox grew (`bench store`: 3,700 transitions/s at 64 submitters
//! after a few seconds, 9,500 with a plan made for each batch).

use crate::harness::{agent, start, system_clock};
use futures::future::join_all;
use lpaflow_core::InstanceId;
use lpaflow_test_support::TestDb;
use sqlx::{Connection, PgConnection};
use std::time::Duration;

/// Rows already in the outbox when the later commits run: enough that a sequential scan is never the plan.
const BULK: usize = 60_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_on_a_large_outbox_do_not_scan_it_whatever_it_held_when_their_plans_were_first_made()
 {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = start(&db, system_clock(), false).await;
    // On an empty outbox, in batches of many commits: more than the five executions after which PostgreSQL
    // may keep a generic plan, made for a batch of unknown size on a table it believes small.
    let ids: Vec<InstanceId> = (0..64)
        .map(|n| InstanceId::new(format!("T-9{n:02}")))
        .collect();
    join_all(
        ids.iter()
            .map(|id| s.engine.create("ticket", id.clone(), agent("create"))),
    )
    .await;
    for _ in 0..6 {
        join_all(ids.iter().map(|id| s.engine.fire(id, agent("note")))).await;
    }
    db.run_sql(&[format!(
        "INSERT INTO outbox (uid, seq, revision, step, delivery, payload, status, next_attempt_at, created_at) \
         SELECT 'bulk-' || g, 1, 1, 'ext.bulk', 'background', '{{}}', 'done', now(), now() \
         FROM generate_series(1, {BULK}) AS g"
    )])
    .await;
    let mut conn = PgConnection::connect(plain(&db)).await.unwrap();
    let before = settled_counts(&mut conn).await;
    assert!(before.inserted >= BULK as i64, "{before:?}");

    for result in join_all(ids.iter().map(|id| s.engine.fire(id, agent("note")))).await {
        result.unwrap();
    }
    s.engine.shutdown().await;
    s.store.shutdown().await;
    // A backend reports its counts when it exits: wait until the engine's have.
    wait_for_other_sessions_to_end(&mut conn).await;
    let after = counts(&mut conn).await;
    assert!(
        after.inserted >= before.inserted + ids.len() as i64,
        "the later commits are counted: {before:?} -> {after:?}"
    );
    assert_eq!(
        after.seq_scans, before.seq_scans,
        "commits scanned the whole outbox: {before:?} -> {after:?}"
    );
}

#[derive(Debug, PartialEq, Clone, Copy)]
struct Counts {
    inserted: i64,
    seq_scans: i64,
}

fn plain(db: &TestDb) -> &str {
    db.url().split('?').next().unwrap_or(db.url())
}

async fn counts(conn: &mut PgConnection) -> Counts {
    let (inserted, seq_scans): (i64, i64) = sqlx::query_as(
        "SELECT n_tup_ins, seq_scan FROM pg_stat_user_tables \
         WHERE schemaname = 'lpaflow' AND relname = 'outbox'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    Counts {
        inserted,
        seq_scans,
    }
}

/// The outbox's counts once every backend has reported what it did (an idle backend reports within about a
/// second): the same twice, two seconds apart.
async fn settled_counts(conn: &mut PgConnection) -> Counts {
    let mut last = counts(conn).await;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = counts(conn).await;
        if now == last && now.inserted >= BULK as i64 {
            return now;
        }
        last = now;
    }
    panic!("the statistics did not settle: {last:?}");
}

async fn wait_for_other_sessions_to_end(conn: &mut PgConnection) {
    for _ in 0..200 {
        let others: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        if others == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the engine's sessions did not end");
}
