//! The outbox on SQLite: claims with leases and fencing, lease holders' reports, suspension, and the views
//! the API needs. Per-instance order comes from the `blocked` status: only an instance's oldest open step is
//! ever claimable.

use super::SqliteDb;
use super::rows::{STEP_COLUMNS, step};
use super::values;
use crate::Error;
use crate::finished::Finished;
use crate::model::{Backlog, StepFinish, StepLease, StepOutcome, StepRow, WaitingInstance};
use crate::prepare::batch_json;
use crate::time::{from_micros, to_micros};
use chrono::{DateTime, Utc};
use lpaflow_core::InstanceId;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeSet;

const RECLAIM_EXPIRED: &str = "UPDATE outbox SET status = 'retrying', ambiguous = 1, lease_owner = NULL, \
     lease_until = NULL, next_attempt_at = ?1 WHERE status = 'in_flight' AND lease_until < ?1";

#[derive(Serialize)]
struct FinishRow {
    id: i64,
    fence: u64,
    uid: String,
    status: &'static str,
    result: Option<String>,
    error: Option<String>,
    next_attempt_at: i64,
    ambiguous: bool,
    counted: u32,
    at: i64,
}

const FINISH: &str = "UPDATE outbox SET status = v.status, result = v.result, last_error = v.error, \
       next_attempt_at = v.next_attempt_at, ambiguous = v.ambiguous, attempts = attempts + v.counted, \
       lease_owner = NULL, lease_until = NULL, \
       completed_at = CASE WHEN v.status IN ('done', 'failed') THEN v.at ELSE NULL END \
     FROM (SELECT value->>'id' AS id, value->>'fence' AS fence, value->>'status' AS status, \
                  value->>'result' AS result, value->>'error' AS error, \
                  value->>'next_attempt_at' AS next_attempt_at, value->>'ambiguous' AS ambiguous, \
                  value->>'counted' AS counted, value->>'at' AS at FROM json_each(?1)) AS v \
     WHERE outbox.id = v.id AND outbox.fence = v.fence AND outbox.status = 'in_flight' \
     RETURNING outbox.id, outbox.uid, outbox.seq, outbox.status";

const ADJUST_COUNTERS: &str = "UPDATE instances SET steps_pending = steps_pending - v.closed, \
       steps_failed = steps_failed + v.failed, \
       sync_status = CASE WHEN steps_failed + v.failed > 0 THEN 'failed' \
                          WHEN awaiting IS NOT NULL THEN 'awaiting_sync' \
                          WHEN steps_pending - v.closed > 0 THEN 'pending' ELSE 'synced' END \
     FROM (SELECT value->>'uid' AS uid, value->>'closed' AS closed, value->>'failed' AS failed \
           FROM json_each(?1)) AS v WHERE instances.uid = v.uid";

fn json_text(v: &serde_json::Value) -> String {
    v.to_string()
}

