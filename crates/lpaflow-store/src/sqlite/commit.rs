//! Group commit on SQLite: one attempt at many commits in one `BEGIN IMMEDIATE` transaction, one statement
//! per table per batch. What happens around an attempt (taking out a commit that cannot apply, re-running each
//! commit alone after a failure) is `crate::group_commit`, shared with PostgreSQL.

use super::SqliteDb;
use super::values;
use crate::group_commit::{Attempt, Counters};
use crate::prepare::{Enqueued, InsertedStep, Prepared, batch_json, enqueued, indexed};
use crate::time::from_micros;
use crate::{CommitError, Error};
use sqlx::sqlite::SqliteRow;
use sqlx::{Connection, Row, Sqlite, Transaction};
use std::collections::{BTreeMap, BTreeSet};

type Tx<'c> = Transaction<'c, Sqlite>;

impl crate::group_commit::Batch for SqliteDb {
    fn attempt<'a>(
        &'a self,
        batch: &'a [Prepared],
        which: &'a [usize],
    ) -> impl std::future::Future<Output = Result<Attempt, Error>> + Send + 'a {
        attempt(self, batch, which)
    }

    const TRANSIENT_RETRIES: u32 = 0;

    fn is_transient(&self, e: &Error) -> bool {
        let _ = e;
        false
    }
}

async fn exec(tx: &mut Tx<'_>, op: &'static str, sql: &str, json: String) -> Result<u64, Error> {
    Ok(sqlx::query(sql)
        .bind(json)
        .execute(&mut **tx)
        .await
        .map_err(Error::db(op))?
        .rows_affected())
}

async fn fetch(
    tx: &mut Tx<'_>,
    op: &'static str,
    sql: &str,
    json: String,
) -> Result<Vec<SqliteRow>, Error> {
    sqlx::query(sql)
        .bind(json)
        .fetch_all(&mut **tx)
        .await
        .map_err(Error::db(op))
}

async fn attempt(db: &SqliteDb, batch: &[Prepared], which: &[usize]) -> Result<Attempt, Error> {
    let mut writer = db.write_lock.lock().await;
    let conn = db.writer_connection(&mut writer).await?;
    let result = attempt_on(conn, batch, which).await;
    if result.is_err() {
        // Whatever state the failure left the connection in, the next batch starts on a fresh one.
        *writer = None;
    }
    result
}

async fn attempt_on(
    conn: &mut sqlx::SqliteConnection,
    batch: &[Prepared],
    which: &[usize],
) -> Result<Attempt, Error> {
    let items: Vec<(usize, &Prepared)> = which.iter().map(|&i| (i, &batch[i])).collect();
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(Error::db("begin commit"))?;
    let rejections = check_and_apply_guards(&mut tx, &items).await?;
    if !rejections.is_empty() {
        tx.rollback().await.map_err(Error::db("rollback commit"))?;
        return Ok(Attempt::Rejected(rejections));
    }
    let counters = update_instances(&mut tx, &items).await?;
    let Ok(counters) = counters else {
        let rejections = counters.err().unwrap_or_default();
        tx.rollback().await.map_err(Error::db("rollback commit"))?;
        return Ok(Attempt::Rejected(rejections));
    };
    write_rows(&mut tx, &items).await?;
    let step_ids = insert_outbox(&mut tx, &items).await?;
    append_history(&mut tx, &items).await?;
    tx.commit().await.map_err(Error::db("commit"))?;
    Ok(Attempt::Committed(counters, step_ids))
}

const CONSUME_TIMERS: &str = "DELETE FROM timers WHERE (uid, name, fence) IN \
     (SELECT value->>'uid', value->>'name', value->>'fence' FROM json_each(?1)) RETURNING uid";

