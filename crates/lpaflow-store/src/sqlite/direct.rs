//! The group-commit writer's own SQLite connection, on a thread of its own that runs a whole batch at once.
//!
//! Why not sqlx, as everywhere else: sqlx runs each SQLite connection on a worker thread and hands every
//! statement to it and its rows back, two thread wake-ups per statement. Measured on this machine (issue 18,
//! BENCHMARKS.md): 53-75 µs per trivial statement, against about 1 µs in SQLite; a commit's transaction is
//! ten to twenty statements, so a batch of one commit took 1.08 ms of which SQLite's own work (the WAL write
//! and its fsync) was about 0.35 ms. Here the async side hands the thread one job per batch (every statement,
//! the `BEGIN IMMEDIATE` and the `COMMIT`) and is woken once with its outcome.
//!
//! The connection is the same bundled SQLite as sqlx's (one `libsqlite3-sys`), on the same file, with the same
//! durability settings (WAL, `synchronous=FULL`), but its checkpoints run beside it, on a thread and a
//! connection of their own, its own only a backstop (`checkpointer.rs`). It is only ever used inside the
//! store's write lock, so it never contends with this process's other writers. A job owns everything it binds
//! (it runs on another thread, and the caller may stop waiting).

use super::checkpointer::{CheckpointPolicy, Checkpointer};
use crate::Error;
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::oneshot;

/// A batch of statements to run on the writer's connection.
type Job = Box<dyn FnOnce(&mut rusqlite::Connection) + Send>;

/// How long a write waits for another process's write on the same file, on every connection (the pool's too).
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The most prepared statements the writer keeps: every statement it runs, each chunk size of the chunked
/// ones (`values.rs`: six statements in four sizes, and thirteen others) fits.
const STATEMENT_CACHE: usize = 48;

/// The writer's thread and its connection. Dropping it ends the thread once the job in progress is done and
/// closes the connection; [`DirectWriter::close`] also waits for that.
#[derive(Debug)]
pub(crate) struct DirectWriter {
    jobs: mpsc::Sender<Job>,
    closed: oneshot::Receiver<()>,
}

impl DirectWriter {
    /// Opens `path` (which must exist: the pool created and migrated it) on a new thread, with a page cache
    /// of `cache_kib` KiB, its WAL copied back beside it (`checkpointer.rs`).
    pub(crate) async fn open(path: &str, cache_kib: u64) -> Result<Self, Error> {
        Self::open_with(path, cache_kib, CheckpointPolicy::default()).await
    }

    /// [`DirectWriter::open`], the WAL copied back as `policy` says.
    pub(crate) async fn open_with(
        path: &str,
        cache_kib: u64,
        policy: CheckpointPolicy,
    ) -> Result<Self, Error> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (opened_tx, opened) = oneshot::channel();
        let (closed_tx, closed) = oneshot::channel();
        let path = path.to_owned();
        std::thread::Builder::new()
            .name("lpaflow-sqlite-writer".into())
            .spawn(move || {
                let started = connect(&path, cache_kib, policy.writer_backstop_pages)
                    .and_then(|conn| Ok((conn, Checkpointer::start(&path, policy.delay)?)));
                match started {
                    Ok((conn, checkpointer)) => {
                        if opened_tx.send(Ok(())).is_ok() {
                            serve(conn, &queue, &checkpointer);
                        }
                        checkpointer.stop();
                        let _ = closed_tx.send(());
                    }
                    Err(e) => {
                        let _ = opened_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| Error::Writer(format!("cannot start its thread: {e}")))?;
        opened.await.map_err(|_| Error::ShuttingDown)??;
        Ok(Self { jobs, closed })
    }

    /// Runs `job` on the writer's connection and answers its result. A job that panics answers an error (its
    /// transaction, dropped while unwinding, rolls back) and the thread goes on.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut rusqlite::Connection) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |conn| {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn)))
                    .unwrap_or_else(|panic| Err(Error::Writer(panic_message(&*panic))));
                let _ = tx.send(result);
            }))
            .map_err(|_| Error::ShuttingDown)?;
        rx.await.map_err(|_| Error::ShuttingDown)?
    }

    /// Ends the thread after the job in progress and waits until the connection is closed.
    pub(crate) async fn close(self) {
        drop(self.jobs);
        let _ = self.closed.await;
    }
}

/// What a panic said, as far as it said it in text.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let said = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    format!("a batch panicked: {said}")
}

