//! The WAL's checkpoints, on a thread and a connection of their own, so that the group-commit writer never runs
//! one inside a commit.
//!
//! A checkpoint copies the pages the WAL holds back into the database file, so that the WAL can start over.
//! By default SQLite runs one inside whichever commit takes the WAL past 1,000 pages: on the writer's
//! connection, every commit of that transaction then waited for a few megabytes of copying and the database
//! file's `fsync` (a fifth of the writer thread's CPU in `bench store`, issue 18). A checkpoint takes no write
//! lock: in `PASSIVE` mode it copies what no reader still needs, beside the writer and the readers, and waits
//! for neither. So the writer's connection has automatic checkpoints off and, after each transaction, wakes
//! this thread, which lets [`CHECKPOINT_DELAY`] of transactions land and then checkpoints all of them at once.
//!
//! Durability is unchanged: a commit is durable when its own `COMMIT` has synced its WAL frames
//! (`synchronous=FULL`); a checkpoint moves pages that are already durable, and syncs the WAL before and the
//! database file after copying (this connection is `synchronous=FULL` too), as SQLite's own checkpoints do.
//! The other connections (the pool's) keep SQLite's automatic checkpoints: a process that never opens the
//! writer still has its WAL copied back.

use crate::Error;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the checkpointer waits, once woken by a transaction, before checkpointing: the transactions of
/// that time share one checkpoint (and its two `fsync`s). Measured in issue 18 (BENCHMARKS.md, ninth session).
pub(crate) const CHECKPOINT_DELAY: Duration = Duration::from_millis(20);

/// The checkpointer's thread. [`Checkpointer::wrote`] wakes it; [`Checkpointer::stop`] ends it after a last
/// checkpoint of what was written.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    /// Holds one wake-up at most: more, while one waits, say nothing new.
    wake: mpsc::SyncSender<()>,
    thread: JoinHandle<()>,
}

impl Checkpointer {
    /// Opens a connection on the database file at `path` (which must exist) and starts the thread.
    pub(crate) fn start(path: &str, delay: Duration) -> Result<Self, Error> {
        let conn = connect(path)?;
        let (wake, woken) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("lpaflow-sqlite-checkpointer".into())
            .spawn(move || run(&conn, &woken, delay))
            .map_err(|e| Error::Writer(format!("cannot start the checkpointer's thread: {e}")))?;
        Ok(Self { wake, thread })
    }

    /// Says that a transaction was written: a checkpoint follows within the delay.
    pub(crate) fn wrote(&self) {
        // Full: a wake-up is already waiting. Disconnected cannot be: the thread ends only once this sender
        // is dropped.
        let _ = self.wake.try_send(());
    }

    /// Ends the thread, after a last checkpoint if anything was written since the one before, and closes its
    /// connection.
    pub(crate) fn stop(self) {
        drop(self.wake);
        self.thread.thread().unpark();
        if self.thread.join().is_err() {
            tracing::warn!("the SQLite checkpointer's thread panicked");
        }
    }
}

/// Waits for a transaction, lets the delay's worth land, and checkpoints them, until the writer is gone.
fn run(conn: &rusqlite::Connection, woken: &mpsc::Receiver<()>, delay: Duration) {
    let mut last_problem = None;
    while woken.recv().is_ok() {
        wait_out(woken, delay);
        checkpoint(conn, &mut last_problem);
    }
}