/// Completes steps and consumes timers, checking their fences: the parts of a commit that can be refused
/// because a lease was lost.
async fn check_and_apply_guards(
    tx: &mut Tx<'_>,
    items: &[(usize, &Prepared)],
) -> Result<Vec<(usize, CommitError)>, Error> {
    let mut rejections = Vec::new();
    let completions: Vec<_> = items
        .iter()
        .filter_map(|(_, p)| p.complete_step.as_ref())
        .collect();
    if !completions.is_empty() {
        let rows = values::complete_steps(tx, &completions).await?;
        let done: BTreeSet<i64> = rows
            .iter()
            .filter_map(|r| r.try_get::<i64, _>("id").ok())
            .collect();
        for (i, p) in items {
            if let Some(c) = &p.complete_step
                && !done.contains(&c.id)
            {
                rejections.push((
                    *i,
                    CommitError::Fenced(format!(
                        "step {} of {} is no longer leased with fence {}",
                        c.id, c.uid, c.fence
                    )),
                ));
            }
        }
        if rejections.is_empty() {
            promote_next_steps(tx, &completed_keys(&rows)).await?;
        }
    }
    let consumed: Vec<_> = items
        .iter()
        .filter_map(|(_, p)| p.consume_timer.as_ref())
        .collect();
    if !consumed.is_empty() {
        let rows = fetch(
            tx,
            "consume timers",
            CONSUME_TIMERS,
            batch_json(consumed.iter().copied()),
        )
        .await?;
        let gone: BTreeSet<String> = rows
            .iter()
            .filter_map(|r| r.try_get::<String, _>("uid").ok())
            .collect();
        for (i, p) in items {
            if let Some(t) = &p.consume_timer
                && !gone.contains(&t.uid)
            {
                rejections.push((
                    *i,
                    CommitError::Fenced(format!(
                        "timer {} of {} is no longer leased with fence {}",
                        t.name, t.uid, t.fence
                    )),
                ));
            }
        }
    }
    Ok(rejections)
}

/// The (uid, seq) of rows returned by a statement that completed steps.
pub(super) fn completed_keys(rows: &[SqliteRow]) -> Vec<(String, i64)> {
    rows.iter()
        .filter_map(|r| {
            Some((
                r.try_get::<String, _>("uid").ok()?,
                r.try_get::<i64, _>("seq").ok()?,
            ))
        })
        .collect()
}

/// After steps complete, the next step of each instance (if blocked behind them) becomes claimable.
pub(super) async fn promote_next_steps(
    tx: &mut Tx<'_>,
    completed: &[(String, i64)],
) -> Result<(), Error> {
    values::promote_next_steps(tx, completed).await
}

fn counters_of(rows: &[SqliteRow]) -> BTreeMap<String, Counters> {
    rows.iter()
        .filter_map(|r| {
            let uid: String = r.try_get("uid").ok()?;
            let pending: i64 = r.try_get("steps_pending").ok()?;
            let failed: i64 = r.try_get("steps_failed").ok()?;
            let sync: String = r.try_get("sync_status").ok()?;
            Some((
                uid,
                Counters {
                    pending: pending.max(0) as u64,
                    failed: failed.max(0) as u64,
                    sync: sync.parse().ok()?,
                },
            ))
        })
        .collect()
}

