//! The group-commit writer: its lanes (one task each) own all writes of commits and step reports. Everything
//! submitted while a transaction runs goes into the next one, so many callers share one disk flush, and each
//! caller is answered only after its own commit is durable. Commits of the same instance within a batch are
//! split into successive rounds, so each transaction touches an instance at most once.
//!
//! On PostgreSQL two lanes write: while one lane's transaction runs (and waits for its flush), the other
//! gathers the next batch and starts it, so the server and this process work at the same time instead of in
//! turn. Two transactions of this process are then no different from those of two processes on one database,
//! which the PostgreSQL store already makes safe (instance rows locked in uid order, compare-and-set, the log's
//! counter row taken last and held to the commit, so log order is commit order). SQLite writes one
//! transaction at a time whatever the lanes, so it has one.

use crate::db::Db;
use crate::model::{Committed, StepFinish};
use crate::prepare::Prepared;
use crate::{CommitError, Error};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

type CommitReply = oneshot::Sender<Result<Committed, CommitError>>;
type FinishReply = oneshot::Sender<Result<Vec<bool>, Error>>;

/// A request to the writer.
pub(crate) enum Op {
    Commit(Box<Prepared>, CommitReply),
    Finish(Vec<StepFinish>, FinishReply),
}

/// Limits of the writer.
#[derive(Clone, Copy, Debug)]
pub struct WriterOptions {
    /// Most commits in one transaction.
    pub max_batch: usize,
    /// Longest wait for commits whose callers are still preparing them, once a transaction has something to
    /// write (microseconds). A lone caller never waits: the writer only waits for callers it knows about.
    pub max_wait_us: u64,
    /// Most requests waiting for the writer before submitters wait (back-pressure).
    pub queue_capacity: usize,
    /// Transactions written at once (0: the backend's own: PostgreSQL 2, SQLite always 1).
    pub lanes: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            max_batch: 256,
            max_wait_us: 1_000,
            queue_capacity: 8192,
            lanes: 0,
        }
    }
}

/// What the writer has done (for benchmarks and metrics).
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Commits on their way right now: from the start of `Store::submit` until their `Submitted` is dropped
    /// (preparing, queued or waiting for their answer). Callers
    /// already answered but not yet run again still count: under load they tend to come straight back with
    /// their next commit, and waiting for them fills the transaction. Counting only callers still preparing
    /// was tried: PostgreSQL at 256 submitters fell from 13,700 to 6,500 transitions/s (`bench store`).
    pub(crate) in_flight: AtomicUsize,
    /// Transactions written.
    pub transactions: AtomicU64,
    /// Commits written (applied or refused).
    pub commits: AtomicU64,
    /// Microseconds spent writing transactions.
    pub busy_us: AtomicU64,
    /// Microseconds spent waiting for the commits of callers still preparing them (`gather`).
    pub gathering_us: AtomicU64,
    /// Commits in transactions being written right now (by any lane).
    writing: AtomicUsize,
    /// Transactions started while another lane's was being written.
    pub overlapped: AtomicU64,
}

/// Runs until every sender is dropped, then finishes what was queued.
pub(crate) async fn run(
    db: Db,
    rx: mpsc::Receiver<Op>,
    options: WriterOptions,
    stats: Arc<WriterStats>,
) {
    let lanes = db.writer_lanes(options.lanes);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let mut running = tokio::task::JoinSet::new();
    for _ in 0..lanes {
        running.spawn(lane(db.clone(), rx.clone(), options, stats.clone()));
    }
    while running.join_next().await.is_some() {}
}

/// One lane: takes the next batch (alone: the other lanes wait for the queue meanwhile), then writes it.
async fn lane(
    db: Db,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Op>>>,
    options: WriterOptions,
    stats: Arc<WriterStats>,
) {
    let mut ops: Vec<Op> = Vec::with_capacity(options.max_batch);
    loop {
        let writing = {
            let mut rx = rx.lock().await;
            if rx.recv_many(&mut ops, options.max_batch).await == 0 {
                return;
            }
            gather(&mut rx, &mut ops, &options, &stats).await;
            // Counted before the queue is let go, so the next lane's `gather` does not wait for these.
            Writing::start(&stats, commits_in(&ops))
        };
        let mut commits = Vec::new();
        let mut finishes = Vec::new();
        for op in ops.drain(..) {
            match op {
                Op::Commit(p, reply) => commits.push((*p, reply)),
                Op::Finish(f, reply) => finishes.push((f, reply)),
            }
        }
        write_commits(&db, commits, &stats).await;
        write_finishes(&db, finishes).await;
        drop(writing);
    }
}

