//! The simulator's durable store: SQLite (WAL) through sqlx runtime queries. It plays the store's two
//! DynamoDB tables: LPAs by uid, kept as the `Lpa` JSON Go would write, and the change log keyed by
//! `(uid, applied)` with `applied` to the second, so a second update of the same LPA within one second
//! replaces the first's row as DynamoDB's `Put` does (`internal/ddb/client.go`, `PutChanges`). The LPA and
//! its change-log row are written in one transaction, like the store's `TransactWriteItems`.
//!
//! Writes are read-check-write, so they are serialised by one async mutex held across the check and the
//! commit: a [`WriteGuard`] must be shown to every write method. Reads go straight to the pool. The database
//! is the only source of truth, so a restarted simulator on the same file keeps LPAs, change log and
//! counters.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use lpaflow_lpa::lpa_store::{ChangeLogEntry, Lpa};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use tokio::sync::{Mutex, MutexGuard};

use super::stats::WriteCounts;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS store_lpas (
    uid TEXT PRIMARY KEY NOT NULL,
    lpa TEXT NOT NULL,
    previous TEXT,
    written_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS store_changes (
    uid TEXT NOT NULL,
    applied TEXT NOT NULL,
    id TEXT NOT NULL,
    author TEXT NOT NULL,
    type TEXT NOT NULL,
    changes TEXT NOT NULL,
    PRIMARY KEY (uid, applied)
);
CREATE TABLE IF NOT EXISTS duplicates (uid TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL);
INSERT OR IGNORE INTO counters (name, n) VALUES ('writes_applied', 0);
INSERT OR IGNORE INTO counters (name, n) VALUES ('writes_acknowledged_not_applied', 0);
INSERT OR IGNORE INTO counters (name, n) VALUES ('writes_applied_differently', 0);
";

/// A persisted counter.
#[derive(Debug, Clone, Copy)]
pub enum WriteCounter {
    Applied,
    AcknowledgedNotApplied,
    AppliedDifferently,
}

impl WriteCounter {
    fn name(self) -> &'static str {
        match self {
            WriteCounter::Applied => "writes_applied",
            WriteCounter::AcknowledgedNotApplied => "writes_acknowledged_not_applied",
            WriteCounter::AppliedDifferently => "writes_applied_differently",
        }
    }
}

const BUMP: &str = "UPDATE counters SET n = n + 1 WHERE name = ?";
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

/// One stored LPA: now, before its last write (served by `staleReads`), and when the simulator wrote it.
#[derive(Debug, Clone)]
pub struct LpaRow {
    pub lpa: Lpa,
    pub previous: Option<Lpa>,
    pub written_at: DateTime<Utc>,
}

/// One applied update: the LPA before and after, its change-log row, whether it was a duplicate.
pub struct Applied<'a> {
    pub previous: &'a Lpa,
    pub lpa: &'a Lpa,
    pub entry: &'a ChangeLogEntry,
    pub duplicate: bool,
    pub differently: bool,
    pub now: DateTime<Utc>,
}

/// How a create is stored.
#[derive(Debug, Clone, Copy)]
pub struct CreateWrite {
    /// Also counted as altered (`applyDifferentlyRate`).
    pub differently: bool,
    /// Stored over an existing LPA the store's lagging read missed.
    pub over_unseen: bool,
    pub now: DateTime<Utc>,
}

/// Proof that the caller holds the write lock.
pub struct WriteGuard<'a>(#[allow(dead_code)] MutexGuard<'a, ()>);

pub struct Store {
    pool: SqlitePool,
    write_lock: Mutex<()>,
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Store {
    pub async fn open(path: &Path, connections_max: u32) -> Result<Self, Error> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Durable across a process crash; a power cut may lose the last transactions, acceptable for a
            // simulator and much faster.
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

    /// Persisted counters: writes and duplicates per uid.
    pub async fn load_stats(&self) -> Result<(WriteCounts, HashMap<String, u64>), Error> {
        let mut writes = WriteCounts::default();
        for row in sqlx::query("SELECT name, n FROM counters")
            .fetch_all(&self.pool)
            .await?
        {
            let name: String = row.try_get("name")?;
            let n = u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0);
            match name.as_str() {
                "writes_applied" => writes.applied = n,
                "writes_acknowledged_not_applied" => writes.acknowledged_not_applied = n,
                "writes_applied_differently" => writes.applied_differently = n,
                _ => {}
            }
        }
        let rows = sqlx::query("SELECT uid, n FROM duplicates")
            .fetch_all(&self.pool)
            .await?;
        let mut dups = HashMap::with_capacity(rows.len());
        for row in rows {
            let n: i64 = row.try_get("n")?;
            dups.insert(row.try_get("uid")?, u64::try_from(n).unwrap_or(0));
        }
        Ok((writes, dups))
    }

