//! A commit queued in the group-commit writer, and its answer to come.
//!
//! [`Store::commit`] is [`Store::submit`] and then the answer. A caller that may stop waiting (the engine's
//! `Committing`: an HTTP client that disconnects drops its request's handler) needs the two apart. Dropped while
//! it submits, nothing was queued and nothing will land. Once submitted, the commit lands whether or not its
//! answer is awaited, so whoever holds the [`Submitted`] must see it through to what follows a commit.

use crate::writer::{self, WriterStats};
use crate::{Commit, CommitError, Committed, Error, Store, prepare};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};
use tokio::sync::oneshot;

impl Store {
    /// Queues `commit` in the group-commit writer; its answer is the [`Submitted`] returned. Dropped before it
    /// returns, this queues nothing; once it has returned, the commit lands whether or not the answer is awaited.
    pub async fn submit(&self, commit: Commit) -> Result<Submitted, CommitError> {
        let inside = Inside::enter(&self.inner.stats);
        let queued = self.queue(commit).await;
        let answer = queued.inspect_err(|e| self.note_write(e.failure()))?;
        Ok(Submitted {
            answer,
            store: self.clone(),
            _inside: inside,
        })
    }

    async fn queue(
        &self,
        commit: Commit,
    ) -> Result<oneshot::Receiver<Result<Committed, CommitError>>, CommitError> {
        let prepared = prepare::prepare(&commit)?;
        let (reply, answer) = oneshot::channel();
        self.sender()?
            .send(writer::Op::Commit(Box::new(prepared), reply))
            .await
            .map_err(|_| Error::ShuttingDown)?;
        Ok(answer)
    }
}

/// Counts a caller inside a commit, from before it prepares its rows to its answer, so the writer knows how many
/// commits are on their way (`writer::gather`); dropped, it uncounts the caller whatever happened.
pub(crate) struct Inside(Arc<WriterStats>);

impl Inside {
    pub(crate) fn enter(stats: &Arc<WriterStats>) -> Self {
        stats.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(stats.clone())
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A commit the writer has queued: a future of its answer. It counts as on its way to the writer until dropped,
/// so hold it only to await it (the writer waits up to `WriterOptions::max_wait_us` for commits on their way).
pub struct Submitted {
    answer: oneshot::Receiver<Result<Committed, CommitError>>,
    store: Store,
    _inside: Inside,
}

impl Future for Submitted {
    type Output = Result<Committed, CommitError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let answer = ready!(Pin::new(&mut self.answer).poll(cx));
        let result = answer.unwrap_or(Err(CommitError::Store(Error::ShuttingDown)));
        self.store
            .note_write(result.as_ref().err().and_then(CommitError::failure));
        Poll::Ready(result)
    }
}

impl std::fmt::Debug for Submitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Submitted")
    }
}