/// Sleeps until `delay` has passed or the writer is gone, taking the wake-ups that come meanwhile (the
/// checkpoint that follows covers their transactions). The writer's wake-ups do not interrupt the sleep (one
/// wake-up per transaction would cost a context switch each); [`Checkpointer::stop`] does.
fn wait_out(woken: &mpsc::Receiver<()>, delay: Duration) {
    let deadline = Instant::now() + delay;
    loop {
        match woken.try_recv() {
            Ok(()) => continue,
            Err(mpsc::TryRecvError::Disconnected) => return,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::park_timeout(deadline - now);
    }
}

/// One `PASSIVE` checkpoint. A failure is logged once (until the next different one or a success): the next
/// transaction tries again, and SQLite's WAL stays correct, only longer.
fn checkpoint(conn: &rusqlite::Connection, last_problem: &mut Option<String>) {
    let outcome = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match outcome {
        Ok((frames, copied)) => {
            metrics::gauge!("lpaflow_sqlite_wal_frames").set(frames as f64);
            metrics::gauge!("lpaflow_sqlite_wal_frames_not_copied").set((frames - copied) as f64);
            *last_problem = None;
        }
        Err(e) => {
            let problem = e.to_string();
            if last_problem.as_deref() != Some(problem.as_str()) {
                tracing::warn!(error = %problem, "a checkpoint of the SQLite WAL failed; the next transaction tries again");
            }
            *last_problem = Some(problem);
        }
    }
}

/// The checkpointer's connection: `synchronous=FULL`, so a checkpoint syncs the WAL before copying it and the
/// database file before the WAL can start over.
fn connect(path: &str) -> Result<rusqlite::Connection, Error> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(Error::sqlite("open the checkpointer's connection"))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(Error::sqlite("configure the checkpointer's connection"))?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::direct::DirectWriter;
    use std::path::Path;

    const ROUNDS: usize = 6;
    /// Rows of 4 KiB a round writes, one per transaction: 1 MiB.
    const ROWS_PER_ROUND: usize = 256;

    fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    /// The frames in the WAL and those copied back into the database file, as the WAL index says (its header's
    /// `mxFrame` at byte 16 and its checkpoint information's `nBackfill` at byte 96, in this machine's byte
    /// order: <https://www.sqlite.org/walformat.html>), read without a connection, which could checkpoint.
    fn wal_index(shm: &Path) -> (u32, u32) {
        let bytes = std::fs::read(shm).unwrap_or_default();
        let word = |at: usize| {
            bytes
                .get(at..at + 4)
                .map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        };
        (word(16), word(96))
    }

    /// Waits (at most a minute: this asserts that it happens, not how soon) until `done` holds.
    async fn eventually(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(Instant::now() < deadline, "{what} never happened");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn the_writers_pages_reach_the_database_file_and_the_wal_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoints.db");
        let shm = dir.path().join("checkpoints.db-shm");
        let setup = rusqlite::Connection::open(&path).unwrap();
        setup
            .execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE blobs (b BLOB);")
            .unwrap();
        // Stays open, as the pool's connections do: the WAL is never deleted, only started over.
        let writer = DirectWriter::open(path.to_str().unwrap(), 1024)
            .await
            .unwrap();
        let (mut last_frames, mut started_over) = (0, 0);
        for round in 1..=ROUNDS {
            for _ in 0..ROWS_PER_ROUND {
                writer
                    .run(|c| {
                        c.execute("INSERT INTO blobs VALUES (zeroblob(4096))", [])
                            .map_err(Error::sqlite("insert a blob"))
                    })
                    .await
                    .unwrap();
            }
            let (frames, _) = wal_index(&shm);
            if frames < last_frames {
                started_over += 1;
            }
            last_frames = frames;
            // Nothing but the checkpointer copies pages into the file: the writer's automatic checkpoints are
            // off and no other connection writes.
            eventually("a checkpoint of every transaction of the round", || {
                let (frames, copied) = wal_index(&shm);
                frames > 0 && copied == frames
            })
            .await;
            assert!(size(&path) >= (round * ROWS_PER_ROUND * 4096) as u64);
        }
        // Once everything is copied, the next transaction starts the WAL over, unless it begins while the
        // checkpoint still holds its locks (a race this test does not control): at least once in five rounds.
        assert!(started_over > 0, "the WAL never started over");
        writer.close().await;
        drop(setup);
    }

    #[test]
    fn its_connection_syncs_what_it_copies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sync.db");
        rusqlite::Connection::open(&path).unwrap();
        let conn = connect(path.to_str().unwrap()).unwrap();
        let synchronous: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "FULL");
    }

    #[test]
    fn stopping_checkpoints_what_was_written_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE blobs (b BLOB);",
        )
        .unwrap();
        let before = size(&path);
        // A delay longer than any test: only stopping can make this checkpoint happen now.
        let checkpointer =
            Checkpointer::start(path.to_str().unwrap(), Duration::from_secs(3600)).unwrap();
        conn.execute("INSERT INTO blobs VALUES (zeroblob(65536))", [])
            .unwrap();
        checkpointer.wrote();
        let started = Instant::now();
        checkpointer.stop();
        assert!(size(&path) >= before + 65536, "copied when stopped");
        assert!(started.elapsed() < Duration::from_secs(3600));
    }
}