/// Inserts new instances and compare-and-sets existing ones. `Err` lists the commits refused.
async fn update_instances(
    tx: &mut Tx<'_>,
    items: &[(usize, &Prepared)],
) -> Result<Result<BTreeMap<String, Counters>, Vec<(usize, CommitError)>>, Error> {
    let creates: Vec<_> = items
        .iter()
        .filter(|(_, p)| p.base_revision.is_none())
        .collect();
    let updates: Vec<_> = items
        .iter()
        .filter(|(_, p)| p.base_revision.is_some())
        .collect();
    let mut counters = BTreeMap::new();
    let mut rejections = Vec::new();
    if !creates.is_empty() {
        let rows: Vec<_> = creates.iter().map(|(_, p)| &p.instance_row).collect();
        let rows = values::insert_instances(tx, &rows).await?;
        counters.extend(counters_of(&rows));
        for (i, p) in &creates {
            if !counters.contains_key(&p.instance_row.uid) {
                rejections.push((*i, CommitError::AlreadyExists(p.stored.instance.id.clone())));
            }
        }
    }
    if !updates.is_empty() {
        let rows: Vec<_> = updates.iter().map(|(_, p)| &p.instance_row).collect();
        let rows = values::update_instances(tx, &rows).await?;
        let updated = counters_of(&rows);
        let missed: Vec<&&(usize, &Prepared)> = updates
            .iter()
            .filter(|(_, p)| !updated.contains_key(&p.instance_row.uid))
            .collect();
        if !missed.is_empty() {
            let actual =
                current_revisions(tx, missed.iter().map(|(_, p)| p.instance_row.uid.as_str()))
                    .await?;
            for (i, p) in missed {
                rejections.push((
                    *i,
                    CommitError::Conflict {
                        uid: p.stored.instance.id.clone(),
                        expected: p.base_revision.unwrap_or(0),
                        actual: actual.get(&p.instance_row.uid).copied().unwrap_or(0),
                    },
                ));
            }
        }
        counters.extend(updated);
    }
    Ok(if rejections.is_empty() {
        Ok(counters)
    } else {
        Err(rejections)
    })
}

async fn current_revisions<'a>(
    tx: &mut Tx<'_>,
    uids: impl Iterator<Item = &'a str>,
) -> Result<BTreeMap<String, u64>, Error> {
    let json = serde_json::to_string(&uids.collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into());
    let rows = fetch(
        tx,
        "read revisions",
        "SELECT uid, revision FROM instances WHERE uid IN (SELECT value FROM json_each(?1))",
        json,
    )
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some((
                r.try_get::<String, _>("uid").ok()?,
                r.try_get::<i64, _>("revision").ok()?.max(0) as u64,
            ))
        })
        .collect())
}

const CANCEL_TIMERS: &str = "DELETE FROM timers WHERE (uid, name) IN (SELECT value->>'uid', value->>'name' FROM json_each(?1))";

const SET_TIMERS: &str = "INSERT INTO timers (uid, name, fire_at, event, payload, fence) \
     SELECT value->>'uid', value->>'name', value->>'fire_at', value->>'event', value->>'payload', 0 \
     FROM json_each(?1) WHERE true \
     ON CONFLICT (uid, name) DO UPDATE SET fire_at = excluded.fire_at, event = excluded.event, \
       payload = excluded.payload, lease_owner = NULL, lease_until = NULL, fence = timers.fence + 1";

/// History rows, numbered in the global log (`prepare::indexed`).
async fn append_history(tx: &mut Tx<'_>, items: &[(usize, &Prepared)]) -> Result<(), Error> {
    let history: Vec<_> = items.iter().flat_map(|(_, p)| &p.history).collect();
    let count = i64::try_from(history.len()).unwrap_or(i64::MAX);
    let first: i64 = sqlx::query_scalar(
        "UPDATE audit_log SET size = size + ?1 WHERE id = 1 RETURNING size - ?1",
    )
    .bind(count)
    .fetch_one(&mut **tx)
    .await
    .map_err(Error::db("reserve log indices"))?;
    values::insert_history(tx, &indexed(&history, first)).await
}

/// Timer changes, labels, search terms and idempotency marks: rows that cannot conflict once the instance row
/// was updated.
async fn write_rows(tx: &mut Tx<'_>, items: &[(usize, &Prepared)]) -> Result<(), Error> {
    let cancels: Vec<_> = items.iter().flat_map(|(_, p)| &p.timer_cancels).collect();
    if !cancels.is_empty() {
        exec(tx, "cancel timers", CANCEL_TIMERS, batch_json(cancels)).await?;
    }
    let sets: Vec<_> = items.iter().flat_map(|(_, p)| &p.timer_sets).collect();
    if !sets.is_empty() {
        exec(tx, "set timers", SET_TIMERS, batch_json(sets)).await?;
    }
    replace_labels(tx, items).await?;
    replace_terms(tx, items).await?;
    let marks: Vec<_> = items
        .iter()
        .filter_map(|(_, p)| p.idempotency.as_ref())
        .collect();
    if !marks.is_empty() {
        exec(
            tx,
            "mark idempotency keys",
            "UPDATE idempotency_keys SET uid = v.uid, revision = v.revision \
             FROM (SELECT value->>'actor' AS actor, value->>'key' AS key, value->>'uid' AS uid, \
                          value->>'revision' AS revision FROM json_each(?1)) AS v \
             WHERE idempotency_keys.actor = v.actor AND idempotency_keys.key = v.key \
               AND idempotency_keys.status IS NULL",
            batch_json(marks),
        )
        .await?;
    }
    Ok(())
}

