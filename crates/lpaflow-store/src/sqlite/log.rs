//! Reads of the global log: its entries (for Merkle roots, proofs and checkpoints) and history rows
//! that have no index (which no checkpoint can cover).

use super::SqliteDb;
use crate::Error;
use lpaflow_core::InstanceId;
use lpaflow_core::log::LogEntry;
use sqlx::Row;

impl SqliteDb {
    /// Every entry of the log, in no particular order (the caller sorts: a scan and a sort cost less than an
    /// index every commit would maintain).
    pub async fn log_entries(&self) -> Result<Vec<LogEntry>, Error> {
        let rows = sqlx::query(
            "SELECT log_index, uid, seq, hash FROM history WHERE log_index IS NOT NULL",
        )
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
    /// The number of entries in the global log (the counter batches advance).
    pub async fn log_size(&self) -> Result<u64, Error> {
        let size: i64 = sqlx::query_scalar("SELECT size FROM audit_log WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(Error::db("read the log's size"))?;
        Ok(size.max(0) as u64)
    }

    /// Keeps a signed checkpoint (once per tree size).
    pub async fn save_checkpoint(
        &self,
        tree_size: u64,
        taken_at: chrono::DateTime<chrono::Utc>,
        checkpoint: &str,
    ) -> Result<(), Error> {
        let _write = self.write_lock.lock().await;
        sqlx::query(
            "INSERT OR IGNORE INTO audit_checkpoints (tree_size, taken_at, checkpoint) VALUES (?1, ?2, ?3)",
        )
        .bind(i64::try_from(tree_size).unwrap_or(i64::MAX))
        .bind(crate::time::to_micros(taken_at))
        .bind(checkpoint)
        .execute(&self.pool)
        .await
        .map_err(Error::db("save a checkpoint"))?;
        Ok(())
    }

    /// The latest signed checkpoint kept, as written.
    pub async fn latest_checkpoint(&self) -> Result<Option<String>, Error> {
        sqlx::query_scalar(
            "SELECT checkpoint FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(Error::db("read the latest checkpoint"))
    }
}

fn log_entry(r: &sqlx::sqlite::SqliteRow) -> Result<LogEntry, Error> {
    let read = |e| Error::db("read the log")(e);
    Ok(LogEntry {
        index: r.try_get::<i64, _>("log_index").map_err(read)?.max(0) as u64,
        uid: r.try_get("uid").map_err(read)?,
        seq: r.try_get::<i64, _>("seq").map_err(read)?.max(0) as u64,
        hash: r.try_get("hash").map_err(read)?,
    })
}
