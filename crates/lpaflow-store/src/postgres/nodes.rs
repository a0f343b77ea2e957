//! Engine processes and their heartbeats on PostgreSQL (see `crate::Store::heartbeat`). Several live processes
//! may find the same dead one: its row is taken `FOR UPDATE SKIP LOCKED`, so exactly one of them releases its
//! leases and deletes it.

use super::{PgDb, pg_time_of};
use crate::Error;
use crate::model::{Heartbeat, NodeIdentity, NodeRow, TakenOver, Takeover};
use chrono::{DateTime, Utc};
use sqlx::Row;

impl PgDb {
    /// Registers `node` (again): started and alive at `now`.
    pub async fn register_node(
        &self,
        node: &NodeIdentity,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO nodes (node_id, started_at, heartbeat_at, address, incarnation, dead_after_ms) \
             VALUES ($1, $2, $2, $3, $4, $5) ON CONFLICT (node_id) DO UPDATE SET started_at = $2, \
             heartbeat_at = $2, address = $3, incarnation = $4, dead_after_ms = $5",
        )
        .bind(&node.node_id)
        .bind(pg_time_of(now))
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
        let bound_ms = node.dead_after_ms();
        let now = pg_time_of(now);
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(Error::db("begin heartbeat"))?;
        let registered = sqlx::query(
            "UPDATE nodes SET heartbeat_at = $2 WHERE node_id = $1 AND incarnation = $3",
        )
        .bind(node_id)
        .bind(now)
        .bind(&node.incarnation)
        .execute(&mut *tx)
        .await
        .map_err(Error::db("heartbeat"))?
        .rows_affected()
            == 1;
        let dead = if takeover == Takeover::Allowed {
            sqlx::query(
                "SELECT node_id, heartbeat_at FROM nodes \
                 WHERE heartbeat_at < $1 - make_interval(secs => greatest($3, dead_after_ms) / 1000.0) \
                 AND node_id <> $2 ORDER BY node_id FOR UPDATE SKIP LOCKED",
            )
            .bind(now)
            .bind(node_id)
            .bind(bound_ms)
            .fetch_all(&mut *tx)
            .await
            .map_err(Error::db("find dead nodes"))?
        } else {
            Vec::new()
        };
        let mut taken_over = Vec::with_capacity(dead.len());
        for row in dead {
            let dead_id: String = row.try_get("node_id").map_err(Error::db("read node"))?;
            let heartbeat_at: DateTime<Utc> = row
                .try_get("heartbeat_at")
                .map_err(Error::db("read node"))?;
            let steps = sqlx::query(
                "UPDATE outbox SET status = 'retrying', ambiguous = true, lease_owner = NULL, lease_until = NULL, \
                 next_attempt_at = $2 WHERE status = 'in_flight' AND lease_owner = $1",
            )
            .bind(&dead_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(Error::db("release a dead node's step leases"))?
            .rows_affected();
            let timers = sqlx::query(
                "UPDATE timers SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
            )
            .bind(&dead_id)
            .execute(&mut *tx)
            .await
            .map_err(Error::db("release a dead node's timer leases"))?
            .rows_affected();
            sqlx::query("DELETE FROM nodes WHERE node_id = $1")
                .bind(&dead_id)
                .execute(&mut *tx)
                .await
                .map_err(Error::db("remove a dead node"))?;
            taken_over.push(TakenOver {
                node_id: dead_id,
                heartbeat_at,
                steps,
                timers,
            });
        }
        let alive: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM nodes \
             WHERE heartbeat_at >= $1 - make_interval(secs => greatest($2, dead_after_ms) / 1000.0)",
        )
        .bind(now)
        .bind(bound_ms)
        .fetch_one(&mut *tx)
        .await
        .map_err(Error::db("count live nodes"))?;
        let others = sqlx::query(
            "SELECT min(heartbeat_at + make_interval(secs => greatest($2, dead_after_ms) / 1000.0)) \
             FILTER (WHERE heartbeat_at + make_interval(secs => greatest($2, dead_after_ms) / 1000.0) > $3) \
             AS next_overdue_at, clock_timestamp() AS database_now FROM nodes WHERE node_id <> $1",
        )
        .bind(node_id)
        .bind(bound_ms)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(Error::db("read the next deadline"))?;
        tx.commit().await.map_err(Error::db("commit heartbeat"))?;
        Ok(Heartbeat {
            registered,
            taken_over,
            alive: u64::try_from(alive).unwrap_or(0),
            next_overdue_at: others
                .try_get("next_overdue_at")
                .map_err(Error::db("read the next deadline"))?,
            database_now: others
                .try_get("database_now")
                .map_err(Error::db("read the database's clock"))?,
        })
    }

    /// The database's clock.
    pub async fn database_now(&self) -> Result<DateTime<Utc>, Error> {
        sqlx::query_scalar("SELECT clock_timestamp()")
            .fetch_one(&self.pool)
            .await
            .map_err(Error::db("read the database's clock"))
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
                    started_at: r.try_get("started_at")?,
                    heartbeat_at: r.try_get("heartbeat_at")?,
                    address: r.try_get("address")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Error::db("read nodes"))
    }

    /// Removes `node_id` (a graceful shutdown, after its leases were given back).
    pub async fn deregister_node(&self, node_id: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM nodes WHERE node_id = $1")
            .bind(node_id)
            .execute(&self.pool)
            .await
            .map_err(Error::db("deregister node"))?;
        Ok(())
    }
}