/// Replaces the labels of the instances whose commit changed them.
async fn replace_labels(tx: &mut Tx<'_>, items: &[(usize, &Prepared)]) -> Result<(), Error> {
    let relabelled: Vec<&str> = items
        .iter()
        .filter(|(_, p)| p.labels.is_some())
        .map(|(_, p)| p.instance_row.uid.as_str())
        .collect();
    if !relabelled.is_empty() {
        exec(
            tx,
            "clear labels",
            "DELETE FROM instance_labels WHERE uid IN (SELECT value FROM json_each(?1))",
            serde_json::to_string(&relabelled).unwrap_or_else(|_| "[]".into()),
        )
        .await?;
        let labels: Vec<_> = items
            .iter()
            .filter_map(|(_, p)| p.labels.as_ref())
            .flatten()
            .collect();
        if !labels.is_empty() {
            exec(
                tx,
                "insert labels",
                "INSERT OR IGNORE INTO instance_labels (label, uid, created_at) \
                 SELECT value->>'label', value->>'uid', value->>'created_at' FROM json_each(?1)",
                batch_json(labels),
            )
            .await?;
        }
    }
    Ok(())
}

/// Replaces the search terms of the instances whose commit changed them (their titles go with the instance row).
async fn replace_terms(tx: &mut Tx<'_>, items: &[(usize, &Prepared)]) -> Result<(), Error> {
    let changed: Vec<&str> = items
        .iter()
        .filter(|(_, p)| p.terms.is_some())
        .map(|(_, p)| p.instance_row.uid.as_str())
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    exec(
        tx,
        "clear search terms",
        "DELETE FROM instance_terms WHERE uid IN (SELECT value FROM json_each(?1))",
        serde_json::to_string(&changed).unwrap_or_else(|_| "[]".into()),
    )
    .await?;
    let terms: Vec<_> = items
        .iter()
        .filter_map(|(_, p)| p.terms.as_ref())
        .flatten()
        .collect();
    if !terms.is_empty() {
        exec(
            tx,
            "insert search terms",
            "INSERT OR IGNORE INTO instance_terms (term, uid, personal) \
             SELECT value->>'term', value->>'uid', value->>'personal' FROM json_each(?1)",
            batch_json(terms),
        )
        .await?;
    }
    Ok(())
}

async fn insert_outbox(
    tx: &mut Tx<'_>,
    items: &[(usize, &Prepared)],
) -> Result<BTreeMap<String, Enqueued>, Error> {
    let rows: Vec<_> = items.iter().flat_map(|(_, p)| &p.outbox).collect();
    if rows.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut returned = Vec::with_capacity(rows.len());
    for r in values::insert_outbox(tx, &rows).await? {
        let read = Error::db("read outbox id");
        let uid: String = r.try_get("uid").map_err(read)?;
        let seq: i64 = r.try_get("seq").map_err(Error::db("read outbox id"))?;
        let id: i64 = r.try_get("id").map_err(Error::db("read outbox id"))?;
        let status: String = r.try_get("status").map_err(Error::db("read outbox id"))?;
        let previous_completed_at = r
            .try_get::<Option<i64>, _>("previous_completed_at")
            .map_err(Error::db("read outbox id"))?
            .map(from_micros);
        returned.push(InsertedStep {
            uid,
            seq,
            id,
            status,
            previous_completed_at,
        });
    }
    Ok(enqueued(returned))
}
