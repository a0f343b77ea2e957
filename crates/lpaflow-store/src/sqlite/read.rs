//! Reads: one instance (lists are `list.rs`), history pages, chain heads, instances' data (reports),
//! counts.

use super::SqliteDb;
use super::rows::{INSTANCE_COLUMNS, instance, json};
use crate::Error;
use crate::chain_rows::{self, HEAD_COLUMNS, HeadColumns};
use crate::cursor::MAX_PAGE;
use crate::model::{StoredDefinition, StoredInstance};
use crate::time::{from_micros, to_micros};
use chrono::{DateTime, Utc};
use lpaflow_core::history::{ChainHead, StoredEntry};
use lpaflow_core::{
    Actor, Change, EventName, HistoryEntry, InstanceId, RoleName, StateName, WorkflowRef,
};
use serde_json::Value;
use sqlx::Row;

impl SqliteDb {
    /// One instance, if it exists.
    pub async fn get(&self, uid: &InstanceId) -> Result<Option<StoredInstance>, Error> {
        let sql = format!("SELECT {INSTANCE_COLUMNS} FROM instances WHERE uid = ?1");
        let row = sqlx::query(&sql)
            .bind(uid.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(Error::db("read instance"))?;
        row.as_ref().map(instance).transpose()
    }

    /// History entries of `uid` with seq > `after_seq`, in seq order, at most `limit`.
    pub async fn history(
        &self,
        uid: &InstanceId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, Error> {
        let rows = sqlx::query(
            "SELECT uid, seq, at, actor, role, event, from_state, to_state, payload, changes, workflow, version, \
             prev_hash, hash, hash_format, state_digest, timers, rules FROM history WHERE uid = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .bind(uid.as_str())
        .bind(i64::try_from(after_seq).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("read history"))?;
        rows.iter().map(|r| history_row(uid.as_str(), r)).collect()
    }

    /// The chain head of one instance, with the digest of its row as stored.
    pub async fn chain_head(&self, uid: &InstanceId) -> Result<Option<ChainHead>, Error> {
        let sql = format!("SELECT uid, {HEAD_COLUMNS} FROM instances WHERE uid = ?1");
        let row = sqlx::query(&sql)
            .bind(uid.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(Error::db("read chain head"))?;
        Ok(row
            .as_ref()
            .map(head_row)
            .transpose()?
            .map(|(_, head)| head))
    }

    /// Chain heads of up to `limit` instances with uid > `after`, in uid order (for verifying everything).
    pub async fn chain_heads(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<(InstanceId, ChainHead)>, Error> {
        let sql = format!(
            "SELECT uid, {HEAD_COLUMNS} FROM instances WHERE uid > ?1 ORDER BY uid LIMIT ?2"
        );
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(Error::db("read chain heads"))?;
        rows.iter().map(head_row).collect()
    }

    /// Every uid with history but no instance row, with its last seq (deleted instances).
    pub async fn orphaned_history(&self) -> Result<Vec<(InstanceId, u64)>, Error> {
        let rows = sqlx::query(
            "SELECT h.uid, max(h.seq) AS last FROM history h \
             WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE i.uid = h.uid) GROUP BY h.uid ORDER BY h.uid",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("read orphaned history"))?;
        rows.iter()
            .map(|r| {
                let uid: String = r
                    .try_get("uid")
                    .map_err(Error::db("read orphaned history"))?;
                let last: i64 = r
                    .try_get("last")
                    .map_err(Error::db("read orphaned history"))?;
                Ok((InstanceId::new(uid), last.max(0) as u64))
            })
            .collect()
    }

    /// The data of up to `limit` instances of `workflow` with uid > `after`, in uid order (reports).
    pub async fn instances_data(
        &self,
        workflow: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<(InstanceId, Value)>, Error> {
        let rows = sqlx::query(
            "SELECT uid, data FROM instances WHERE workflow = ?1 AND uid > ?2 ORDER BY uid LIMIT ?3",
        )
        .bind(workflow)
        .bind(after)
        .bind(i64::from(limit.clamp(1, MAX_PAGE)))
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("read instances' data"))?;
        rows.iter()
            .map(|r| {
                let uid: String = r
                    .try_get("uid")
                    .map_err(Error::db("read instances' data"))?;
                let text: String = r
                    .try_get("data")
                    .map_err(|e| Error::corrupt(&uid, format!("column data: {e}")))?;
                let data = json(&uid, "data", &text)?;
                Ok((InstanceId::new(uid), data))
            })
            .collect()
    }

    /// How many instances are in each (workflow, state).
    pub async fn count_by_state(&self) -> Result<Vec<(String, String, u64)>, Error> {
        let rows = sqlx::query("SELECT workflow, state, count(*) AS n FROM instances GROUP BY workflow, state ORDER BY workflow, state")
            .fetch_all(&self.pool)
            .await
            .map_err(Error::db("count instances"))?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("workflow")
                        .map_err(Error::db("count instances"))?,
                    r.try_get("state").map_err(Error::db("count instances"))?,
                    r.try_get::<i64, _>("n")
                        .map_err(Error::db("count instances"))?
                        .max(0) as u64,
                ))
            })
            .collect()
    }

    /// Records a definition's text (once per name, version and hash).
    pub async fn save_definition(
        &self,
        name: &str,
        version: u32,
        hash: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let _write = self.write_lock.lock().await;
        sqlx::query("INSERT OR IGNORE INTO workflow_definitions (name, version, hash, source, loaded_at) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(name)
            .bind(i64::from(version))
            .bind(hash)
            .bind(source)
            .bind(to_micros(now))
            .execute(&self.pool)
            .await
            .map_err(Error::db("save definition"))?;
        Ok(())
    }

    /// Every definition ever loaded.
    pub async fn definitions(&self) -> Result<Vec<StoredDefinition>, Error> {
        let rows = sqlx::query("SELECT name, version, hash, source, loaded_at FROM workflow_definitions ORDER BY name, version, loaded_at")
            .fetch_all(&self.pool)
            .await
            .map_err(Error::db("read definitions"))?;
        rows.iter()
            .map(|r| {
                Ok(StoredDefinition {
                    name: r.try_get("name").map_err(Error::db("read definitions"))?,
                    version: r
                        .try_get::<i64, _>("version")
                        .map_err(Error::db("read definitions"))?
                        .clamp(0, i64::from(u32::MAX)) as u32,
                    hash: r.try_get("hash").map_err(Error::db("read definitions"))?,
                    source: r.try_get("source").map_err(Error::db("read definitions"))?,
                    loaded_at: from_micros(
                        r.try_get("loaded_at")
                            .map_err(Error::db("read definitions"))?,
                    ),
                })
            })
            .collect()
    }

    /// The distinct (name, version, hash) that instances are pinned to.
    pub async fn pinned_definitions(&self) -> Result<Vec<(String, u32, String)>, Error> {
        let rows = sqlx::query("SELECT DISTINCT workflow, version, workflow_hash FROM instances")
            .fetch_all(&self.pool)
            .await
            .map_err(Error::db("read pinned definitions"))?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("workflow")
                        .map_err(Error::db("read pinned definitions"))?,
                    r.try_get::<i64, _>("version")
                        .map_err(Error::db("read pinned definitions"))?
                        .clamp(0, i64::from(u32::MAX)) as u32,
                    r.try_get("workflow_hash")
                        .map_err(Error::db("read pinned definitions"))?,
                ))
            })
            .collect()
    }
}

