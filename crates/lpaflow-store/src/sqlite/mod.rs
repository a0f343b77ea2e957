//! The SQLite backend: one file in WAL mode with `synchronous=FULL`, so an acknowledged commit survives power
//! loss. Writes of many commits share one transaction (see `commit.rs`). The rows every commit writes
//! (instances, history, outbox, step completions) go as bound multi-row `VALUES` in fixed chunk sizes
//! (`values.rs`); the rarer batches (timers, labels, search terms, idempotency marks) as one JSON parameter expanded by
//! `json_each`. Either way every statement has one of a few constant texts and stays prepared.

mod checkpointer;
mod commit;
mod direct;
mod list;
mod log;
mod misc;
mod nodes;
mod outbox;
mod read;
mod reindex;
mod reveals;
mod rows;
pub(crate) use reveals::seq_column;
mod sessions;
mod timers;
mod values;

use crate::Error;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// A SQLite database.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    pub(crate) pool: SqlitePool,
    /// Every write transaction of this process takes it first. SQLite has one writer at a time; without this,
    /// two of our connections contending for the lock would find it busy and sleep in SQLite's busy handler
    /// (1, 2, 5, 10 ms ...). With it, they queue in order and the next starts the moment the last commits.
    /// (Other processes on the same file still meet the busy timeout.)
    ///
    /// It holds the connection commits and step reports (the group-commit writer's two kinds of batch) are
    /// written on, opened when first needed (`writer`): always the same one, so its page cache stays valid
    /// from one batch to the next (SQLite drops a connection's cache whenever another connection wrote; the
    /// pool hands out its idle connections in turn, so every batch used to read back from the file the pages
    /// the last one wrote, issue 18's profile). It is not one of sqlx's but our own, on a thread of its own
    /// that runs a whole batch per hand-off (`direct.rs` says why). Rarer writes take the lock and use the
    /// pool.
    pub(crate) write_lock: std::sync::Arc<tokio::sync::Mutex<Option<direct::DirectWriter>>>,
    /// The page cache of the writer's connection, KiB: [`WRITER_CACHE_MIB`] at most.
    writer_cache_kib: u64,
    /// Opened read-only: the writer's connection is never opened.
    read_only: bool,
}

/// The most MiB of pages the writer's connection keeps. A batch touches few pages (the tables' and indexes'
/// latest leaves, the instances it updates, the interior pages above them), and a kept connection's cache,
/// never emptied by another's writes, fills to its bound with pages no batch reads again (in `bench workload`
/// it reached 16 MiB within two seconds). Measured (BENCHMARKS.md, issue 18): with the batch on the writer's
/// own connection a page read back comes from the operating system's cache in one `pread`, and 4 MiB kept the
/// throughput of 16 MiB in `bench api`, `bench store` and `bench workload` while taking 12 MB off the
/// workload's peak memory (fifth session); through sqlx, 8 MiB had cost `bench api` 14 % (third session).
pub const WRITER_CACHE_MIB: u32 = 4;

impl SqliteDb {
    /// Opens (creating if missing) the database file at `path`, each connection caching up to `cache_mib`
    /// MiB of pages. `read_only` opens an existing file only, changing nothing in it (not even its journal
    /// mode): what an auditor's tool must do.
    pub async fn open(
        path: &str,
        max_connections: u32,
        cache_mib: u32,
        read_only: bool,
    ) -> Result<Self, Error> {
        if read_only && !std::path::Path::new(path).is_file() {
            return Err(Error::NoDatabase(format!("sqlite://{path}")));
        }
        let options =
            SqliteConnectOptions::from_str(&format!("sqlite://{path}")).map_err(|source| {
                Error::Connect {
                    url: format!("sqlite://{path}"),
                    source,
                }
            })?;
        let options = if read_only {
            options.read_only(true).create_if_missing(false)
        } else {
            options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
        };
        let options = options
            .busy_timeout(direct::BUSY_TIMEOUT)
            .foreign_keys(false)
            // Negative: a size in KiB rather than in pages.
            .pragma(
                "cache_size",
                format!("-{}", u64::from(cache_mib.max(1)) * 1024),
            )
            .pragma("temp_store", "memory")
            // SQLite's own checkpoints only as a backstop (`checkpointer.rs`), as on the writer's connection.
            .pragma(
                "wal_autocheckpoint",
                checkpointer::BACKSTOP_PAGES.to_string(),
            )
            .statement_cache_capacity(256);
        // No ping before each acquire: a SQLite connection is a handle on a file in this process, with no
        // peer to lose, and the ping was a round trip to the connection's worker thread on every read and every
        // commit (issue 18's profile: 2.3 % of the API's CPU). A failing statement still fails its query.
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(2))
            .min_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|source| Error::Connect {
                url: format!("sqlite://{path}"),
                source,
            })?;
        Ok(Self {
            pool,
            write_lock: std::sync::Arc::new(tokio::sync::Mutex::new(None)),
            writer_cache_kib: u64::from(cache_mib.clamp(1, WRITER_CACHE_MIB)) * 1024,
            read_only,
        })
    }

    /// Applies the migrations in `migrations/sqlite`.
    pub async fn migrate(&self) -> Result<(), Error> {
        sqlx::migrate!("../../migrations/sqlite")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    /// The versions of `migrations/sqlite` not applied to this database.
    pub async fn missing_migrations(&self) -> Result<Vec<i64>, Error> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await
                .unwrap_or_default();
        Ok(sqlx::migrate!("../../migrations/sqlite")
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect())
    }

    /// SQLite has no roles: nothing to grant.
    pub async fn grant_serving_role(&self, _role: &str) -> Result<(), Error> {
        Err(Error::UnsupportedUrl(
            "sqlite (database roles exist only on PostgreSQL)".to_owned(),
        ))
    }

    /// Whoever can write the file can change anything in it: always true.
    pub async fn can_alter_history(&self) -> Result<bool, Error> {
        Ok(true)
    }

    /// A trivial query, to prove the database answers.
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(Error::db("ping"))?;
        Ok(())
    }

    /// Closes every connection (the writer's first, waiting for a write in progress; the lock is held until
    /// the pool is closed, so no write waiting for it opens another).
    pub async fn close(&self) {
        let mut writer = self.write_lock.lock().await;
        if let Some(direct) = writer.take() {
            direct.close().await;
        }
        self.pool.close().await;
    }

    /// Runs `job` on the connection commits and step reports are written on, inside the write lock, in a task
    /// of its own: if the caller stops waiting, the job still finishes before the lock is released (no other
    /// write of this process then meets it in SQLite's busy handler). A failed job closes the connection; the
    /// next write opens a fresh one.
    pub(crate) async fn on_writer<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut rusqlite::Connection) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let db = self.clone();
        tokio::spawn(async move {
            let mut slot = db.write_lock.lock().await;
            let result = db.writer(&mut slot).await?.run(job).await;
            if result.is_err()
                && let Some(failed) = slot.take()
            {
                failed.close().await;
            }
            result
        })
        .await
        .map_err(|e| Error::Writer(format!("its task ended: {e}")))?
    }

    /// The writer's connection, from `slot` (the write lock's content, so the caller holds the lock), opened on
    /// the pool's file if `slot` has none.
    pub(crate) async fn writer<'s>(
        &self,
        slot: &'s mut Option<direct::DirectWriter>,
    ) -> Result<&'s direct::DirectWriter, Error> {
        if self.read_only {
            return Err(Error::Sqlite {
                op: "open the writer's connection",
                source: rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
                    Some("the store was opened read-only".to_owned()),
                ),
            });
        }
        if slot.is_none() {
            // The file the pool has open, as SQLite names it (the URL's path may be relative or encoded).
            let file: String =
                sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(Error::db("find the database file"))?;
            if file.is_empty() {
                return Err(Error::UnsupportedUrl(
                    "an in-memory SQLite database (the group-commit writer needs a file)"
                        .to_owned(),
                ));
            }
            *slot = Some(direct::DirectWriter::open(&file, self.writer_cache_kib).await?);
        }
        slot.as_ref().ok_or(Error::ShuttingDown)
    }
}

