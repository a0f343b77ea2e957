//! The WAL's checkpoints, on a thread and a connection of their own, so that the group-commit writer does not
//! run them inside its commits.
//!
//! A checkpoint copies the pages the WAL holds back into the database file, so that the WAL can start over.
//! By default SQLite runs one after every commit that leaves the WAL at 1,000 pages or more: on the writer's
//! connection, every commit of that transaction then waited for a few megabytes of copying and the database
//! file's `fsync` (a fifth of the writer thread's CPU in `bench store`, issue 18). A checkpoint takes no write
//! lock: in `PASSIVE` mode it copies what no reader still needs, beside the writer and the readers, and waits
//! for neither. So, after each transaction, the writer wakes this thread, which lets [`CHECKPOINT_DELAY`] of
//! transactions land and then checkpoints all of them at once.
//!
//! The WAL only starts over when a transaction begins with every page copied (and no read transaction still
//! uses it), and under sustained load a commit lands during nearly every checkpoint: the copying keeps up, but
//! the WAL would only grow. So every connection of the store, the writer's and the pool's, keeps SQLite's own
//! checkpoint as a backstop, past [`BACKSTOP_PAGES`] pages instead of 1,000: by then this thread has copied
//! nearly all of them, the backstop copies the rest while its connection holds the write lock, and the next
//! transaction starts the WAL over. (A process that never opens the writer has its WAL copied back by the
//! backstop alone.) Readers can still hold the WAL open, as they could before: that is SQLite's own limit.
//!
//! Durability is unchanged: a commit is durable when its own `COMMIT` has synced its WAL frames
//! (`synchronous=FULL`); a checkpoint moves pages that are already durable, and syncs the WAL before and the
//! database file after copying (on a connection whose `synchronous` is not `OFF`), as SQLite's own do.

use crate::Error;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the checkpointer waits, once woken by a transaction, before checkpointing: the transactions of
/// that time share one checkpoint (and its two `fsync`s). Measured in issue 18 (BENCHMARKS.md, ninth session).
pub(crate) const CHECKPOINT_DELAY: Duration = Duration::from_millis(20);

/// The WAL's length, in pages, past which a connection of the store checkpoints after its commits, as SQLite
/// does by default past 1,000: the backstop that lets the WAL start over under sustained load (40 MB of 4 KiB
/// pages). Below it, only the checkpointer checkpoints.
pub(crate) const BACKSTOP_PAGES: u32 = 10_000;

/// When the writer's WAL is copied back.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CheckpointPolicy {
    /// How long the checkpointer waits, once woken, before checkpointing.
    pub(crate) delay: Duration,
    /// The writer connection's `wal_autocheckpoint`.
    pub(crate) writer_backstop_pages: u32,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        Self {
            delay: CHECKPOINT_DELAY,
            writer_backstop_pages: BACKSTOP_PAGES,
        }
    }
}

/// The checkpointer's thread. [`Checkpointer::wrote`] wakes it; [`Checkpointer::stop`] ends it after a last
/// checkpoint of what was written.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    /// Holds one wake-up at most: more, while one waits, say nothing new.
    wake: mpsc::SyncSender<()>,
    thread: JoinHandle<()>,
    /// Whether the thread was found gone (it panicked) and that was logged.
    gone: std::cell::Cell<bool>,
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
        Ok(Self {
            wake,
            thread,
            gone: std::cell::Cell::new(false),
        })
    }

    /// Says that a transaction was written: a checkpoint follows within the delay.
    pub(crate) fn wrote(&self) {
        // Full: a wake-up is already waiting. Disconnected: the thread panicked; the backstop still copies the
        // WAL back, at the cost of commits that wait for it.
        if let Err(mpsc::TrySendError::Disconnected(())) = self.wake.try_send(())
            && !self.gone.replace(true)
        {
            tracing::warn!(
                "the SQLite checkpointer's thread has ended; the WAL is copied back by the backstop alone"
            );
        }
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

/// One `PASSIVE` checkpoint. Busy (another connection's checkpoint, such as a backstop's, is running) means
/// nothing to do: the next transaction wakes this thread again. A failure is logged once (until the next
/// different one or a success): the next transaction tries again, and SQLite's WAL stays correct, only longer.
fn checkpoint(conn: &rusqlite::Connection, last_problem: &mut Option<String>) {
    let outcome = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
        ))
    });
    match outcome {
        Ok((1, _, _)) => {}
        Ok((_, frames, copied)) => {
            metrics::gauge!("lpaflow_sqlite_wal_frames").set(frames as f64);
            metrics::gauge!("lpaflow_sqlite_wal_frames_not_copied").set((frames - copied) as f64);
            *last_problem = None;
        }
        Err(e) => {
            let problem = e.to_string();
            if last_problem.as_deref() != Some(problem.as_str()) {
                tracing::warn!(
                    error = %problem,
                    "a checkpoint of the SQLite WAL failed; the next transaction tries again"
                );
            }
            *last_problem = Some(problem);
        }
    }
}