    pub async fn get(&self, uid: &str) -> Result<Option<LpaRow>, Error> {
        let row = sqlx::query("SELECT lpa, previous, written_at FROM store_lpas WHERE uid = ?")
            .bind(uid)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| lpa_row(&r)).transpose()
    }

    /// The stored LPAs among `uids`, in the order asked (unknown ones left out).
    pub async fn get_many(&self, uids: &[String]) -> Result<Vec<LpaRow>, Error> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; uids.len()].join(",");
        let sql =
            format!("SELECT uid, lpa, previous, written_at FROM store_lpas WHERE uid IN ({marks})");
        let mut query = sqlx::query(&sql);
        for uid in uids {
            query = query.bind(uid);
        }
        let mut found: HashMap<String, LpaRow> = HashMap::new();
        for row in query.fetch_all(&self.pool).await? {
            found.insert(row.try_get("uid")?, lpa_row(&row)?);
        }
        Ok(uids.iter().filter_map(|u| found.remove(u)).collect())
    }

    pub async fn lock(&self) -> WriteGuard<'_> {
        WriteGuard(self.write_lock.lock().await)
    }

    /// Inserts a new LPA; `false` when the uid exists, unless `write.over_unseen` (the store's create put
    /// over an LPA its lagging read missed: the old one becomes `previous`, and the write counts as a
    /// duplicate).
    pub async fn create(
        &self,
        _: &WriteGuard<'_>,
        lpa: &Lpa,
        write: CreateWrite,
    ) -> Result<bool, Error> {
        let mut tx = self.pool.begin().await?;
        let sql = if write.over_unseen {
            "INSERT INTO store_lpas (uid, lpa, previous, written_at) VALUES (?, ?, NULL, ?)
             ON CONFLICT (uid) DO UPDATE SET lpa = excluded.lpa, previous = store_lpas.lpa,
             written_at = excluded.written_at"
        } else {
            "INSERT INTO store_lpas (uid, lpa, previous, written_at) VALUES (?, ?, NULL, ?) ON CONFLICT (uid) DO NOTHING"
        };
        let inserted = sqlx::query(sql)
            .bind(&lpa.uid)
            .bind(serde_json::to_string(lpa)?)
            .bind(timestamp(write.now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        bump(&mut tx, WriteCounter::Applied).await?;
        if write.differently {
            bump(&mut tx, WriteCounter::AppliedDifferently).await?;
        }
        if write.over_unseen {
            sqlx::query(BUMP_DUPLICATE)
                .bind(&lpa.uid)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces the LPA (keeping the old one as `previous`) and puts its change-log row, in one transaction.
    pub async fn apply(&self, _: &WriteGuard<'_>, applied: Applied<'_>) -> Result<(), Error> {
        let entry = applied.entry;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE store_lpas SET lpa = ?, previous = ?, written_at = ? WHERE uid = ?")
            .bind(serde_json::to_string(applied.lpa)?)
            .bind(serde_json::to_string(applied.previous)?)
            .bind(timestamp(applied.now))
            .bind(&entry.uid)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO store_changes (uid, applied, id, author, type, changes) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (uid, applied) DO UPDATE SET id = excluded.id, author = excluded.author,
             type = excluded.type, changes = excluded.changes",
        )
        .bind(&entry.uid)
        .bind(&entry.applied)
        .bind(&entry.id)
        .bind(&entry.author)
        .bind(&entry.kind)
        .bind(serde_json::to_string(&entry.changes)?)
        .execute(&mut *tx)
        .await?;
        bump(&mut tx, WriteCounter::Applied).await?;
        if applied.differently {
            bump(&mut tx, WriteCounter::AppliedDifferently).await?;
        }
        if applied.duplicate {
            sqlx::query(BUMP_DUPLICATE)
                .bind(&entry.uid)
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

    /// Counts a write answered but not stored.
    pub async fn record_acknowledged_not_applied(&self, _: &WriteGuard<'_>) -> Result<(), Error> {
        sqlx::query(BUMP)
            .bind(WriteCounter::AcknowledgedNotApplied.name())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The change log, newest first (`ScanIndexForward: false` on the `applied` sort key).
    pub async fn changes(&self, uid: &str) -> Result<Vec<ChangeLogEntry>, Error> {
        let rows = sqlx::query(
            "SELECT id, uid, applied, author, type, changes FROM store_changes WHERE uid = ? ORDER BY applied DESC",
        )
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
            sqlx::query("DELETE FROM store_lpas")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM store_changes")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn bump(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    counter: WriteCounter,
) -> Result<(), Error> {
    sqlx::query(BUMP)
        .bind(counter.name())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn lpa_row(row: &sqlx::sqlite::SqliteRow) -> Result<LpaRow, Error> {
    let lpa: String = row.try_get("lpa")?;
    let previous: Option<String> = row.try_get("previous")?;
    let written_at: String = row.try_get("written_at")?;
    Ok(LpaRow {
        lpa: serde_json::from_str(&lpa)?,
        previous: previous.map(|p| serde_json::from_str(&p)).transpose()?,
        written_at: DateTime::parse_from_rfc3339(&written_at)?.with_timezone(&Utc),
    })
}