#[cfg(test)]
mod tests {
    use super::SqliteDb;
    use crate::Error;

    #[tokio::test]
    async fn every_connection_gets_the_page_cache_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let db = SqliteDb::open(path.to_str().unwrap(), 2, 3, false)
            .await
            .unwrap();
        let (a, b) = (
            db.pool.acquire().await.unwrap(),
            db.pool.acquire().await.unwrap(),
        );
        for mut conn in [a, b] {
            let size: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(size, -3 * 1024, "3 MiB, as KiB");
            let backstop: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(backstop, i64::from(super::checkpointer::BACKSTOP_PAGES));
        }
    }

    #[tokio::test]
    async fn the_writer_keeps_one_connection_with_a_bounded_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("writer.db");
        let db = SqliteDb::open(path.to_str().unwrap(), 2, 64, false)
            .await
            .unwrap();
        let mut slot = db.write_lock.lock().await;
        let writer = db.writer(&mut slot).await.unwrap();
        let size: i64 = writer
            .run(|c| {
                c.execute("CREATE TEMP TABLE mark (x)", []).unwrap();
                Ok(c.query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap())
            })
            .await
            .unwrap();
        assert_eq!(size, -i64::from(super::WRITER_CACHE_MIB) * 1024);
        // The next write finds the same connection (its temporary table is there).
        let again = db.writer(&mut slot).await.unwrap();
        let marks: i64 = again
            .run(|c| {
                Ok(
                    c.query_row("SELECT count(*) FROM temp.mark", [], |r| r.get(0))
                        .unwrap(),
                )
            })
            .await
            .unwrap();
        assert_eq!(marks, 0);
        drop(slot);
        db.close().await;
    }

    #[tokio::test]
    async fn a_failed_write_closes_the_writer_and_the_next_opens_a_fresh_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reopen.db");
        let db = SqliteDb::open(path.to_str().unwrap(), 2, 8, false)
            .await
            .unwrap();
        let failed = db
            .on_writer(|c| -> Result<(), Error> {
                c.execute("CREATE TEMP TABLE mark (x)", [])
                    .map_err(Error::sqlite("mark the connection"))?;
                Err(Error::Writer("failed on purpose".to_owned()))
            })
            .await;
        assert!(failed.is_err());
        assert!(db.write_lock.lock().await.is_none(), "closed");
        let marks: i64 = db
            .on_writer(|c| {
                c.query_row(
                    "SELECT count(*) FROM sqlite_temp_master WHERE name = 'mark'",
                    [],
                    |r| r.get(0),
                )
                .map_err(Error::sqlite("look for the mark"))
            })
            .await
            .unwrap();
        assert_eq!(
            marks, 0,
            "a fresh connection, without the failed one's table"
        );
        db.close().await;
    }

    #[tokio::test]
    async fn a_store_opened_read_only_never_opens_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("read-only.db");
        let file = path.to_str().unwrap();
        let db = SqliteDb::open(file, 2, 8, false).await.unwrap();
        db.migrate().await.unwrap();
        db.close().await;
        let db = SqliteDb::open(file, 2, 8, true).await.unwrap();
        let e = db.on_writer(|_| Ok(())).await.unwrap_err();
        assert_eq!(e.failure(), crate::Failure::ReadOnly, "{e}");
        db.close().await;
    }
}
