//! Group commit on PostgreSQL: one attempt at many commits in one READ COMMITTED transaction, one statement per
//! table per batch (`batch.rs`). What happens around an attempt (taking out a commit that cannot apply, running
//! again after a deadlock, re-running each commit alone after a failure) is `crate::group_commit`, shared with
//! SQLite.
//!
//! Race-freedom against other processes writing the same database:
//! - The instance rows of the batch's updates are locked first, in uid order (`LOCK_INSTANCES`). Steps
//!   finished, skipped or completed elsewhere lock their instance first too (`outbox.rs`), so whether a new
//!   step is queued or blocked behind an open one is decided while nobody can close that open step, and a
//!   step closed concurrently promotes a blocked step only after it can see it. The fixed lock order
//!   (instances by uid, then outbox and timers) also keeps batches of two processes from deadlocking.
//! - Compare-and-set on revision and fence checks are `UPDATE ... WHERE revision = base` / `fence = f`;
//!   PostgreSQL re-evaluates them on the latest committed row after waiting for a concurrent writer, and
//!   `RETURNING` says which rows applied.
//! - Creates are `INSERT ... ON CONFLICT (uid) DO NOTHING RETURNING`: of two processes creating one uid, the
//!   second waits for the first and finds the row.
//! - A deadlock (left possible only by rare overlaps: two processes creating the same uids in different
//!   orders, a lease release sweeping timers a batch also changes) runs the batch again as a whole.

use super::batch::{self, LOCK_INSTANCES};
use super::{PgDb, TRANSIENT_RETRIES, is_transient};
use crate::group_commit::{Attempt, Counters};
use crate::prepare::{Enqueued, InsertedStep, Prepared, enqueued, indexed};
use crate::{CommitError, Error};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet};

type Tx = Transaction<'static, Postgres>;
type Rejections = Vec<(usize, CommitError)>;

impl crate::group_commit::Batch for PgDb {
    fn attempt<'a>(
        &'a self,
        batch: &'a [Prepared],
        which: &'a [usize],
    ) -> impl std::future::Future<Output = Result<Attempt, Error>> + Send + 'a {
        attempt(self, batch, which)
    }

    const TRANSIENT_RETRIES: u32 = TRANSIENT_RETRIES;

    fn is_transient(&self, e: &Error) -> bool {
        is_transient(e)
    }
}

async fn fetch(tx: &mut Tx, op: &'static str, q: batch::Q<'_>) -> Result<Vec<PgRow>, Error> {
    q.fetch_all(&mut **tx).await.map_err(Error::db(op))
}

async fn attempt(db: &PgDb, batch: &[Prepared], which: &[usize]) -> Result<Attempt, Error> {
    let items: Vec<(usize, &Prepared)> = which.iter().map(|&i| (i, &batch[i])).collect();
    let mut tx = db.begin_write("begin commit").await?;
    let mut locked: Vec<&str> = items
        .iter()
        .filter(|(_, p)| p.base_revision.is_some())
        .map(|(_, p)| p.instance_row.uid.as_str())
        .collect();
    if !locked.is_empty() {
        locked.sort_unstable();
        sqlx::query(LOCK_INSTANCES)
            .bind(locked)
            .execute(&mut *tx)
            .await
            .map_err(Error::db("lock instances"))?;
    }
    let rejections = check_and_apply_guards(&mut tx, &items).await?;
    if !rejections.is_empty() {
        tx.rollback().await.map_err(Error::db("rollback commit"))?;
        return Ok(Attempt::Rejected(rejections));
    }
    let counters = match update_instances(&mut tx, &items).await? {
        Ok(counters) => counters,
        Err(rejections) => {
            tx.rollback().await.map_err(Error::db("rollback commit"))?;
            return Ok(Attempt::Rejected(rejections));
        }
    };
    write_rows(&mut tx, &items).await?;
    let step_ids = insert_outbox(&mut tx, &items).await?;
    append_history(&mut tx, &items).await?;
    tx.commit().await.map_err(Error::db("commit"))?;
    Ok(Attempt::Committed(counters, step_ids))
}

