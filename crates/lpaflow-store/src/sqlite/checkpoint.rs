//! WAL checkpoints off the commit path (issue 18). SQLite's automatic checkpoint runs inside the COMMIT that
//! takes the WAL past 1,000 pages, on the committing connection: the group-commit writer, the one serial part
//! of a transition, then copies every page to the database file and `fsync`s it before it can answer its
//! batch (4.6 % of all CPU in `bench api`, all of it on the writer's path). Connections open with
//! `wal_autocheckpoint = 0`, and this task checkpoints from another connection instead: `PASSIVE` (it never
//! waits for, nor blocks, the writer or readers) every [`INTERVAL`]; should readers keep it from catching up
//! until the WAL holds [`RESTART_FRAMES`] frames, a `RESTART` checkpoint under the write lock brings it back to
//! the start of the file. Durability does not change: a commit is durable once its WAL frames are synced
//! (`synchronous = FULL`); a checkpoint only moves pages into the database file. The last connection to close
//! checkpoints what is left, as SQLite always does.

use sqlx::SqlitePool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::task::AbortHandle;

/// How often the WAL is checkpointed.
pub(super) const INTERVAL: Duration = Duration::from_millis(100);

/// WAL frames (pages of 4 KiB) past which the checkpoint waits for readers and holds the writer off.
pub(super) const RESTART_FRAMES: i64 = 65_536;

/// The checkpoint task of one database; stopped when the last handle to the database is dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer(AbortHandle);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Checkpointer {
    /// Starts checkpointing `pool`'s database; `write_lock` is the lock every writer holds.
    pub(super) fn start(pool: SqlitePool, write_lock: Arc<Mutex<()>>) -> Arc<Self> {
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = checkpoint(&pool, &write_lock).await {
                    if pool.is_closed() {
                        return;
                    }
                    tracing::warn!(error = %e, "WAL checkpoint failed; trying again");
                }
            }
        });
        Arc::new(Self(task.abort_handle()))
    }
}

async fn checkpoint(pool: &SqlitePool, write_lock: &Mutex<()>) -> Result<(), sqlx::Error> {
    let (_busy, frames, _done): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    if frames >= RESTART_FRAMES {
        let _write = write_lock.lock().await;
        sqlx::query("PRAGMA wal_checkpoint(RESTART)")
            .execute(pool)
            .await?;
    }
    Ok(())
}
