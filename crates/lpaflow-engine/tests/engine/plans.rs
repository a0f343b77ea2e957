//! PostgreSQL only: the plans of the writer's statements must not depend on how large the tables were when a
//! connection first ran them. A prepared statement's generic plan is made once per connection, on the table
//! sizes of that moment, and kept until an `ANALYZE` invalidates it; with autovacuum off (as on the CI machine)
//! that never happens, so a plan made on an empty outbox (a hashed sub-plan scanning the whole table) ran for
//! every later batch, each one slower as the outbox grew (`bench store`: 3,700 transitions/s at 64 submitters
//! after a few seconds, 9,500 with the statements planned for each batch).

use crate::harness::{Setup, agent, eventually, start, system_clock};
use futures::future::join_all;
use lpaflow_core::InstanceId;
use lpaflow_test_support::TestDb;
use sqlx::{Connection, PgConnection};
use std::time::Duration;

/// Rows added to the outbox and to the instances before the later commits: enough that a sequential scan is
/// never the plan.
const BULK: i64 = 60_000;

/// Open steps of other instances before the later commits: few enough that the backlog is less than a hundred
/// times a batch, where a hashed check would scan it.
const BACKLOG: i64 = 5_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_and_deliveries_on_large_tables_do_not_scan_them_whatever_they_held_when_plans_were_made()
 {
    no_scans_once_the_outbox_holds(("done", BULK), 64, Statistics::Never).await;
}

/// Steps held open by other instances (an outage's backlog, or steps waiting behind one that failed): every
/// commit that enqueues a step asks whether its instance has one open, which must stay a probe of that
/// instance's steps, not a scan of the whole backlog. In batches of a few hundred commits PostgreSQL planned the
/// check as one hashed scan of every open step, with or without statistics (60,000 open: 48 ms a batch against
/// 1.2 ms; it does so once the backlog is less than about a hundred times the batch, and the engine's batches
/// here are of 1 to 85 commits). The tables' statistics are gathered, as autovacuum does. This counts
/// sequential scans, which the writer's joins by index probe rule out; the open-step check's lateral probe was
/// shown by `EXPLAIN` (BENCHMARKS.md, seventh session): the index entries the later work reads, which would show
/// a hashed check, varied from 5,000 to 13,000 with it under the whole suite's load, too much to assert on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_do_not_scan_a_large_backlog_of_other_instances_open_steps() {
    no_scans_once_the_outbox_holds(("blocked", BACKLOG), 256, Statistics::Gathered).await;
}

/// Commits and deliveries on `instances` instances at once, in batches, on empty tables, then `rows` outbox
/// rows of other instances in `status` and as many instances, then the same work again: no sequential scan of
/// the outbox or the instances.
async fn no_scans_once_the_outbox_holds(
    (status, rows): (&str, i64),
    instances: usize,
    statistics: Statistics,
) {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = start(&db, system_clock(), true).await;
    // On empty tables, in batches of many commits and step reports: more than the five executions after which
    // PostgreSQL may keep a generic plan, made for a batch of unknown size on tables it believes small.
    let ids: Vec<InstanceId> = (0..instances)
        .map(|n| InstanceId::new(format!("T-9{n:03}")))
        .collect();
    join_all(
        ids.iter()
            .map(|id| s.engine.create("ticket", id.clone(), agent("create"))),
    )
    .await;
    for _ in 0..6 {
        notes_delivered(&s, &ids).await;
    }
    db.run_sql(&[
        format!(
            "INSERT INTO outbox (uid, seq, revision, step, delivery, payload, status, next_attempt_at, created_at) \
             SELECT 'bulk-' || g, 1, 1, 'ext.bulk', 'background', '{{}}', '{status}', now(), now() \
             FROM generate_series(1, {rows}) AS g"
        ),
        format!(
            "INSERT INTO instances (uid, workflow, version, workflow_hash, state, data, revision, head_hash, \
               sync_status, created_at, updated_at) \
             SELECT 'bulk-' || g, 'ticket', 1, 'bulk', 'open', '{{}}', 1, 'bulk', 'synced', now(), now() \
             FROM generate_series(1, {rows}) AS g"
        ),
    ])
    .await;
    if statistics == Statistics::Gathered {
        db.run_sql(&["ANALYZE outbox".into(), "ANALYZE instances".into()])
            .await;
    }
    let mut conn = PgConnection::connect(plain(&db)).await.unwrap();
    let before = settled_counts(&mut conn, rows).await;

    // Commits, hand-offs, completions, step reports and the promotion of the next steps, on large tables.
    notes_delivered(&s, &ids).await;
    s.engine.shutdown().await;
    s.store.shutdown().await;
    drop(s);
    // A backend reports its counts when it exits: wait until the engine's have.
    wait_for_other_sessions_to_end(&mut conn).await;
    let after = counts(&mut conn).await;
    assert!(
        after.outbox_inserted >= before.outbox_inserted + ids.len() as i64,
        "the later commits are counted: {before:?} -> {after:?}"
    );
    assert_eq!(
        (after.outbox_scans, after.instance_scans),
        (before.outbox_scans, before.instance_scans),
        "sequential scans of the outbox and the instances: {before:?} -> {after:?}"
    );
}

