//! Idempotency keys and maintenance windows on SQLite.

use super::SqliteDb;
use crate::Error;
use crate::model::{MaintenanceWindow, Reservation};
use crate::time::{from_micros, to_micros};
use chrono::{DateTime, Utc};
use sqlx::Row;

impl SqliteDb {
    /// Reserves `(actor, key)` for a request with hash `request_hash`. A reservation older than
    /// `abandoned_before` that never completed is taken over (its holder crashed).
    pub async fn reserve_idempotency_key(
        &self,
        actor: &str,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<Reservation, Error> {
        let _write = self.write_lock.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(Error::db("begin idempotency"))?;
        let existing = sqlx::query("SELECT request_hash, status, response, created_at, uid, revision FROM idempotency_keys WHERE actor = ?1 AND key = ?2")
            .bind(actor)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(Error::db("read idempotency key"))?;
        let outcome = match existing {
            None => {
                sqlx::query("INSERT INTO idempotency_keys (actor, key, request_hash, created_at) VALUES (?1, ?2, ?3, ?4)")
                    .bind(actor)
                    .bind(key)
                    .bind(request_hash)
                    .bind(to_micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(Error::db("reserve idempotency key"))?;
                Reservation::Reserved
            }
            Some(row) => {
                let hash: String = row
                    .try_get("request_hash")
                    .map_err(Error::db("read idempotency key"))?;
                let status: Option<i64> = row
                    .try_get("status")
                    .map_err(Error::db("read idempotency key"))?;
                let response: Option<String> = row
                    .try_get("response")
                    .map_err(Error::db("read idempotency key"))?;
                let created: i64 = row
                    .try_get("created_at")
                    .map_err(Error::db("read idempotency key"))?;
                let uid: Option<String> = row
                    .try_get("uid")
                    .map_err(Error::db("read idempotency key"))?;
                let revision: Option<i64> = row
                    .try_get("revision")
                    .map_err(Error::db("read idempotency key"))?;
                let abandoned = from_micros(created) < abandoned_before;
                match (hash == request_hash, status, response) {
                    (false, _, _) => Reservation::Mismatch,
                    (true, Some(status), Some(response)) => Reservation::Completed {
                        status: u16::try_from(status).unwrap_or(500),
                        response,
                    },
                    (true, _, _) if uid.is_some() && abandoned => Reservation::Committed {
                        uid: lpaflow_core::InstanceId::new(uid.unwrap_or_default()),
                        revision: revision.unwrap_or(0).max(0) as u64,
                    },
                    (true, _, _) if from_micros(created) < abandoned_before => {
                        sqlx::query("UPDATE idempotency_keys SET created_at = ?3 WHERE actor = ?1 AND key = ?2")
                            .bind(actor)
                            .bind(key)
                            .bind(to_micros(now))
                            .execute(&mut *tx)
                            .await
                            .map_err(Error::db("take over idempotency key"))?;
                        Reservation::Reserved
                    }
                    (true, _, _) => Reservation::InProgress,
                }
            }
        };
        tx.commit().await.map_err(Error::db("commit idempotency"))?;
        Ok(outcome)
    }

    /// Stores the response of a reserved key.
    pub async fn complete_idempotency_key(
        &self,
        actor: &str,
        key: &str,
        status: u16,
        response: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let _write = self.write_lock.lock().await;
        sqlx::query("UPDATE idempotency_keys SET status = ?3, response = ?4, completed_at = ?5 WHERE actor = ?1 AND key = ?2")
            .bind(actor)
            .bind(key)
            .bind(i64::from(status))
            .bind(response)
            .bind(to_micros(now))
            .execute(&self.pool)
            .await
            .map_err(Error::db("complete idempotency key"))?;
        Ok(())
    }

    /// Forgets a reservation whose request failed before answering, so a retry can run.
    pub async fn release_idempotency_key(
        &self,
        actor: &str,
        key: &str,
        reserved_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        let _write = self.write_lock.lock().await;
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE actor = ?1 AND key = ?2 AND status IS NULL AND uid IS NULL \
             AND created_at = ?3",
        )
        .bind(actor)
        .bind(key)
        .bind(to_micros(reserved_at))
        .execute(&self.pool)
        .await
        .map_err(Error::db("release idempotency key"))?;
        Ok(())
    }

    /// Deletes keys created before `before`. Returns how many.
    pub async fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, Error> {
        let _write = self.write_lock.lock().await;
        Ok(
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?1")
                .bind(to_micros(before))
                .execute(&self.pool)
                .await
                .map_err(Error::db("purge idempotency keys"))?
                .rows_affected(),
        )
    }

    /// Plans a maintenance window.
    pub async fn add_maintenance(
        &self,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        reason: &str,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> Result<MaintenanceWindow, Error> {
        let _write = self.write_lock.lock().await;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO opg_maintenance (starts_at, ends_at, reason, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        )
        .bind(to_micros(starts_at))
        .bind(to_micros(ends_at))
        .bind(reason)
        .bind(created_by)
        .bind(to_micros(now))
        .fetch_one(&self.pool)
        .await
        .map_err(Error::db("add maintenance window"))?;
        Ok(MaintenanceWindow {
            id,
            starts_at: from_micros(to_micros(starts_at)),
            ends_at: from_micros(to_micros(ends_at)),
            reason: reason.to_owned(),
            created_by: created_by.to_owned(),
            created_at: from_micros(to_micros(now)),
        })
    }

    /// Windows that have not ended by `now`, soonest first.
    pub async fn maintenance_windows(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<MaintenanceWindow>, Error> {
        let rows = sqlx::query(
            "SELECT id, starts_at, ends_at, reason, created_by, created_at FROM opg_maintenance WHERE ends_at > ?1 ORDER BY starts_at, id",
        )
        .bind(to_micros(now))
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("read maintenance windows"))?;
        rows.iter()
            .map(|r| {
                Ok(MaintenanceWindow {
                    id: r
                        .try_get("id")
                        .map_err(Error::db("read maintenance windows"))?,
                    starts_at: from_micros(
                        r.try_get("starts_at")
                            .map_err(Error::db("read maintenance windows"))?,
                    ),
                    ends_at: from_micros(
                        r.try_get("ends_at")
                            .map_err(Error::db("read maintenance windows"))?,
                    ),
                    reason: r
                        .try_get("reason")
                        .map_err(Error::db("read maintenance windows"))?,
                    created_by: r
                        .try_get("created_by")
                        .map_err(Error::db("read maintenance windows"))?,
                    created_at: from_micros(
                        r.try_get("created_at")
                            .map_err(Error::db("read maintenance windows"))?,
                    ),
                })
            })
            .collect()
    }

    /// Removes a window. `false` if there was none with that id.
    pub async fn remove_maintenance(&self, id: i64) -> Result<bool, Error> {
        let _write = self.write_lock.lock().await;
        Ok(sqlx::query("DELETE FROM opg_maintenance WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(Error::db("remove maintenance window"))?
            .rows_affected()
            == 1)
    }
}
