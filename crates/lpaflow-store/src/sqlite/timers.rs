//! Timers on SQLite: claimed with leases and fencing like steps. A claimed timer is consumed by the commit
//! of the event it fires (see `Commit::consume_timer`), so it fires exactly once even across crashes.

use super::SqliteDb;
use crate::Error;
use crate::model::{ClaimedTimer, TimerRow};
use crate::time::{from_micros, to_micros};
use chrono::{DateTime, Utc};
use lpaflow_core::{InstanceId, TimerName};
use sqlx::Row;

impl SqliteDb {
    /// Claims up to `limit` due timers that no live lease holds.
    pub async fn claim_timers(
        &self,
        owner: &str,
        limit: u32,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ClaimedTimer>, Error> {
        let _write = self.write_lock.lock().await;
        let rows = sqlx::query(
            "UPDATE timers SET lease_owner = ?1, lease_until = ?2, fence = fence + 1 \
             WHERE (uid, name) IN (SELECT uid, name FROM timers WHERE fire_at <= ?3 \
                                   AND (lease_until IS NULL OR lease_until < ?3) ORDER BY fire_at LIMIT ?4) \
             RETURNING uid, name, fire_at, event, payload, fence",
        )
        .bind(owner)
        .bind(to_micros(lease_until))
        .bind(to_micros(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("claim timers"))?;
        let mut timers = rows
            .iter()
            .map(|r| {
                let uid: String = r.try_get("uid").map_err(Error::db("claim timers"))?;
                let payload: String = r.try_get("payload").map_err(Error::db("claim timers"))?;
                Ok(ClaimedTimer {
                    name: TimerName::new(
                        r.try_get::<String, _>("name")
                            .map_err(Error::db("claim timers"))?,
                    ),
                    fire_at: from_micros(r.try_get("fire_at").map_err(Error::db("claim timers"))?),
                    event: r.try_get("event").map_err(Error::db("claim timers"))?,
                    payload: super::rows::json(&uid, "timer payload", &payload)?,
                    fence: r
                        .try_get::<i64, _>("fence")
                        .map_err(Error::db("claim timers"))?
                        .max(0) as u64,
                    uid: InstanceId::new(uid),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        timers.sort_by_key(|t| t.fire_at);
        Ok(timers)
    }

    /// Puts a claimed timer off until `until` (its event is not accepted yet). `false` if the lease was lost.
    pub async fn defer_timer(
        &self,
        uid: &InstanceId,
        name: &TimerName,
        fence: u64,
        until: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let _write = self.write_lock.lock().await;
        let n = sqlx::query("UPDATE timers SET fire_at = ?4, lease_owner = NULL, lease_until = NULL WHERE uid = ?1 AND name = ?2 AND fence = ?3")
            .bind(uid.as_str())
            .bind(name.as_str())
            .bind(i64::try_from(fence).unwrap_or(i64::MAX))
            .bind(to_micros(until))
            .execute(&self.pool)
            .await
            .map_err(Error::db("defer timer"))?
            .rows_affected();
        Ok(n == 1)
    }

    /// Deletes a claimed timer whose event can never be accepted. `false` if the lease was lost.
    pub async fn drop_timer(
        &self,
        uid: &InstanceId,
        name: &TimerName,
        fence: u64,
    ) -> Result<bool, Error> {
        let _write = self.write_lock.lock().await;
        let n = sqlx::query("DELETE FROM timers WHERE uid = ?1 AND name = ?2 AND fence = ?3")
            .bind(uid.as_str())
            .bind(name.as_str())
            .bind(i64::try_from(fence).unwrap_or(i64::MAX))
            .execute(&self.pool)
            .await
            .map_err(Error::db("drop timer"))?
            .rows_affected();
        Ok(n == 1)
    }

    /// The timers of one instance, soonest first.
    pub async fn timers_of(&self, uid: &InstanceId) -> Result<Vec<TimerRow>, Error> {
        let rows = sqlx::query(
            "SELECT name, fire_at, event FROM timers WHERE uid = ?1 ORDER BY fire_at, name",
        )
        .bind(uid.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("read timers"))?;
        rows.iter()
            .map(|r| {
                Ok(TimerRow {
                    name: TimerName::new(
                        r.try_get::<String, _>("name")
                            .map_err(Error::db("read timers"))?,
                    ),
                    fire_at: from_micros(r.try_get("fire_at").map_err(Error::db("read timers"))?),
                    event: r.try_get("event").map_err(Error::db("read timers"))?,
                })
            })
            .collect()
    }

    /// When the next timer falls due, if any.
    pub async fn next_timer_at(&self) -> Result<Option<DateTime<Utc>>, Error> {
        let row: Option<i64> = sqlx::query_scalar("SELECT min(fire_at) FROM timers")
            .fetch_one(&self.pool)
            .await
            .map_err(Error::db("read next timer"))?;
        Ok(row.map(from_micros))
    }

    /// Releases every timer lease `owner` holds (graceful shutdown).
    pub async fn release_timer_leases(&self, owner: &str) -> Result<u64, Error> {
        let _write = self.write_lock.lock().await;
        Ok(sqlx::query(
            "UPDATE timers SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?1",
        )
        .bind(owner)
        .execute(&self.pool)
        .await
        .map_err(Error::db("release timer leases"))?
        .rows_affected())
    }
}