/// The checkpointer's connection. Its `synchronous` (FULL, as every connection of the store) makes a checkpoint
/// sync the WAL before copying it and the database file before the WAL can start over: any level but `OFF`
/// would, and `OFF` must never be set here.
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
    /// Bytes of a WAL frame: a page of 4 KiB and its header.
    const FRAME: u64 = 4096 + 24;

    fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    /// What the WAL index says, read without a connection (which could checkpoint), at the offsets of
    /// <https://www.sqlite.org/walformat.html>, in this machine's byte order.
    struct WalIndex {
        /// `mxFrame`: the frames in the WAL.
        frames: u32,
        /// `aSalt[0]`: changes whenever the WAL starts over.
        salt: u32,
        /// `nBackfill`: the frames copied back into the database file.
        copied: u32,
    }

    fn wal_index(shm: &Path) -> WalIndex {
        let bytes = std::fs::read(shm).unwrap_or_default();
        let word = |at: usize| {
            bytes
                .get(at..at + 4)
                .map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        };
        WalIndex {
            frames: word(16),
            salt: word(32),
            copied: word(96),
        }
    }

    /// Waits (at most a minute: this asserts that it happens, not how soon) until `done` holds.
    async fn eventually(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(Instant::now() < deadline, "{what} never happened");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A database file in WAL mode with a table of blobs, and a connection that stays open (as the pool's do:
    /// the WAL is then never deleted, only started over).
    fn blobs(dir: &Path, name: &str) -> (std::path::PathBuf, rusqlite::Connection) {
        let path = dir.join(name);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE blobs (b BLOB);")
            .unwrap();
        (path, conn)
    }

    async fn insert_blobs(writer: &DirectWriter, count: usize) {
        writer
            .run(move |c| {
                let tx = c.transaction().map_err(Error::sqlite("begin"))?;
                for _ in 0..count {
                    tx.execute("INSERT INTO blobs VALUES (zeroblob(4096))", [])
                        .map_err(Error::sqlite("insert a blob"))?;
                }
                tx.commit().map_err(Error::sqlite("commit"))
            })
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_writers_pages_reach_the_database_file_and_the_wal_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _open) = blobs(dir.path(), "checkpoints.db");
        let shm = dir.path().join("checkpoints.db-shm");
        let writer = DirectWriter::open(path.to_str().unwrap(), 1024)
            .await
            .unwrap();
        let mut started_over = 0;
        for round in 1..=ROUNDS {
            let salt = wal_index(&shm).salt;
            for _ in 0..ROWS_PER_ROUND {
                insert_blobs(&writer, 1).await;
            }
            if wal_index(&shm).salt != salt {
                started_over += 1;
            }
            // Below the backstop, nothing but the checkpointer copies pages into the file: no other connection
            // writes.
            eventually("a checkpoint of every transaction of the round", || {
                let index = wal_index(&shm);
                index.frames > 0 && index.copied == index.frames
            })
            .await;
            assert!(size(&path) >= (round * ROWS_PER_ROUND * 4096) as u64);
        }
        // Once everything is copied, the next transaction starts the WAL over, unless it begins while the
        // checkpoint still holds its locks (a race this test does not control): at least once in five gaps.
        assert!(started_over > 0, "the WAL never started over");
        writer.close().await;
    }

    #[tokio::test]
    async fn under_sustained_writes_the_writers_backstop_starts_the_wal_over() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _open) = blobs(dir.path(), "backstop.db");
        let wal = dir.path().join("backstop.db-wal");
        // The checkpointer never wakes within the test: only the backstop copies pages back.
        let policy = CheckpointPolicy {
            delay: Duration::from_secs(3600),
            writer_backstop_pages: 200,
        };
        let writer = DirectWriter::open_with(path.to_str().unwrap(), 1024, policy)
            .await
            .unwrap();
        // 25 transactions of 40 blobs (each on a page of overflow, about eight to a leaf): about 1,200 frames,
        // six times the backstop. The file's size is the WAL's high-water mark (no `journal_size_limit`).
        for _ in 0..25 {
            insert_blobs(&writer, 40).await;
        }
        let longest = size(&wal);
        assert!(
            longest < 2 * 200 * FRAME + 2 * 40 * 2 * FRAME,
            "the WAL started over past the backstop: {longest} bytes"
        );
        writer.close().await;
    }

    #[test]
    fn stopping_checkpoints_what_was_written_last_without_waiting_for_the_delay() {
        let dir = tempfile::tempdir().unwrap();
        let (path, conn) = blobs(dir.path(), "last.db");
        conn.execute_batch("PRAGMA wal_autocheckpoint=0").unwrap();
        let before = size(&path);
        // A delay longer than any test: only stopping can make this checkpoint happen now.
        let checkpointer =
            Checkpointer::start(path.to_str().unwrap(), Duration::from_secs(3600)).unwrap();
        conn.execute("INSERT INTO blobs VALUES (zeroblob(65536))", [])
            .unwrap();
        checkpointer.wrote();
        let (stopped, done) = mpsc::channel();
        std::thread::spawn(move || {
            checkpointer.stop();
            let _ = stopped.send(());
        });
        done.recv_timeout(Duration::from_secs(60))
            .expect("stopping does not wait for the delay");
        assert!(size(&path) >= before + 65536, "copied when stopped");
    }
}
