//! The outbox on PostgreSQL: claims with leases and fencing, lease holders' reports, suspension, and the views
//! the API needs. Per-instance order comes from the `blocked` status, as on SQLite: only an instance's oldest
//! open step is ever claimable.
//!
//! Race-freedom with several processes:
//! - Claims lock candidate rows with `FOR UPDATE SKIP LOCKED` inside the `UPDATE`: two claimers never get the
//!   same row and never wait for each other; a row changed after the claimer's snapshot is re-checked on its
//!   latest version before it is taken.
//! - Expired leases are reclaimed (`retrying`, `ambiguous`) in the claimer's transaction, also skipping locked
//!   rows: a row locked right now is being claimed, finished or reclaimed by someone else, and the next claim
//!   looks again.
//! - Reports that close steps (done, failed) and a person's retry or skip first lock the steps' instance rows
//!   in uid order, like commits do: closing a step, promoting the next one and a commit enqueueing steps behind it are
//!   serialized per instance, so a new step is never left `blocked` behind a step closed at the same moment.
//!   The fence checks themselves are `UPDATE ... WHERE fence = f AND status = 'in_flight'`.

use super::commit::promote_next_steps;
use super::rows::{STEP_COLUMNS, step};
use super::{PgDb, TRANSIENT_RETRIES, int, is_transient, pg_time_of};
use crate::Error;
use crate::finished::Finished;
use crate::model::{Backlog, StepFinish, StepLease, StepOutcome, StepRow, WaitingInstance};
use chrono::{DateTime, Utc};
use lpaflow_core::InstanceId;
use sqlx::{Postgres, Row, Transaction};
use std::collections::BTreeSet;

const RECLAIM_EXPIRED: &str = "UPDATE outbox SET status = 'retrying', ambiguous = true, lease_owner = NULL, \
       lease_until = NULL, next_attempt_at = $1 \
     WHERE id IN (SELECT id FROM outbox WHERE status = 'in_flight' AND lease_until < $1 \
                  FOR UPDATE SKIP LOCKED)";

/// Locks the instances of the steps `$1` (by the steps' own uid, not the caller's), in uid order.
const LOCK_STEP_INSTANCES: &str = "SELECT uid FROM instances \
     WHERE uid IN (SELECT uid FROM outbox WHERE id = ANY($1)) ORDER BY uid FOR NO KEY UPDATE";

const FINISH: &str = "UPDATE outbox SET status = v.status, result = v.result, last_error = v.error, \
       next_attempt_at = v.next_attempt_at, ambiguous = v.ambiguous, attempts = attempts + v.counted, \
       lease_owner = NULL, lease_until = NULL, \
       completed_at = CASE WHEN v.status IN ('done', 'failed') THEN v.at ELSE NULL END \
     FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], \
                 $7::boolean[], $8::bigint[], $9::timestamptz[]) \
          AS v(id, fence, status, result, error, next_attempt_at, ambiguous, counted, at) \
     WHERE outbox.id = v.id AND outbox.fence = v.fence AND outbox.status = 'in_flight' \
     RETURNING outbox.id, outbox.uid, outbox.seq, outbox.status";

const ADJUST_COUNTERS: &str = "UPDATE instances SET steps_pending = steps_pending - v.closed, \
       steps_failed = steps_failed + v.failed, \
       sync_status = CASE WHEN steps_failed + v.failed > 0 THEN 'failed' \
                          WHEN awaiting IS NOT NULL THEN 'awaiting_sync' \
                          WHEN steps_pending - v.closed > 0 THEN 'pending' ELSE 'synced' END \
     FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(uid, closed, failed) \
     WHERE instances.uid = v.uid";

/// A report as the columns of `FINISH`.
#[derive(Default)]
struct FinishColumns {
    id: Vec<i64>,
    fence: Vec<i64>,
    status: Vec<&'static str>,
    result: Vec<Option<String>>,
    error: Vec<Option<String>>,
    next_attempt_at: Vec<DateTime<Utc>>,
    ambiguous: Vec<bool>,
    counted: Vec<i64>,
    at: Vec<DateTime<Utc>>,
    /// The steps whose report closes them (done or failed): only their instances change and need locking.
    closing: Vec<i64>,
}