/// Whether the tables' statistics are gathered after the bulk rows arrive (as autovacuum would) or never (an
/// `ANALYZE` also makes every connection plan its statements again, hiding a plan made on empty tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Statistics {
    Never,
    Gathered,
}

/// Fires a note on every instance at once and waits until each note's step was delivered. Nothing is read
/// from the database but by the engine's own commits and deliveries.
async fn notes_delivered(s: &Setup, ids: &[InstanceId]) {
    let before = notes(s);
    for result in join_all(ids.iter().map(|id| s.engine.fire(id, agent("note")))).await {
        result.unwrap();
    }
    eventually("every note delivered", || async {
        notes(s) >= before + ids.len()
    })
    .await;
}

fn notes(s: &Setup) -> usize {
    s.handler
        .calls()
        .iter()
        .filter(|c| c.1 == "ext.note")
        .count()
}

#[derive(Debug, PartialEq, Clone, Copy)]
struct Counts {
    outbox_inserted: i64,
    outbox_scans: i64,
    instance_scans: i64,
}

fn plain(db: &TestDb) -> &str {
    db.url().split('?').next().unwrap_or(db.url())
}

async fn counts(conn: &mut PgConnection) -> Counts {
    let scans = |table: &'static str| {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT n_tup_ins, seq_scan FROM pg_stat_user_tables \
             WHERE schemaname = 'lpaflow' AND relname = $1",
        )
        .bind(table)
    };
    let (outbox_inserted, outbox_scans) = scans("outbox").fetch_one(&mut *conn).await.unwrap();
    let (_, instance_scans) = scans("instances").fetch_one(&mut *conn).await.unwrap();
    Counts {
        outbox_inserted,
        outbox_scans,
        instance_scans,
    }
}

/// The counts once every backend has reported what it did (an idle backend reports within about a second):
/// the same twice, two seconds apart, with the `rows` bulk rows counted.
async fn settled_counts(conn: &mut PgConnection, rows: i64) -> Counts {
    let mut last = counts(conn).await;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = counts(conn).await;
        if now == last && now.outbox_inserted >= rows {
            return now;
        }
        last = now;
    }
    panic!("the statistics did not settle: {last:?}");
}

/// Waits until no other session is connected to the test database. sqlx's `Pool::close` can return with a
/// connection still open (one handed back while it closed, launchbadge/sqlx#3217), so a session still there
/// after five seconds is ended by `pg_terminate_backend`; a backend ended so still reports its counts as it
/// exits, and the caller's insert count shows that the writer's were reported.
async fn wait_for_other_sessions_to_end(conn: &mut PgConnection) {
    const OTHERS: &str =
        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
    for attempt in 0..400 {
        let others: Vec<(i32, Option<String>, Option<String>)> =
            sqlx::query_as(&format!("SELECT pid, application_name, state {OTHERS}"))
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        if others.is_empty() {
            return;
        }
        if attempt == 100 {
            eprintln!(
                "sessions still open after the engine stopped, ended by the test: {others:?}"
            );
            sqlx::query(&format!("SELECT pg_terminate_backend(pid) {OTHERS}"))
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the engine's sessions did not end");
}
