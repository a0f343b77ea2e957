//! Group commit on SQLite: one attempt at many commits in one `BEGIN IMMEDIATE` transaction, one statement
//! per table per batch, run as one job on the writer's own connection and thread (`direct.rs`). What happens
//! around an attempt (taking out a commit that cannot apply, re-running each commit alone after a failure) is
//! `crate::group_commit`, shared with PostgreSQL.

use super::SqliteDb;
use super::values::{self, Counted, Tx};
use crate::group_commit::{Attempt, Counters};
use crate::prepare::{Enqueued, Prepared, Rows, batch_json, enqueued, indexed};
use crate::{CommitError, Error};
use lpaflow_core::InstanceId;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

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

/// Runs `sql` with the JSON batch `json` as its only parameter; returns how many rows it changed.
fn exec(tx: &Tx<'_>, op: &'static str, sql: &str, json: String) -> Result<usize, Error> {
    tx.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute([json]))
        .map_err(Error::sqlite(op))
}

/// The commits of one attempt, with their index in the batch: shared with the writer's thread, not copied.
type Items = [(usize, Arc<Rows>)];

/// Commits (by index in the batch) that cannot apply, and why.
type Refusals = Vec<(usize, CommitError)>;

async fn attempt(db: &SqliteDb, batch: &[Prepared], which: &[usize]) -> Result<Attempt, Error> {
    let items: Vec<(usize, Arc<Rows>)> =
        which.iter().map(|&i| (i, batch[i].rows.clone())).collect();
    db.on_writer(move |conn| attempt_on(conn, &items)).await
}

fn attempt_on(conn: &mut rusqlite::Connection, items: &Items) -> Result<Attempt, Error> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(Error::sqlite("begin commit"))?;
    let rejections = check_and_apply_guards(&tx, items)?;
    if !rejections.is_empty() {
        tx.rollback().map_err(Error::sqlite("rollback commit"))?;
        return Ok(Attempt::Rejected(rejections));
    }
    let counters = match update_instances(&tx, items)? {
        Ok(counters) => counters,
        Err(rejections) => {
            tx.rollback().map_err(Error::sqlite("rollback commit"))?;
            return Ok(Attempt::Rejected(rejections));
        }
    };
    write_rows(&tx, items)?;
    let step_ids = insert_outbox(&tx, items)?;
    append_history(&tx, items)?;
    tx.commit().map_err(Error::sqlite("commit"))?;
    Ok(Attempt::Committed(counters, step_ids))
}

const CONSUME_TIMERS: &str = "DELETE FROM timers WHERE (uid, name, fence) IN \
     (SELECT value->>'uid', value->>'name', value->>'fence' FROM json_each(?1)) RETURNING uid";