impl FinishColumns {
    fn of(finishes: &[StepFinish]) -> Self {
        let mut c = Self::default();
        for f in finishes {
            let at = pg_time_of(f.at);
            let (status, result, error, next, ambiguous, counted) = match &f.outcome {
                StepOutcome::Done { result } => ("done", Some(result), None, at, false, 1),
                StepOutcome::Retry {
                    next_attempt_at,
                    error,
                    ambiguous,
                    count_attempt,
                } => (
                    "retrying",
                    None,
                    Some(error),
                    pg_time_of(*next_attempt_at),
                    *ambiguous,
                    i64::from(*count_attempt),
                ),
                StepOutcome::Failed { error } => ("failed", None, Some(error), at, false, 1),
                StepOutcome::Suspended { error, ambiguous } => {
                    ("suspended", None, Some(error), at, *ambiguous, 0)
                }
            };
            if matches!(status, "done" | "failed") {
                c.closing.push(f.step.key);
            }
            c.id.push(f.step.key);
            c.fence.push(int(f.step.fence));
            c.status.push(status);
            c.result.push(result.map(|v| v.to_string()));
            c.error.push(error.map(|v| v.to_string()));
            c.next_attempt_at.push(next);
            c.ambiguous.push(ambiguous);
            c.counted.push(counted);
            c.at.push(at);
        }
        c
    }
}