/// Completes steps and consumes timers, checking their fences: the parts of a commit that can be refused
/// because a lease was lost.
async fn check_and_apply_guards(
    tx: &mut Tx,
    items: &[(usize, &Prepared)],
) -> Result<Rejections, Error> {
    let mut rejections = Vec::new();
    let completions: Vec<_> = items
        .iter()
        .filter_map(|(_, p)| p.complete_step.as_ref())
        .collect();
    if !completions.is_empty() {
        let rows = fetch(tx, "complete steps", batch::complete_steps(&completions)).await?;
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
        let rows = fetch(tx, "consume timers", batch::consume_timers(&consumed)).await?;
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
pub(super) fn completed_keys(rows: &[PgRow]) -> Vec<(String, i64)> {
    rows.iter()
        .filter_map(|r| {
            Some((
                r.try_get::<String, _>("uid").ok()?,
                r.try_get::<i64, _>("seq").ok()?,
            ))
        })
        .collect()
}

/// After steps complete, the next step of each instance (if blocked behind them) becomes claimable. The
/// caller holds the instances' row locks.
pub(super) async fn promote_next_steps(
    tx: &mut Tx,
    completed: &[(String, i64)],
) -> Result<(), Error> {
    if completed.is_empty() {
        return Ok(());
    }
    batch::promote_next_steps(completed)
        .execute(&mut **tx)
        .await
        .map_err(Error::db("promote next steps"))?;
    Ok(())
}

fn counters_of(rows: &[PgRow]) -> BTreeMap<String, Counters> {
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
    tx: &mut Tx,
    items: &[(usize, &Prepared)],
) -> Result<Result<BTreeMap<String, Counters>, Rejections>, Error> {
    let (creates, updates): (Vec<_>, Vec<_>) =
        items.iter().partition(|(_, p)| p.base_revision.is_none());
    let mut counters = BTreeMap::new();
    let mut rejections = Vec::new();
    if !creates.is_empty() {
        let rows: Vec<_> = creates.iter().map(|(_, p)| &p.instance_row).collect();
        let rows = fetch(tx, "insert instances", batch::insert_instances(&rows)).await?;
        counters.extend(counters_of(&rows));
        for (i, p) in &creates {
            if !counters.contains_key(&p.instance_row.uid) {
                rejections.push((*i, CommitError::AlreadyExists(p.stored.instance.id.clone())));
            }
        }
    }
    if !updates.is_empty() {
        let rows: Vec<_> = updates.iter().map(|(_, p)| &p.instance_row).collect();
        let rows = fetch(tx, "update instances", batch::update_instances(&rows)).await?;
        let updated = counters_of(&rows);
        let missed: Vec<&(usize, &Prepared)> = updates
            .iter()
            .filter(|(_, p)| !updated.contains_key(&p.instance_row.uid))
            .collect();
        if !missed.is_empty() {
            let uids: Vec<&str> = missed
                .iter()
                .map(|(_, p)| p.instance_row.uid.as_str())
                .collect();
            let actual = current_revisions(tx, uids).await?;
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

async fn current_revisions(tx: &mut Tx, uids: Vec<&str>) -> Result<BTreeMap<String, u64>, Error> {
    let rows = sqlx::query("SELECT uid, revision FROM instances WHERE uid = ANY($1)")
        .bind(uids)
        .fetch_all(&mut **tx)
        .await
        .map_err(Error::db("read revisions"))?;
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

/// History rows, numbered in the global log (`prepare::indexed`). Last in the transaction: the reservation
/// locks the log's counter until the commit, so batches of other processes wait for it only that long.
async fn append_history(tx: &mut Tx, items: &[(usize, &Prepared)]) -> Result<(), Error> {
    let history: Vec<_> = items.iter().flat_map(|(_, p)| &p.history).collect();
    let count = i64::try_from(history.len()).unwrap_or(i64::MAX);
    let first: i64 = sqlx::query_scalar(batch::RESERVE_LOG)
        .bind(count)
        .fetch_one(&mut **tx)
        .await
        .map_err(Error::db("reserve log indices"))?;
    batch::insert_history(&indexed(&history, first))
        .execute(&mut **tx)
        .await
        .map_err(Error::db("insert history"))?;
    Ok(())
}

/// Timer changes, labels, search terms and idempotency marks: rows that cannot conflict once the instance row
/// was updated.
async fn write_rows(tx: &mut Tx, items: &[(usize, &Prepared)]) -> Result<(), Error> {
    let cancels: Vec<_> = items.iter().flat_map(|(_, p)| &p.timer_cancels).collect();
    if !cancels.is_empty() {
        batch::cancel_timers(&cancels)
            .execute(&mut **tx)
            .await
            .map_err(Error::db("cancel timers"))?;
    }
    let sets: Vec<_> = items.iter().flat_map(|(_, p)| &p.timer_sets).collect();
    if !sets.is_empty() {
        batch::set_timers(&sets)
            .execute(&mut **tx)
            .await
            .map_err(Error::db("set timers"))?;
    }
    replace_labels(tx, items).await?;
    replace_terms(tx, items).await?;
    let marks: Vec<_> = items
        .iter()
        .filter_map(|(_, p)| p.idempotency.as_ref())
        .collect();
    if !marks.is_empty() {
        batch::mark_idempotency(&marks)
            .execute(&mut **tx)
            .await
            .map_err(Error::db("mark idempotency keys"))?;
    }
    Ok(())
}

/// Replaces the labels of the instances whose commit changed them.
async fn replace_labels(tx: &mut Tx, items: &[(usize, &Prepared)]) -> Result<(), Error> {
    let relabelled: Vec<&str> = items
        .iter()
        .filter(|(_, p)| p.labels.is_some())
        .map(|(_, p)| p.instance_row.uid.as_str())
        .collect();
    if !relabelled.is_empty() {
        batch::clear_labels(relabelled)
            .execute(&mut **tx)
            .await
            .map_err(Error::db("clear labels"))?;
        let labels: Vec<_> = items
            .iter()
            .filter_map(|(_, p)| p.labels.as_ref())
            .flatten()
            .collect();
        if !labels.is_empty() {
            batch::insert_labels(&labels)
                .execute(&mut **tx)
                .await
                .map_err(Error::db("insert labels"))?;
        }
    }
    Ok(())
}

/// Replaces the search terms of the instances whose commit changed them (their titles go with the instance row).
async fn replace_terms(tx: &mut Tx, items: &[(usize, &Prepared)]) -> Result<(), Error> {
    let changed: Vec<&str> = items
        .iter()
        .filter(|(_, p)| p.terms.is_some())
        .map(|(_, p)| p.instance_row.uid.as_str())
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    batch::clear_terms(changed)
        .execute(&mut **tx)
        .await
        .map_err(Error::db("clear search terms"))?;
    let terms: Vec<_> = items
        .iter()
        .filter_map(|(_, p)| p.terms.as_ref())
        .flatten()
        .collect();
    if !terms.is_empty() {
        batch::insert_terms(&terms)
            .execute(&mut **tx)
            .await
            .map_err(Error::db("insert search terms"))?;
    }
    Ok(())
}

async fn insert_outbox(
    tx: &mut Tx,
    items: &[(usize, &Prepared)],
) -> Result<BTreeMap<String, Enqueued>, Error> {
    let rows: Vec<_> = items.iter().flat_map(|(_, p)| &p.outbox).collect();
    if rows.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut returned = Vec::with_capacity(rows.len());
    for r in fetch(tx, "insert outbox", batch::insert_outbox(&rows)).await? {
        let read = Error::db("read outbox id");
        let uid: String = r.try_get("uid").map_err(read)?;
        let seq: i64 = r.try_get("seq").map_err(Error::db("read outbox id"))?;
        let id: i64 = r.try_get("id").map_err(Error::db("read outbox id"))?;
        let status: String = r.try_get("status").map_err(Error::db("read outbox id"))?;
        let previous_completed_at: Option<DateTime<Utc>> = r
            .try_get("previous_completed_at")
            .map_err(Error::db("read outbox id"))?;
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
