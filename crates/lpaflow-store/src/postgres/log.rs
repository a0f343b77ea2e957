//! Reads of the global log: entries in index order (for Merkle roots, proofs and checkpoints) and history rows
//! that have no index (which no checkpoint can cover).

use super::PgDb;
use crate::Error;
use lpaflow_core::InstanceId;
use lpaflow_core::log::LogEntry;
use sqlx::Row;

impl PgDb {
    /// Up to `limit` log entries with index > `after` (-1 for the first), in index order.
    pub async fn log_entries(&self, after: i64, limit: u32) -> Result<Vec<LogEntry>, Error> {
        let rows = sqlx::query(
            "SELECT log_index, uid, seq, hash FROM history WHERE log_index > $1 ORDER BY log_index LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("read the log"))?;
        rows.iter().map(log_entry).collect()
    }

    /// Every history row without a global index, as (uid, seq).
    pub async fn unindexed_history(&self) -> Result<Vec<(InstanceId, u64)>, Error> {
        let rows =
            sqlx::query("SELECT uid, seq FROM history WHERE log_index IS NULL ORDER BY uid, seq")
                .fetch_all(&self.pool)
                .await
                .map_err(Error::db("read unindexed history"))?;
        rows.iter()
            .map(|r| {
                let uid: String = r
                    .try_get("uid")
                    .map_err(Error::db("read unindexed history"))?;
                let seq: i64 = r
                    .try_get("seq")
                    .map_err(Error::db("read unindexed history"))?;
                Ok((InstanceId::new(uid), seq.max(0) as u64))
            })
            .collect()
    }
}

fn log_entry(r: &sqlx::postgres::PgRow) -> Result<LogEntry, Error> {
    let read = |e| Error::db("read the log")(e);
    Ok(LogEntry {
        index: r.try_get::<i64, _>("log_index").map_err(read)?.max(0) as u64,
        uid: r.try_get("uid").map_err(read)?,
        seq: r.try_get::<i64, _>("seq").map_err(read)?.max(0) as u64,
        hash: r.try_get("hash").map_err(read)?,
    })
}
