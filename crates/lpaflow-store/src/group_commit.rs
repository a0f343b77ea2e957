//! The group-commit algorithm, written once for both backends. A batch of commits (each uid at most once) is
//! tried in one transaction; a commit that cannot apply (stale revision, existing uid, lost lease) is taken out
//! and the batch runs again without it; an error the backend calls transient (a PostgreSQL deadlock) runs the
//! batch again as it is, a few times; any other failure re-runs every commit on its own, so one bad commit fails
//! alone. The backends only provide one attempt at a set of commits in their dialect ([`Batch::attempt`]).

use crate::model::{Committed, SyncStatus};
use crate::prepare::{Enqueued, Prepared};
use crate::{CommitError, Error};
use std::collections::BTreeMap;
use std::future::Future;

/// What one attempt at a set of commits found.
pub(crate) enum Attempt {
    /// Every commit applied: the instances' outbox counters and the steps each enqueued, by uid.
    Committed(BTreeMap<String, Counters>, BTreeMap<String, Enqueued>),
    /// Nothing applied; these commits (by index in the batch) cannot apply, and why.
    Rejected(Vec<(usize, CommitError)>),
}

/// An instance's outbox counters after the commit.
#[derive(Clone, Copy)]
pub(crate) struct Counters {
    pub(crate) pending: u64,
    pub(crate) failed: u64,
    pub(crate) sync: SyncStatus,
}

/// A backend's side of group commit.
pub(crate) trait Batch: Sync {
    /// Tries the commits `which` (indices into `batch`) in one transaction.
    fn attempt<'a>(
        &'a self,
        batch: &'a [Prepared],
        which: &'a [usize],
    ) -> impl Future<Output = Result<Attempt, Error>> + Send + 'a;

    /// How many times an error worth running again as it is may be ([`Batch::is_transient`]).
    const TRANSIENT_RETRIES: u32;

    /// True for an error that says nothing about the commits (a deadlock between two processes).
    fn is_transient(&self, e: &Error) -> bool;
}

/// Writes `batch` (each uid at most once); one result per commit, in order.
pub(crate) async fn commit_batch<B: Batch>(
    db: &B,
    batch: &[Prepared],
) -> Vec<Result<Committed, CommitError>> {
    let outcomes = apply_batch(db, batch).await;
    // Each answer shares its instance's data with the batch (cloning `Data` copies no member); the batch is
    // freed by the caller after it has answered.
    batch
        .iter()
        .zip(outcomes)
        .map(|(p, outcome)| outcome.map(|applied| applied.answer(p)))
        .collect()
}

/// Applies `batch`: one outcome per commit, in order.
async fn apply_batch<B: Batch>(db: &B, batch: &[Prepared]) -> Vec<Result<Applied, CommitError>> {
    let mut results: Vec<Option<Result<Applied, CommitError>>> =
        batch.iter().map(|_| None).collect();
    let mut pending: Vec<usize> = (0..batch.len()).collect();
    let mut transient = 0;
    while !pending.is_empty() {
        match db.attempt(batch, &pending).await {
            Ok(Attempt::Committed(counters, step_ids)) => {
                for &i in &pending {
                    results[i] = Some(Ok(applied(&batch[i], &counters, &step_ids)));
                }
                pending.clear();
            }
            Ok(Attempt::Rejected(rejections)) => {
                for (i, e) in rejections {
                    pending.retain(|p| *p != i);
                    results[i] = Some(Err(e));
                }
            }
            Err(e) if db.is_transient(&e) && transient < B::TRANSIENT_RETRIES => {
                transient += 1;
                tracing::debug!(error = %e, commits = pending.len(), "batch commit hit a transient error; running it again");
            }
            Err(e) if pending.len() == 1 => {
                results[pending[0]] = Some(Err(CommitError::Store(e)));
                pending.clear();
            }
            Err(e) => {
                tracing::warn!(error = %e, commits = pending.len(), "batch commit failed; retrying each commit alone");
                for i in std::mem::take(&mut pending) {
                    results[i] = Some(alone(db, batch, i).await);
                }
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Err(CommitError::Store(Error::ShuttingDown))))
        .collect()
}

/// Commits `batch[i]` in a transaction of its own (after its batch failed).
async fn alone<B: Batch>(db: &B, batch: &[Prepared], i: usize) -> Result<Applied, CommitError> {
    let mut transient = 0;
    loop {
        return match db.attempt(batch, &[i]).await {
            Ok(Attempt::Committed(c, ids)) => Ok(applied(&batch[i], &c, &ids)),
            Ok(Attempt::Rejected(mut r)) => Err(r
                .pop()
                .map(|(_, e)| e)
                .unwrap_or(CommitError::Store(Error::ShuttingDown))),
            Err(e) if db.is_transient(&e) && transient < B::TRANSIENT_RETRIES => {
                transient += 1;
                continue;
            }
            Err(e) => Err(CommitError::Store(e)),
        };
    }
}

/// What the database said of one applied commit: its instance's counters after the batch, and its steps.
struct Applied {
    counters: Option<Counters>,
    enqueued: Option<Enqueued>,
}

/// What the batch left for commit `p`.
fn applied(
    p: &Prepared,
    counters: &BTreeMap<String, Counters>,
    step_ids: &BTreeMap<String, Enqueued>,
) -> Applied {
    Applied {
        counters: counters.get(&p.instance_row.uid).copied(),
        enqueued: step_ids.get(&p.instance_row.uid).cloned(),
    }
}

impl Applied {
    /// The answer to commit `p`: its instance with the counters the batch left, and its steps. The instance's
    /// data is shared with `p`, not copied.
    fn answer(self, p: &Prepared) -> Committed {
        let mut stored = p.stored.clone();
        if let Some(c) = self.counters {
            stored.steps_pending = c.pending;
            stored.steps_failed = c.failed;
            stored.sync_status = c.sync;
        }
        let enqueued = self.enqueued;
        Committed {
            stored: std::sync::Arc::new(stored),
            first_step_leased: enqueued.as_ref().is_some_and(|e| e.first_leased),
            first_step_previous_completed_at: enqueued
                .as_ref()
                .and_then(|e| e.first_previous_completed_at),
            step_ids: enqueued.map(|e| e.ids).unwrap_or_default(),
        }
    }
}