fn commits_in(ops: &[Op]) -> usize {
    ops.iter().filter(|o| matches!(o, Op::Commit(..))).count()
}

/// Commits counted in [`WriterStats::writing`] until their lane has written its whole batch (uncounted however
/// it ends). Their callers, once answered, may come back with new commits before that: the other lane's
/// `gather` then expects fewer than may come and starts its transaction sooner. Uncounting each commit as it is
/// answered was measured: the other lane then waited for those callers, and `bench store` on PostgreSQL at 64
/// submitters fell from 11,100-11,600 to 9,600-10,200 transitions/s (256: unchanged).
struct Writing<'a> {
    stats: &'a WriterStats,
    commits: usize,
}

impl<'a> Writing<'a> {
    fn start(stats: &'a WriterStats, commits: usize) -> Self {
        if stats.writing.fetch_add(commits, Ordering::Relaxed) > 0 {
            stats.overlapped.fetch_add(1, Ordering::Relaxed);
        }
        Self { stats, commits }
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.stats
            .writing
            .fetch_sub(self.commits, Ordering::Relaxed);
    }
}

/// Waits (at most `max_wait_us`) for the commits of callers that are already inside `Store::commit` but have
/// not sent yet, so that under load one transaction (one disk flush) carries them all.
async fn gather(
    rx: &mut mpsc::Receiver<Op>,
    ops: &mut Vec<Op>,
    options: &WriterOptions,
    stats: &WriterStats,
) {
    let started = Instant::now();
    let deadline =
        tokio::time::Instant::now() + std::time::Duration::from_micros(options.max_wait_us);
    gather_until(rx, ops, options, stats, deadline).await;
    stats
        .gathering_us
        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
}

async fn gather_until(
    rx: &mut mpsc::Receiver<Op>,
    ops: &mut Vec<Op>,
    options: &WriterOptions,
    stats: &WriterStats,
    deadline: tokio::time::Instant,
) {
    loop {
        let queued = commits_in(ops);
        // Callers whose commits another lane is writing cannot send before it answers them.
        let expected = stats
            .in_flight
            .load(Ordering::Relaxed)
            .saturating_sub(stats.writing.load(Ordering::Relaxed))
            .min(options.max_batch);
        if queued >= expected || ops.len() >= options.max_batch {
            return;
        }
        let room = options.max_batch - ops.len();
        match tokio::time::timeout_at(deadline, rx.recv_many(ops, room)).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

async fn write_commits(db: &Db, mut commits: Vec<(Prepared, CommitReply)>, stats: &WriterStats) {
    while !commits.is_empty() {
        let mut seen = BTreeSet::new();
        let (round, later): (Vec<_>, Vec<_>) = commits
            .into_iter()
            .partition(|(p, _)| seen.insert(p.instance_row.uid.clone()));
        commits = later;
        let started = Instant::now();
        let (prepared, replies): (Vec<Prepared>, Vec<_>) = round.into_iter().unzip();
        let size = prepared.len();
        let results = db.commit_batch(&prepared).await;
        stats.transactions.fetch_add(1, Ordering::Relaxed);
        stats
            .busy_us
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        stats.commits.fetch_add(size as u64, Ordering::Relaxed);
        metrics::histogram!("lpaflow_commit_batch_size").record(size as f64);
        metrics::histogram!("lpaflow_commit_batch_seconds").record(started.elapsed().as_secs_f64());
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
        // The batch's rows are freed only now, after every caller has its answer.
        drop(prepared);
    }
}

async fn write_finishes(db: &Db, finishes: Vec<(Vec<StepFinish>, FinishReply)>) {
    if finishes.is_empty() {
        return;
    }
    let all: Vec<StepFinish> = finishes
        .iter()
        .flat_map(|(f, _)| f.iter().cloned())
        .collect();
    match db.finish_steps(&all).await {
        Ok(applied) => {
            let mut rest = applied.as_slice();
            for (f, reply) in finishes {
                let (mine, tail) = rest.split_at(f.len().min(rest.len()));
                rest = tail;
                let _ = reply.send(Ok(mine.to_vec()));
            }
        }
        Err(e) => {
            let detail = e.to_string();
            let failure = e.failure();
            tracing::warn!(error = %detail, "recording step outcomes failed");
            for (_, reply) in finishes {
                let _ = reply.send(Err(Error::NotRecorded {
                    detail: detail.clone(),
                    failure,
                }));
            }
        }
    }
}
