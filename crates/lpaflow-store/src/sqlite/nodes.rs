//! Engine processes and their heartbeats on SQLite (see `crate::Store::heartbeat`).

use super::SqliteDb;
use crate::Error;
use crate::model::{Heartbeat, NodeIdentity, NodeRow, TakenOver, Takeover};
use crate::time::{from_micros, to_micros};
use chrono::{DateTime, Utc};
use sqlx::Row;

impl SqliteDb {
    /// Registers `node` (again): started and alive at `now`.
    pub async fn register_node(
        &self,
        node: &NodeIdentity,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let _write = self.write_lock.lock().await;
        sqlx::query(
            "INSERT INTO nodes (node_id, started_at, heartbeat_at, address, incarnation, dead_after_ms) \
             VALUES (?1, ?2, ?2, ?3, ?4, ?5) ON CONFLICT (node_id) DO UPDATE SET started_at = ?2, \
             heartbeat_at = ?2, address = ?3, incarnation = ?4, dead_after_ms = ?5",
        )
        .bind(&node.node_id)
        .bind(to_micros(now))
        .bind(node.address.as_deref())
        .bind(&node.incarnation)
        .bind(node.dead_after_ms())
        .execute(&self.pool)
        .await
        .map_err(Error::db("register node"))?;
        Ok(())
    }

    /// Beats for `node` at `now` and, unless `takeover` is withheld, takes over every other node silent for
    /// longer than the longer of the two bounds.
    pub async fn heartbeat(
        &self,
        node: &NodeIdentity,
        now: DateTime<Utc>,
        takeover: Takeover,
    ) -> Result<Heartbeat, Error> {
        let node_id = node.node_id.as_str();
        let bound_us = node.dead_after_ms().saturating_mul(1000);
        let _write = self.write_lock.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(Error::db("begin heartbeat"))?;
        let registered = sqlx::query(
            "UPDATE nodes SET heartbeat_at = ?2 WHERE node_id = ?1 AND incarnation = ?3",
        )
        .bind(node_id)
        .bind(to_micros(now))
        .bind(&node.incarnation)
        .execute(&mut *tx)
        .await
        .map_err(Error::db("heartbeat"))?
        .rows_affected()
            == 1;
        let dead = if takeover == Takeover::Allowed {
            sqlx::query(
                "SELECT node_id, heartbeat_at FROM nodes \
                 WHERE heartbeat_at < ?1 - max(?3, dead_after_ms * 1000) AND node_id <> ?2 ORDER BY node_id",
            )
            .bind(to_micros(now))
            .bind(node_id)
            .bind(bound_us)
            .fetch_all(&mut *tx)
            .await
            .map_err(Error::db("find dead nodes"))?
        } else {
            Vec::new()
        };
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
        let alive: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM nodes WHERE heartbeat_at >= ?1 - max(?2, dead_after_ms * 1000)",
        )
        .bind(to_micros(now))
        .bind(bound_us)
        .fetch_one(&mut *tx)
        .await
        .map_err(Error::db("count live nodes"))?;
        let next_overdue_at: Option<i64> = sqlx::query_scalar(
            "SELECT min(heartbeat_at + max(?2, dead_after_ms * 1000)) FROM nodes \
             WHERE node_id <> ?1 AND heartbeat_at + max(?2, dead_after_ms * 1000) > ?3",
        )
        .bind(node_id)
        .bind(bound_us)
        .bind(to_micros(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(Error::db("read the next deadline"))?;
        tx.commit().await.map_err(Error::db("commit heartbeat"))?;
        Ok(Heartbeat {
            registered,
            taken_over,
            alive: u64::try_from(alive).unwrap_or(0),
            next_overdue_at: next_overdue_at.map(from_micros),
            database_now: self.database_now().await?,
        })
    }

    /// The database's clock: a SQLite file lives on one host, so its clock is this process's.
    pub async fn database_now(&self) -> Result<DateTime<Utc>, Error> {
        Ok(Utc::now())
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