impl SqliteDb {
    /// Claims up to `limit` due steps for `owner` until `lease_until`. Steps whose lease expired first become
    /// `retrying` with `ambiguous` set (their holder may have sent them).
    pub async fn claim_steps(
        &self,
        owner: &str,
        limit: u32,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<StepRow>, Error> {
        let _write = self.write_lock.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(Error::db("begin claim"))?;
        sqlx::query(RECLAIM_EXPIRED)
            .bind(to_micros(now))
            .execute(&mut *tx)
            .await
            .map_err(Error::db("reclaim expired leases"))?;
        let sql = format!(
            "UPDATE outbox SET status = 'in_flight', lease_owner = ?1, lease_until = ?2, fence = fence + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE status IN ('queued', 'retrying', 'suspended') AND next_attempt_at <= ?3 \
                          ORDER BY next_attempt_at, id LIMIT ?4) \
             RETURNING {STEP_COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(owner)
            .bind(to_micros(lease_until))
            .bind(to_micros(now))
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
        let rows: Vec<FinishRow> = finishes.iter().map(finish_row).collect();
        let applied = self.on_writer(move |conn| finish_on(conn, &rows)).await?;
        Ok(finishes
            .iter()
            .map(|f| applied.contains(&f.step.key))
            .collect())
    }

    /// Every step of one instance, in order.
    pub async fn steps_of(&self, uid: &InstanceId) -> Result<Vec<StepRow>, Error> {
        let sql = format!("SELECT {STEP_COLUMNS} FROM outbox WHERE uid = ?1 ORDER BY seq");
        let rows = sqlx::query(&sql)
            .bind(uid.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(Error::db("read steps"))?;
        rows.iter().map(step).collect()
    }

    /// One step by id.
    pub async fn step(&self, id: i64) -> Result<Option<StepRow>, Error> {
        let sql = format!("SELECT {STEP_COLUMNS} FROM outbox WHERE id = ?1");
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
            let oldest: i64 = r.try_get("oldest").map_err(Error::db("read backlog"))?;
            if status != "failed" {
                let t = from_micros(oldest);
                backlog.oldest_open_at = Some(backlog.oldest_open_at.map_or(t, |o| o.min(t)));
            }
            backlog.by_status.insert(status, n.max(0) as u64);
        }
        Ok(backlog)
    }

    /// Instances with open steps, the longest waiting first.
    pub async fn waiting_instances(&self, limit: u32) -> Result<Vec<WaitingInstance>, Error> {
        let rows = sqlx::query(
            "SELECT uid, count(*) AS n, min(created_at) AS oldest FROM outbox \
             WHERE status NOT IN ('done', 'skipped', 'failed') GROUP BY uid ORDER BY oldest, uid LIMIT ?1",
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
                    oldest_at: from_micros(r.try_get("oldest")?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Error::db("read waiting instances"))
    }

    /// Marks every queued or retrying step `suspended` (the external system is unavailable). Returns how many.
    pub async fn suspend_ready_steps(&self) -> Result<u64, Error> {
        let _write = self.write_lock.lock().await;
        Ok(sqlx::query(
            "UPDATE outbox SET status = 'suspended' WHERE status IN ('queued', 'retrying')",
        )
        .execute(&self.pool)
        .await
        .map_err(Error::db("suspend steps"))?
        .rows_affected())
    }

    /// Makes suspended steps claimable again, due at once. Returns how many.
    pub async fn resume_suspended(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let _write = self.write_lock.lock().await;
        Ok(sqlx::query("UPDATE outbox SET status = 'queued', next_attempt_at = min(next_attempt_at, ?1) WHERE status = 'suspended'")
            .bind(to_micros(now))
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
        let _write = self.write_lock.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(Error::db("begin step decision"))?;
        let row = sqlx::query(
            "UPDATE outbox SET status = ?2, next_attempt_at = ?3, ambiguous = 1, \
             completed_at = CASE WHEN ?2 = 'skipped' THEN ?3 ELSE NULL END \
             WHERE id = ?1 AND status = 'failed' RETURNING uid, seq",
        )
        .bind(id)
        .bind(to)
        .bind(to_micros(now))
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
            "UPDATE instances SET steps_failed = steps_failed - 1, steps_pending = steps_pending + ?2, \
             sync_status = CASE WHEN steps_failed - 1 > 0 THEN 'failed' WHEN awaiting IS NOT NULL THEN 'awaiting_sync' \
                                WHEN steps_pending + ?2 > 0 THEN 'pending' ELSE 'synced' END WHERE uid = ?1",
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
            sqlx::query(
                "UPDATE outbox SET status = 'queued' \
                 WHERE uid = ?1 AND seq = ?2 + 1 AND status = 'blocked'",
            )
            .bind(&uid)
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(Error::db("promote the next step"))?;
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
        let _write = self.write_lock.lock().await;
        Ok(sqlx::query(
            "UPDATE outbox SET status = 'retrying', ambiguous = 1, lease_owner = NULL, lease_until = NULL, \
             next_attempt_at = ?2 WHERE status = 'in_flight' AND lease_owner = ?1",
        )
        .bind(owner)
        .bind(to_micros(now))
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
        let _write = self.write_lock.lock().await;
        let released = sqlx::query(
            "UPDATE outbox SET status = 'queued', lease_owner = NULL, lease_until = NULL, next_attempt_at = ?4 \
             WHERE uid = ?1 AND seq = ?2 AND lease_owner = ?3 AND lease_until = ?5 \
             AND status = 'in_flight' AND fence = 1 AND attempts = 0",
        )
        .bind(uid.as_str())
        .bind(i64::try_from(seq).unwrap_or(i64::MAX))
        .bind(lease.owner.as_str())
        .bind(to_micros(now))
        .bind(to_micros(lease.until))
        .execute(&self.pool)
        .await
        .map_err(Error::db("release unsent step"))?
        .rows_affected();
        Ok(released == 1)
    }
}

fn finish_row(f: &StepFinish) -> FinishRow {
    let base = FinishRow {
        id: f.step.key,
        fence: f.step.fence,
        uid: f.uid.to_string(),
        status: "done",
        result: None,
        error: None,
        next_attempt_at: to_micros(f.at),
        ambiguous: false,
        counted: 1,
        at: to_micros(f.at),
    };
    match &f.outcome {
        StepOutcome::Done { result } => FinishRow {
            result: Some(json_text(result)),
            ..base
        },
        StepOutcome::Retry {
            next_attempt_at,
            error,
            ambiguous,
            count_attempt,
        } => FinishRow {
            status: "retrying",
            error: Some(json_text(error)),
            next_attempt_at: to_micros(*next_attempt_at),
            ambiguous: *ambiguous,
            counted: u32::from(*count_attempt),
            ..base
        },
        StepOutcome::Failed { error } => FinishRow {
            status: "failed",
            error: Some(json_text(error)),
            ..base
        },
        StepOutcome::Suspended { error, ambiguous } => FinishRow {
            status: "suspended",
            error: Some(json_text(error)),
            ambiguous: *ambiguous,
            counted: 0,
            ..base
        },
    }
}

/// Records lease holders' reports on the writer's connection `conn` (see [`SqliteDb::finish_steps`]).
fn finish_on(conn: &mut rusqlite::Connection, rows: &[FinishRow]) -> Result<BTreeSet<i64>, Error> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(Error::sqlite("begin finish"))?;
    let applied: Vec<(i64, String, i64, String)> = values::query(
        &tx,
        "finish steps",
        FINISH,
        |b| b.put(batch_json(rows)).map(|_| ()),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let Finished {
        applied,
        done,
        closed,
    } = Finished::tally(applied);
    values::promote_next_steps(&tx, &done)?;
    if !closed.is_empty() {
        let adjust: Vec<serde_json::Value> = closed
            .iter()
            .map(|(uid, (c, f))| serde_json::json!({"uid": uid, "closed": c, "failed": f}))
            .collect();
        tx.prepare_cached(ADJUST_COUNTERS)
            .and_then(|mut stmt| stmt.execute([serde_json::Value::Array(adjust).to_string()]))
            .map_err(Error::sqlite("adjust step counters"))?;
    }
    tx.commit().map_err(Error::sqlite("commit finish"))?;
    Ok(applied)
}
