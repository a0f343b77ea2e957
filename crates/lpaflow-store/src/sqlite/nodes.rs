//! Engine processes and their heartbeats on SQLite (see `crate::Store::heartbeat`).

use super::SqliteDb;
use crate::Error;
use crate::model::{Heartbeat, NodeRow, TakenOver};
use crate::time::{from_micros, to_micros};
use chrono::{DateTime, Utc};
use sqlx::Row;

impl SqliteDb {
    /// Registers `node_id` (again): started and alive at `now`.
    pub async fn register_node(
        &self,
        node_id: &str,
        address: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let _write = self.write_lock.lock().await;
        sqlx::query(
            "INSERT INTO nodes (node_id, started_at, heartbeat_at, address) VALUES (?1, ?2, ?2, ?3) \
             ON CONFLICT (node_id) DO UPDATE SET started_at = ?2, heartbeat_at = ?2, address = ?3",
        )
        .bind(node_id)
        .bind(to_micros(now))
        .bind(address)
        .execute(&self.pool)
        .await
        .map_err(Error::db("register node"))?;
        Ok(())
    }

    /// Beats for `node_id` at `now` and takes over every other node last seen before `dead_before`.
    pub async fn heartbeat(
        &self,
        node_id: &str,
        now: DateTime<Utc>,
        dead_before: DateTime<Utc>,
    ) -> Result<Heartbeat, Error> {
        let _write = self.write_lock.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(Error::db("begin heartbeat"))?;
        let registered = sqlx::query("UPDATE nodes SET heartbeat_at = ?2 WHERE node_id = ?1")
            .bind(node_id)
            .bind(to_micros(now))
            .execute(&mut *tx)
            .await
            .map_err(Error::db("heartbeat"))?
            .rows_affected()
            == 1;
        let dead = sqlx::query(
            "SELECT node_id, heartbeat_at FROM nodes WHERE heartbeat_at < ?1 AND node_id <> ?2 ORDER BY node_id",
        )
        .bind(to_micros(dead_before))
        .bind(node_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(Error::db("find dead nodes"))?;
        let mut taken_over = Vec::with_capacity(dead.len());
        for row in dead {
            let dead_id: String = row.try_get("node_id").map_err(Error::db("read node"))?;
            let heartbeat_at: i64 = row
                .try_get("heartbeat_at")
                .map_err(Error::db("read node"))?;
            let steps = sqlx::query(
                "UPDATE outbox SET status = 'retrying', ambiguous = 1, lease_owner = NULL, lease_until = NULL, \
                 next_attempt_at = ?2 WHERE status = 'in_flight' AND lease_owner = ?1",
            )
            .bind(&dead_id)
            .bind(to_micros(now))
            .execute(&mut *tx)
            .await
            .map_err(Error::db("release a dead node's step leases"))?
            .rows_affected();
            let timers = sqlx::query(
                "UPDATE timers SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?1",
            )
            .bind(&dead_id)
            .execute(&mut *tx)
            .await
            .map_err(Error::db("release a dead node's timer leases"))?
            .rows_affected();
            sqlx::query("DELETE FROM nodes WHERE node_id = ?1")
                .bind(&dead_id)
                .execute(&mut *tx)
                .await
                .map_err(Error::db("remove a dead node"))?;
            taken_over.push(TakenOver {
                node_id: dead_id,
                heartbeat_at: from_micros(heartbeat_at),
                steps,
                timers,
            });
        }
        let alive: i64 = sqlx::query_scalar("SELECT count(*) FROM nodes WHERE heartbeat_at >= ?1")
            .bind(to_micros(dead_before))
            .fetch_one(&mut *tx)
            .await
            .map_err(Error::db("count live nodes"))?;
        tx.commit().await.map_err(Error::db("commit heartbeat"))?;
        Ok(Heartbeat {
            registered,
            taken_over,
            alive: u64::try_from(alive).unwrap_or(0),
        })
    }

    /// Every registered node, the most recently seen first.
    pub async fn nodes(&self) -> Result<Vec<NodeRow>, Error> {
        let rows = sqlx::query(
            "SELECT node_id, started_at, heartbeat_at, address FROM nodes ORDER BY heartbeat_at DESC, node_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("read nodes"))?;
        rows.iter()
            .map(|r| {
                Ok(NodeRow {
                    node_id: r.try_get("node_id")?,
                    started_at: from_micros(r.try_get("started_at")?),
                    heartbeat_at: from_micros(r.try_get("heartbeat_at")?),
                    address: r.try_get("address")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Error::db("read nodes"))
    }

    /// Removes `node_id` (a graceful shutdown, after its leases were given back).
    pub async fn deregister_node(&self, node_id: &str) -> Result<(), Error> {
        let _write = self.write_lock.lock().await;
        sqlx::query("DELETE FROM nodes WHERE node_id = ?1")
            .bind(node_id)
            .execute(&self.pool)
            .await
            .map_err(Error::db("deregister node"))?;
        Ok(())
    }
}