fn history_row(uid: &str, r: &sqlx::sqlite::SqliteRow) -> Result<StoredEntry, Error> {
    let col = |c: &str, e: sqlx::Error| Error::corrupt(uid, format!("history column {c}: {e}"));
    let payload: String = r.try_get("payload").map_err(|e| col("payload", e))?;
    let changes: String = r.try_get("changes").map_err(|e| col("changes", e))?;
    let changes: Vec<Change> = serde_json::from_value(json(uid, "changes", &changes)?)
        .map_err(|e| Error::corrupt(uid, format!("history changes: {e}")))?;
    let seq: i64 = r.try_get("seq").map_err(|e| col("seq", e))?;
    let version: i64 = r.try_get("version").map_err(|e| col("version", e))?;
    let (binding, rules) = chain_rows::FormatColumns {
        format: r
            .try_get::<i64, _>("hash_format")
            .map_err(|e| col("hash_format", e))?,
        state_digest: r
            .try_get("state_digest")
            .map_err(|e| col("state_digest", e))?,
        timers: r.try_get("timers").map_err(|e| col("timers", e))?,
        rules: r.try_get("rules").map_err(|e| col("rules", e))?,
    }
    .read(uid)?;
    Ok(StoredEntry {
        entry: HistoryEntry {
            seq: seq.max(0) as u64,
            at: from_micros(r.try_get("at").map_err(|e| col("at", e))?),
            actor: Actor::new(
                r.try_get::<String, _>("actor")
                    .map_err(|e| col("actor", e))?,
            ),
            role: RoleName::new(r.try_get::<String, _>("role").map_err(|e| col("role", e))?),
            event: EventName::new(
                r.try_get::<String, _>("event")
                    .map_err(|e| col("event", e))?,
            ),
            from: r
                .try_get::<Option<String>, _>("from_state")
                .map_err(|e| col("from_state", e))?
                .map(StateName::new),
            to: StateName::new(
                r.try_get::<String, _>("to_state")
                    .map_err(|e| col("to_state", e))?,
            ),
            payload: json(uid, "payload", &payload)?,
            changes,
            workflow: WorkflowRef {
                name: r.try_get("workflow").map_err(|e| col("workflow", e))?,
                version: version.clamp(0, i64::from(u32::MAX)) as u32,
            },
            rules,
            binding,
        },
        prev_hash: r.try_get("prev_hash").map_err(|e| col("prev_hash", e))?,
        hash: r.try_get("hash").map_err(|e| col("hash", e))?,
    })
}

fn head_row(r: &sqlx::sqlite::SqliteRow) -> Result<(InstanceId, ChainHead), Error> {
    let uid: String = r.try_get("uid").map_err(Error::db("read chain heads"))?;
    let col = |c: &str, e: sqlx::Error| Error::corrupt(&uid, format!("instance column {c}: {e}"));
    let columns = HeadColumns {
        workflow: r.try_get("workflow").map_err(|e| col("workflow", e))?,
        version: r.try_get("version").map_err(|e| col("version", e))?,
        state: r.try_get("state").map_err(|e| col("state", e))?,
        revision: r.try_get("revision").map_err(|e| col("revision", e))?,
        data: r.try_get("data").map_err(|e| col("data", e))?,
        awaiting: r.try_get("awaiting").map_err(|e| col("awaiting", e))?,
        head_hash: r.try_get("head_hash").map_err(|e| col("head_hash", e))?,
    };
    Ok((InstanceId::new(uid), columns.head()))
}