/// Completes steps and consumes timers, checking their fences: the parts of a commit that can be refused
/// because a lease was lost.
fn check_and_apply_guards(tx: &Tx<'_>, items: &Items) -> Result<Vec<(usize, CommitError)>, Error> {
    let mut rejections = Vec::new();
    let completions: Vec<_> = items
        .iter()
        .filter_map(|(_, p)| p.complete_step.as_ref())
        .collect();
    if !completions.is_empty() {
        let rows = values::complete_steps(tx, &completions)?;
        let done: BTreeSet<i64> = rows.iter().map(|(id, _, _)| *id).collect();
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
            let keys: Vec<(String, i64)> =
                rows.into_iter().map(|(_, uid, seq)| (uid, seq)).collect();
            values::promote_next_steps(tx, &keys)?;
        }
    }
    let consumed: Vec<_> = items
        .iter()
        .filter_map(|(_, p)| p.consume_timer.as_ref())
        .collect();
    if !consumed.is_empty() {
        let gone: BTreeSet<String> = values::query(
            tx,
            "consume timers",
            CONSUME_TIMERS,
            |b| b.put(batch_json(consumed.iter().copied())).map(|_| ()),
            |row| row.get(0),
        )?
        .into_iter()
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

fn counters_of(rows: Vec<Counted>) -> BTreeMap<String, Counters> {
    rows.into_iter()
        .filter_map(|r| {
            Some((
                r.uid,
                Counters {
                    pending: r.pending.max(0) as u64,
                    failed: r.failed.max(0) as u64,
                    sync: r.sync.parse().ok()?,
                },
            ))
        })
        .collect()
}

/// Inserts new instances and compare-and-sets existing ones. `Err` lists the commits refused.
fn update_instances(
    tx: &Tx<'_>,
    items: &Items,
) -> Result<Result<BTreeMap<String, Counters>, Refusals>, Error> {
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
        let rows = values::insert_instances(tx, &rows)?;
        counters.extend(counters_of(rows));
        for (i, p) in &creates {
            if !counters.contains_key(&p.instance_row.uid) {
                rejections.push((
                    *i,
                    CommitError::AlreadyExists(InstanceId::new(p.instance_row.uid.clone())),
                ));
            }
        }
    }
    if !updates.is_empty() {
        let rows: Vec<_> = updates.iter().map(|(_, p)| &p.instance_row).collect();
        let rows = values::update_instances(tx, &rows)?;
        let updated = counters_of(rows);
        let missed: Vec<&&(usize, Arc<Rows>)> = updates
            .iter()
            .filter(|(_, p)| !updated.contains_key(&p.instance_row.uid))
            .collect();
        if !missed.is_empty() {
            let actual =
                current_revisions(tx, missed.iter().map(|(_, p)| p.instance_row.uid.as_str()))?;
            for (i, p) in missed {
                rejections.push((
                    *i,
                    CommitError::Conflict {
                        uid: InstanceId::new(p.instance_row.uid.clone()),
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

fn current_revisions<'a>(
    tx: &Tx<'_>,
    uids: impl Iterator<Item = &'a str>,
) -> Result<BTreeMap<String, u64>, Error> {
    let json = serde_json::to_string(&uids.collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into());
    let rows = values::query(
        tx,
        "read revisions",
        "SELECT uid, revision FROM instances WHERE uid IN (SELECT value FROM json_each(?1))",
        |b| b.put(json).map(|_| ()),
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
    )?;
    Ok(rows
        .into_iter()
        .map(|(uid, revision)| (uid, revision.max(0) as u64))
        .collect())
}

const CANCEL_TIMERS: &str = "DELETE FROM timers WHERE (uid, name) IN (SELECT value->>'uid', value->>'name' FROM json_each(?1))";

const SET_TIMERS: &str = "INSERT INTO timers (uid, name, fire_at, event, payload, fence) \
     SELECT value->>'uid', value->>'name', value->>'fire_at', value->>'event', value->>'payload', 0 \
     FROM json_each(?1) WHERE true \
     ON CONFLICT (uid, name) DO UPDATE SET fire_at = excluded.fire_at, event = excluded.event, \
       payload = excluded.payload, lease_owner = NULL, lease_until = NULL, fence = timers.fence + 1";

/// History rows, numbered in the global log (`prepare::indexed`).
fn append_history(tx: &Tx<'_>, items: &Items) -> Result<(), Error> {
    let history: Vec<_> = items.iter().flat_map(|(_, p)| &p.history).collect();
    let count = i64::try_from(history.len()).unwrap_or(i64::MAX);
    let first: i64 = tx
        .prepare_cached("UPDATE audit_log SET size = size + ?1 WHERE id = 1 RETURNING size - ?1")
        .and_then(|mut stmt| stmt.query_row([count], |row| row.get(0)))
        .map_err(Error::sqlite("reserve log indices"))?;
    values::insert_history(tx, &indexed(&history, first))
}

/// Timer changes, labels, search terms and idempotency marks: rows that cannot conflict once the instance row
/// was updated.
fn write_rows(tx: &Tx<'_>, items: &Items) -> Result<(), Error> {
    let cancels: Vec<_> = items.iter().flat_map(|(_, p)| &p.timer_cancels).collect();
    if !cancels.is_empty() {
        exec(tx, "cancel timers", CANCEL_TIMERS, batch_json(cancels))?;
    }
    let sets: Vec<_> = items.iter().flat_map(|(_, p)| &p.timer_sets).collect();
    if !sets.is_empty() {
        exec(tx, "set timers", SET_TIMERS, batch_json(sets))?;
    }
    replace_labels(tx, items)?;
    replace_terms(tx, items)?;
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
        )?;
    }
    Ok(())
}

/// Replaces the labels of the instances whose commit changed them.
fn replace_labels(tx: &Tx<'_>, items: &Items) -> Result<(), Error> {
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
        )?;
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
            )?;
        }
    }
    Ok(())
}

/// Replaces the search terms of the instances whose commit changed them (their titles go with the instance row).
fn replace_terms(tx: &Tx<'_>, items: &Items) -> Result<(), Error> {
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
    )?;
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
        )?;
    }
    Ok(())
}

fn insert_outbox(tx: &Tx<'_>, items: &Items) -> Result<BTreeMap<String, Enqueued>, Error> {
    let rows: Vec<_> = items.iter().flat_map(|(_, p)| &p.outbox).collect();
    if rows.is_empty() {
        return Ok(BTreeMap::new());
    }
    let returned = values::insert_outbox(tx, &rows)?;
    Ok(enqueued(returned))
}
