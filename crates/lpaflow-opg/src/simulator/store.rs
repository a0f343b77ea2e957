//! The simulator's durable store: SQLite (WAL) through sqlx runtime queries, which sqlx prepares once per
//! connection and caches. The database is the only source of truth, so a restarted simulator on the same file
//! refuses a second create and keeps its change log and duplicate counts.
//!
//! Writes are read-check-write (the guards need the current document), so they are serialised by one async
//! mutex held across the check and the commit: a [`WriteGuard`] must be shown to every write method. SQLite
//! has a single writer anyway; reads go straight to the pool and never wait for it.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use tokio::sync::{Mutex, MutexGuard};

use crate::document::{Change, ChangeLogEntry};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS lpas (
    uid TEXT PRIMARY KEY NOT NULL,
    doc TEXT NOT NULL,
    prev_doc TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    uid TEXT NOT NULL,
    applied TEXT NOT NULL,
    author TEXT NOT NULL,
    type TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_uid ON changes (uid, seq);
CREATE TABLE IF NOT EXISTS duplicates (uid TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL);
INSERT OR IGNORE INTO counters (name, n) VALUES ('writes_applied', 0);
";

const BUMP_WRITES: &str = "UPDATE counters SET n = n + 1 WHERE name = 'writes_applied'";
const BUMP_DUPLICATE: &str =
    "INSERT INTO duplicates (uid, n) VALUES (?, 1) ON CONFLICT (uid) DO UPDATE SET n = n + 1";

/// A store failure (the simulator answers 500 and logs it).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error("stored JSON is corrupt")]
    Json(#[from] serde_json::Error),
    #[error("stored time is corrupt")]
    Time(#[from] chrono::ParseError),
}

/// One stored LPA: the current document and the one before the last write (served by `staleReads`).
#[derive(Debug, Clone)]
pub struct LpaRow {
    pub doc: Value,
    pub prev_doc: Option<Value>,
    pub updated_at: DateTime<Utc>,
}

/// One applied update: the documents before and after, and its change log entry.
pub struct Applied<'a> {
    pub uid: &'a str,
    pub prev: &'a Value,
    pub doc: &'a Value,
    pub author: &'a str,
    pub kind: &'a str,
    pub changes: &'a [Change],
    /// The stored LPA already reflected it (counted per uid).
    pub duplicate: bool,
    pub now: DateTime<Utc>,
}

/// Proof that the caller holds the write lock.
pub struct WriteGuard<'a>(#[allow(dead_code)] MutexGuard<'a, ()>);

pub struct Store {
    pool: SqlitePool,
    write_lock: Mutex<()>,
}

pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Store {
    pub async fn open(path: &Path, connections_max: u32) -> Result<Self, Error> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Durable across a process crash (the case the benchmark's crash run exercises); a power cut may
            // lose the last transactions, acceptable for a simulator and much faster.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(connections_max.max(1))
            .min_connections(1)
            .connect_with(options)
            .await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        Ok(Self {
            pool,
            write_lock: Mutex::new(()),
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Persisted counters: writes applied and duplicates per uid.
    pub async fn load_stats(&self) -> Result<(u64, HashMap<String, u64>), Error> {
        let writes: i64 =
            sqlx::query_scalar("SELECT n FROM counters WHERE name = 'writes_applied'")
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(0);
        let rows = sqlx::query("SELECT uid, n FROM duplicates")
            .fetch_all(&self.pool)
            .await?;
        let mut dups = HashMap::with_capacity(rows.len());
        for row in rows {
            let n: i64 = row.try_get("n")?;
            dups.insert(row.try_get("uid")?, u64::try_from(n).unwrap_or(0));
        }
        Ok((u64::try_from(writes).unwrap_or(0), dups))
    }

    pub async fn get(&self, uid: &str) -> Result<Option<LpaRow>, Error> {
        let row = sqlx::query("SELECT doc, prev_doc, updated_at FROM lpas WHERE uid = ?")
            .bind(uid)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| lpa_row(&r)).transpose()
    }

    /// The stored LPAs among `uids`, in the order asked (unknown ones left out).
    pub async fn get_many(&self, uids: &[String]) -> Result<Vec<(String, LpaRow)>, Error> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; uids.len()].join(",");
        let sql = format!("SELECT uid, doc, prev_doc, updated_at FROM lpas WHERE uid IN ({marks})");
        let mut query = sqlx::query(&sql);
        for uid in uids {
            query = query.bind(uid);
        }
        let mut found: HashMap<String, LpaRow> = HashMap::new();
        for row in query.fetch_all(&self.pool).await? {
            found.insert(row.try_get("uid")?, lpa_row(&row)?);
        }
        Ok(uids
            .iter()
            .filter_map(|u| found.remove(u).map(|r| (u.clone(), r)))
            .collect())
    }

    pub async fn lock(&self) -> WriteGuard<'_> {
        WriteGuard(self.write_lock.lock().await)
    }

    /// Inserts a new LPA; `false` when the uid exists.
    pub async fn create(
        &self,
        _: &WriteGuard<'_>,
        uid: &str,
        doc: &Value,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO lpas (uid, doc, prev_doc, updated_at) VALUES (?, ?, NULL, ?) ON CONFLICT (uid) DO NOTHING",
        )
        .bind(uid)
        .bind(serde_json::to_string(doc)?)
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(BUMP_WRITES).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces the document, keeps the old one as `prev_doc`, appends to the change log, all in one transaction.
    pub async fn apply(&self, _: &WriteGuard<'_>, entry: Applied<'_>) -> Result<(), Error> {
        let Applied {
            uid,
            prev,
            doc,
            now,
            duplicate,
            ..
        } = entry;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE lpas SET doc = ?, prev_doc = ?, updated_at = ? WHERE uid = ?")
            .bind(serde_json::to_string(doc)?)
            .bind(serde_json::to_string(prev)?)
            .bind(timestamp(now))
            .bind(uid)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO changes (id, uid, applied, author, type, changes) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(uid)
            .bind(timestamp(now))
            .bind(entry.author)
            .bind(entry.kind)
            .bind(serde_json::to_string(entry.changes)?)
            .execute(&mut *tx)
            .await?;
        sqlx::query(BUMP_WRITES).execute(&mut *tx).await?;
        if duplicate {
            sqlx::query(BUMP_DUPLICATE)
                .bind(uid)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Counts a refused duplicate write.
    pub async fn record_duplicate(&self, _: &WriteGuard<'_>, uid: &str) -> Result<(), Error> {
        sqlx::query(BUMP_DUPLICATE)
            .bind(uid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn changes(&self, uid: &str) -> Result<Vec<ChangeLogEntry>, Error> {
        let rows = sqlx::query("SELECT id, uid, applied, author, type, changes FROM changes WHERE uid = ? ORDER BY seq")
            .bind(uid)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let changes: String = r.try_get("changes")?;
                Ok(ChangeLogEntry {
                    id: r.try_get("id")?,
                    uid: r.try_get("uid")?,
                    applied: r.try_get("applied")?,
                    author: r.try_get("author")?,
                    kind: r.try_get("type")?,
                    changes: serde_json::from_str(&changes)?,
                })
            })
            .collect()
    }

    /// Zeroes the persisted counters; with `data`, also forgets every LPA and the change log.
    pub async fn reset(&self, _: &WriteGuard<'_>, data: bool) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM duplicates")
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE counters SET n = 0")
            .execute(&mut *tx)
            .await?;
        if data {
            sqlx::query("DELETE FROM lpas").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM changes").execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn lpa_row(row: &sqlx::sqlite::SqliteRow) -> Result<LpaRow, Error> {
    let doc: String = row.try_get("doc")?;
    let prev: Option<String> = row.try_get("prev_doc")?;
    let updated_at: String = row.try_get("updated_at")?;
    Ok(LpaRow {
        doc: serde_json::from_str(&doc)?,
        prev_doc: prev.map(|p| serde_json::from_str(&p)).transpose()?,
        updated_at: DateTime::parse_from_rfc3339(&updated_at)?.with_timezone(&Utc),
    })
}