impl PgDb {
    /// Claims up to `limit` due steps for `owner` until `lease_until`. Steps whose lease expired first become
    /// `retrying` with `ambiguous` set (their holder may have sent them).
    pub async fn claim_steps(
        &self,
        owner: &str,
        limit: u32,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<StepRow>, Error> {
        let now = pg_time_of(now);
        let mut tx = self.begin_write("begin claim").await?;
        sqlx::query(RECLAIM_EXPIRED)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(Error::db("reclaim expired leases"))?;
        let sql = format!(
            "UPDATE outbox SET status = 'in_flight', lease_owner = $1, lease_until = $2, fence = fence + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE status IN ('queued', 'retrying', 'suspended') \
                          AND next_attempt_at <= $3 \
                          ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING {STEP_COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(owner)
            .bind(pg_time_of(lease_until))
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(Error::db("claim steps"))?;
        tx.commit().await.map_err(Error::db("commit claim"))?;
        let mut steps: Vec<StepRow> = rows.iter().map(step).collect::<Result<_, _>>()?;
        steps.sort_by_key(|s| (s.next_attempt_at, s.id));
        Ok(steps)
    }

    /// Records lease holders' reports. Returns, per report, whether it applied (`false`: the lease was lost).
    pub async fn finish_steps(&self, finishes: &[StepFinish]) -> Result<Vec<bool>, Error> {
        let columns = FinishColumns::of(finishes);
        let mut transient = 0;
        let applied_ids = loop {
            match self.try_finish(&columns).await {
                Err(e) if is_transient(&e) && transient < TRANSIENT_RETRIES => transient += 1,
                other => break other?,
            }
        };
        Ok(finishes
            .iter()
            .map(|f| applied_ids.contains(&f.step.key))
            .collect())
    }

    async fn try_finish(&self, c: &FinishColumns) -> Result<BTreeSet<i64>, Error> {
        let mut tx = self.begin_write("begin finish").await?;
        if !c.closing.is_empty() {
            sqlx::query(LOCK_STEP_INSTANCES)
                .bind(&c.closing)
                .execute(&mut *tx)
                .await
                .map_err(Error::db("lock step instances"))?;
        }
        let applied = sqlx::query(FINISH)
            .bind(&c.id)
            .bind(&c.fence)
            .bind(&c.status)
            .bind(&c.result)
            .bind(&c.error)
            .bind(&c.next_attempt_at)
            .bind(&c.ambiguous)
            .bind(&c.counted)
            .bind(&c.at)
            .fetch_all(&mut *tx)
            .await
            .map_err(Error::db("finish steps"))?;
        let rows = applied
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<i64, _>("id")?,
                    r.try_get::<String, _>("uid")?,
                    r.try_get::<i64, _>("seq")?,
                    r.try_get::<String, _>("status")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(Error::db("finish steps"))?;
        let Finished {
            applied,
            done,
            closed,
        } = Finished::tally(rows);
        promote_next_steps(&mut tx, &done).await?;
        if !closed.is_empty() {
            sqlx::query(ADJUST_COUNTERS)
                .bind(closed.keys().map(String::as_str).collect::<Vec<_>>())
                .bind(closed.values().map(|(c, _)| *c).collect::<Vec<_>>())
                .bind(closed.values().map(|(_, f)| *f).collect::<Vec<_>>())
                .execute(&mut *tx)
                .await
                .map_err(Error::db("adjust step counters"))?;
        }
        tx.commit().await.map_err(Error::db("commit finish"))?;
        Ok(applied)
    }

    /// Every step of one instance, in order.
    pub async fn steps_of(&self, uid: &InstanceId) -> Result<Vec<StepRow>, Error> {
        let sql = format!("SELECT {STEP_COLUMNS} FROM outbox WHERE uid = $1 ORDER BY seq");
        let rows = sqlx::query(&sql)
            .bind(uid.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(Error::db("read steps"))?;
        rows.iter().map(step).collect()
    }

    /// One step by id.
    pub async fn step(&self, id: i64) -> Result<Option<StepRow>, Error> {
        let sql = format!("SELECT {STEP_COLUMNS} FROM outbox WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(Error::db("read step"))?;
        row.as_ref().map(step).transpose()
    }

    /// Counts of open and failed steps by status, and the age of the oldest open one.
    pub async fn backlog(&self) -> Result<Backlog, Error> {
        let rows = sqlx::query(
            "SELECT status, count(*) AS n, min(created_at) AS oldest FROM outbox \
             WHERE status NOT IN ('done', 'skipped') GROUP BY status",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("read backlog"))?;
        let mut backlog = Backlog::default();
        for r in rows {
            let status: String = r.try_get("status").map_err(Error::db("read backlog"))?;
            let n: i64 = r.try_get("n").map_err(Error::db("read backlog"))?;
            let oldest: DateTime<Utc> = r.try_get("oldest").map_err(Error::db("read backlog"))?;
            if status != "failed" {
                backlog.oldest_open_at =
                    Some(backlog.oldest_open_at.map_or(oldest, |o| o.min(oldest)));
            }
            backlog.by_status.insert(status, n.max(0) as u64);
        }
        Ok(backlog)
    }

    /// Instances with open steps, the longest waiting first.
    pub async fn waiting_instances(&self, limit: u32) -> Result<Vec<WaitingInstance>, Error> {
        let rows = sqlx::query(
            "SELECT uid, count(*) AS n, min(created_at) AS oldest FROM outbox \
             WHERE status NOT IN ('done', 'skipped', 'failed') GROUP BY uid ORDER BY oldest, uid LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("read waiting instances"))?;
        rows.iter()
            .map(|r| {
                Ok(WaitingInstance {
                    uid: InstanceId::new(r.try_get::<String, _>("uid")?),
                    open_steps: u64::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0),
                    oldest_at: r.try_get("oldest")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Error::db("read waiting instances"))
    }

    /// Marks every queued or retrying step `suspended` (the external system is unavailable). Returns how many.
    pub async fn suspend_ready_steps(&self) -> Result<u64, Error> {
        Ok(sqlx::query(
            "UPDATE outbox SET status = 'suspended' WHERE status IN ('queued', 'retrying')",
        )
        .execute(&self.pool)
        .await
        .map_err(Error::db("suspend steps"))?
        .rows_affected())
    }

    /// Marks suspended steps `queued` again, due at once. Returns how many.
    pub async fn resume_suspended(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        Ok(sqlx::query("UPDATE outbox SET status = 'queued', next_attempt_at = least(next_attempt_at, $1) WHERE status = 'suspended'")
            .bind(pg_time_of(now))
            .execute(&self.pool)
            .await
            .map_err(Error::db("resume steps"))?
            .rows_affected())
    }

    /// Gives a failed step another go (a person decided to retry it). `false` if it was not failed.
    pub async fn retry_failed_step(&self, id: i64, now: DateTime<Utc>) -> Result<bool, Error> {
        self.reopen_or_skip(id, "queued", now).await
    }

    /// Skips a failed step (a person decided it must not be delivered). `false` if it was not failed.
    pub async fn skip_failed_step(&self, id: i64, now: DateTime<Utc>) -> Result<bool, Error> {
        self.reopen_or_skip(id, "skipped", now).await
    }

    async fn reopen_or_skip(
        &self,
        id: i64,
        to: &'static str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let mut transient = 0;
        loop {
            match self.try_reopen_or_skip(id, to, now).await {
                Err(e) if is_transient(&e) && transient < TRANSIENT_RETRIES => transient += 1,
                other => return other,
            }
        }
    }

    async fn try_reopen_or_skip(
        &self,
        id: i64,
        to: &'static str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let mut tx: Transaction<'static, Postgres> = self
            .pool
            .begin()
            .await
            .map_err(Error::db("begin step decision"))?;
        sqlx::query(LOCK_STEP_INSTANCES)
            .bind(vec![id])
            .execute(&mut *tx)
            .await
            .map_err(Error::db("lock step instances"))?;
        let row = sqlx::query(
            "UPDATE outbox SET status = $2, next_attempt_at = $3, ambiguous = true, \
             completed_at = CASE WHEN $2 = 'skipped' THEN $3 ELSE NULL END \
             WHERE id = $1 AND status = 'failed' RETURNING uid, seq",
        )
        .bind(id)
        .bind(to)
        .bind(pg_time_of(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(Error::db("decide failed step"))?;
        let Some(row) = row else { return Ok(false) };
        let uid: String = row
            .try_get("uid")
            .map_err(Error::db("decide failed step"))?;
        // A failed step no longer counts as pending; retrying it makes it pending again, skipping it does not.
        let reopened: i64 = if to == "skipped" { 0 } else { 1 };
        sqlx::query(
            "UPDATE instances SET steps_failed = steps_failed - 1, steps_pending = steps_pending + $2, \
             sync_status = CASE WHEN steps_failed - 1 > 0 THEN 'failed' WHEN awaiting IS NOT NULL THEN 'awaiting_sync' \
                                WHEN steps_pending + $2 > 0 THEN 'pending' ELSE 'synced' END WHERE uid = $1",
        )
        .bind(&uid)
        .bind(reopened)
        .execute(&mut *tx)
        .await
        .map_err(Error::db("decide failed step"))?;
        if to == "skipped" {
            let seq: i64 = row
                .try_get("seq")
                .map_err(Error::db("decide failed step"))?;
            promote_next_steps(&mut tx, &[(uid, seq)]).await?;
        }
        tx.commit()
            .await
            .map_err(Error::db("commit step decision"))?;
        Ok(true)
    }

    /// Releases every lease `owner` holds (at shutdown, after deliveries in flight were given time to finish,
    /// or at the start of a process with the same identity after a crash): the steps are retried at once and
    /// marked ambiguous, since their delivery may have reached the external system.
    pub async fn release_step_leases(&self, owner: &str, now: DateTime<Utc>) -> Result<u64, Error> {
        Ok(sqlx::query(
            "UPDATE outbox SET status = 'retrying', ambiguous = true, lease_owner = NULL, lease_until = NULL, \
             next_attempt_at = $2 WHERE status = 'in_flight' AND lease_owner = $1",
        )
        .bind(owner)
        .bind(pg_time_of(now))
        .execute(&self.pool)
        .await
        .map_err(Error::db("release step leases"))?
        .rows_affected())
    }

    /// Gives back a first step leased in a commit whose outcome the caller never learned (see
    /// [`crate::Store::release_unsent_step`]): it goes back to the queue, not ambiguous, since it was never sent.
    pub async fn release_unsent_step(
        &self,
        uid: &InstanceId,
        seq: u64,
        lease: &StepLease,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let released = sqlx::query(
            "UPDATE outbox SET status = 'queued', lease_owner = NULL, lease_until = NULL, next_attempt_at = $4 \
             WHERE uid = $1 AND seq = $2 AND lease_owner = $3 AND lease_until = $5 \
             AND status = 'in_flight' AND fence = 1 AND attempts = 0",
        )
        .bind(uid.as_str())
        .bind(i64::try_from(seq).unwrap_or(i64::MAX))
        .bind(lease.owner.as_str())
        .bind(pg_time_of(now))
        .bind(pg_time_of(lease.until))
        .execute(&self.pool)
        .await
        .map_err(Error::db("release unsent step"))?
        .rows_affected();
        Ok(released == 1)
    }
}