/// Runs the jobs sent to the writer, one after another, until every sender is gone, then closes the connection.
fn serve(mut conn: rusqlite::Connection, queue: &mpsc::Receiver<Job>, checkpointer: &Checkpointer) {
    while let Ok(job) = queue.recv() {
        job(&mut conn);
        checkpointer.wrote();
    }
}

/// The writer's connection: the pool's settings that matter to a writer, and SQLite's own checkpoints only past
/// `backstop_pages` (`checkpointer.rs`).
fn connect(path: &str, cache_kib: u64, backstop_pages: u32) -> Result<rusqlite::Connection, Error> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(Error::sqlite("open the writer's connection"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(Error::sqlite("set the writer's busy timeout"))?;
    for (name, value) in [
        ("journal_mode", "WAL".to_owned()),
        ("synchronous", "FULL".to_owned()),
        // Checkpoints run beside the writer; its own are the backstop (`checkpointer.rs`).
        ("wal_autocheckpoint", backstop_pages.to_string()),
        ("foreign_keys", "OFF".to_owned()),
        ("temp_store", "MEMORY".to_owned()),
        // Negative: a size in KiB rather than in pages.
        ("cache_size", format!("-{cache_kib}")),
    ] {
        conn.pragma_update(None, name, &value)
            .map_err(Error::sqlite("configure the writer's connection"))?;
    }
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_writer_connection_is_durable_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("direct.db");
        rusqlite::Connection::open(&path).unwrap();
        let writer = DirectWriter::open(path.to_str().unwrap(), 3 * 1024)
            .await
            .unwrap();
        let (journal, synchronous, cache, autocheckpoint): (String, i64, i64, i64) = writer
            .run(|c| {
                let get = |p: &str| format!("PRAGMA {p}");
                let journal = c.query_row(&get("journal_mode"), [], |r| r.get(0));
                let synchronous = c.query_row(&get("synchronous"), [], |r| r.get(0));
                let cache = c.query_row(&get("cache_size"), [], |r| r.get(0));
                let autocheckpoint = c.query_row(&get("wal_autocheckpoint"), [], |r| r.get(0));
                Ok((
                    journal.unwrap(),
                    synchronous.unwrap(),
                    cache.unwrap(),
                    autocheckpoint.unwrap(),
                ))
            })
            .await
            .unwrap();
        assert_eq!(journal, "wal");
        assert_eq!(synchronous, 2, "FULL: a commit survives power loss");
        assert_eq!(cache, -3 * 1024);
        assert_eq!(
            autocheckpoint,
            i64::from(super::super::checkpointer::BACKSTOP_PAGES),
            "the backstop only: checkpoints run beside the writer"
        );
        writer.close().await;
    }

    #[tokio::test]
    async fn a_failing_statement_names_what_the_store_was_doing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("direct.db");
        rusqlite::Connection::open(&path).unwrap();
        let writer = DirectWriter::open(path.to_str().unwrap(), 1024)
            .await
            .unwrap();
        let e = writer
            .run(|c| {
                c.execute("INSERT INTO missing VALUES (1)", [])
                    .map_err(Error::sqlite("insert into nothing"))
            })
            .await
            .unwrap_err();
        assert!(e.to_string().contains("insert into nothing"), "{e}");
        // The thread is still there for the next job.
        assert_eq!(writer.run(|_| Ok(7)).await.unwrap(), 7);
        writer.close().await;
    }

    #[tokio::test]
    async fn a_batch_that_panics_is_an_error_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("direct.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute("CREATE TABLE t (x)", [])
            .unwrap();
        let writer = DirectWriter::open(path.to_str().unwrap(), 1024)
            .await
            .unwrap();
        let e = writer
            .run(|c| -> Result<(), Error> {
                let tx = c.transaction().unwrap();
                tx.execute("INSERT INTO t VALUES (1)", []).unwrap();
                panic!("a bug");
            })
            .await
            .unwrap_err();
        assert!(matches!(&e, Error::Writer(m) if m.contains("a bug")), "{e}");
        let rows: i64 = writer
            .run(|c| {
                Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .unwrap())
            })
            .await
            .unwrap();
        assert_eq!(rows, 0, "the panicking batch's transaction rolled back");
        writer.close().await;
    }

    #[tokio::test]
    async fn a_missing_file_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.db");
        assert!(
            DirectWriter::open(path.to_str().unwrap(), 1024)
                .await
                .is_err()
        );
        assert!(!path.exists());
    }
}
