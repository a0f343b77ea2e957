//! A command's commit and what must follow it, carried to the end whether or not the command's caller waits.
//!
//! A caller may stop waiting at any await: hyper drops a request's handler when its client disconnects
//! (hyperium/hyper#2728), a request times out, a `select!` takes another branch. A commit already queued in the
//! writer lands anyway, and what follows a commit must happen with it: its first step handed to the delivery
//! loop (or the step, leased to this process in that commit, waits out its lease and then goes out as
//! ambiguous), the instance kept for the next command, the timer and delivery loops woken, the commit observer
//! told (the fee refund counters).
//!
//! [`commit_and_follow`] submits the commit in the caller's task: dropped then, nothing was queued and nothing
//! lands. Once the commit is queued ([`lpaflow_store::Submitted`]), it waits for the answer in the caller's
//! task too, and dropped before the answer, it moves the answer and its [`FollowUp`] onto a task of their own.
//! So the usual path costs no task. Running every command on a task of its own, the first form of this, cost
//! `bench workload` at one connection a tenth of its throughput here, in wake-ups between threads
//! (BENCHMARKS.md, tenth session).

use crate::commands::record;
use crate::delivery::Reservation;
use crate::{Engine, Outcome};
use lpaflow_core::search::Findable;
use lpaflow_core::{Decision, InstanceId, Reading, WorkflowDef};
use lpaflow_store::{Commit, CommitError, Committed, Submitted};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;

/// What a command does once its commit's outcome is known.
pub(crate) struct FollowUp {
    pub(crate) engine: Engine,
    pub(crate) uid: InstanceId,
    pub(crate) def: Arc<WorkflowDef>,
    pub(crate) event: String,
    pub(crate) decisions: Arc<[Decision]>,
    /// The delivery slot reserved for the commit's first step, if any.
    pub(crate) handoff: Option<Reservation>,
    /// What to keep of the committed instance for the next command (`None`: nothing).
    pub(crate) kept: Option<(Reading, Vec<String>, Findable)>,
}

impl FollowUp {
    /// Does what follows the commit's `result` and gives it back: the outcome, or the commit's error once the
    /// instance kept and the reserved slot have been dealt with (a conflict is the caller's to handle: the
    /// command may be decided again).
    fn finish(
        self,
        result: Result<Committed, CommitError>,
        started: Instant,
    ) -> Result<Outcome, CommitError> {
        let Self {
            engine,
            uid,
            def,
            event,
            decisions,
            handoff,
            kept,
        } = self;
        match result {
            Ok(committed) => {
                metrics::histogram!("lpaflow_commit_seconds")
                    .record(started.elapsed().as_secs_f64());
                record(&def, &event, "accepted");
                if let Some((reading, labels, findable)) = kept {
                    engine.remember(&def, &committed.stored, &reading, labels, findable);
                }
                Ok(engine.accepted(&def, committed, decisions, handoff))
            }
            Err(e @ CommitError::Conflict { .. }) => Err(e),
            Err(e @ CommitError::Store(_)) => {
                // The commit may or may not have happened: what this process kept is no longer known, and a
                // first step it leased was never handed over.
                engine.inner.cache.forget(&uid);
                engine.give_back_unsent_step(handoff);
                Err(e)
            }
            Err(e) => {
                engine.inner.cache.forget(&uid);
                Err(e)
            }
        }
    }
}

/// Submits `commit` to the engine's store and does what follows it with its outcome ([`FollowUp::finish`]), to
/// the end once the commit is queued, whether or not the caller still waits. Dropped while it submits, nothing
/// was queued: the follow-up is dropped with it (a reserved delivery slot is freed) and nothing lands.
pub(crate) async fn commit_and_follow(
    commit: Commit,
    follow_up: FollowUp,
) -> Result<Outcome, CommitError> {
    let started = Instant::now();
    match follow_up.engine.inner.store.submit(commit).await {
        Ok(submitted) => {
            Committing {
                pending: Some((submitted, follow_up, started)),
                runtime: tokio::runtime::Handle::try_current().ok(),
            }
            .await
        }
        Err(e) => follow_up.finish(Err(e), started),
    }
}

/// A queued commit and its follow-up: a future that ends with [`FollowUp::finish`]'s answer and that, dropped
/// before the commit's outcome is known, finishes on a task of its own.
struct Committing {
    pending: Option<(Submitted, FollowUp, Instant)>,
    /// The runtime the command ran on, which a task of its own runs on.
    runtime: Option<tokio::runtime::Handle>,
}

impl Future for Committing {
    type Output = Result<Outcome, CommitError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some((submitted, _, _)) = self.pending.as_mut() else {
            // Polled again after its answer (a caller's bug): there is nothing more to give.
            return Poll::Pending;
        };
        let result = ready!(Pin::new(submitted).poll(cx));
        match self.pending.take() {
            Some((submitted, follow_up, started)) => {
                // Answered: no longer counted as on its way to the writer while the follow-up runs.
                drop(submitted);
                Poll::Ready(follow_up.finish(result, started))
            }
            None => Poll::Pending,
        }
    }
}

impl Drop for Committing {
    fn drop(&mut self) {
        let Some((submitted, follow_up, started)) = self.pending.take() else {
            return;
        };
        // Without a runtime (it has shut down) nothing can wait for the commit: a step it leased is released
        // at the next start or taken over when its lease expires, as after a crash.
        if let Some(runtime) = &self.runtime {
            runtime.spawn(async move {
                let _ = follow_up.finish(submitted.await, started);
            });
        }
    }
}
