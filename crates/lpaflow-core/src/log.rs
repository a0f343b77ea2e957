//! The global log today against a signed checkpoint: is it an append-only extension of it? Every entry has a
//! global index (its position in the log, assigned in commit order); the first `tree_size` leaves must hash
//! to the checkpoint's root. When they do not, the checkpoint's heads name the LPAs whose history changed.

use crate::checkpoint::{Checkpoint, Head, log_leaf};
use crate::merkle::{Hash, root};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One entry of the global log as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// Its global index.
    pub index: u64,
    /// Its LPA.
    pub uid: String,
    /// Its seq in that LPA's history.
    pub seq: u64,
    /// Its chain hash.
    pub hash: String,
}

impl LogEntry {
    /// Its Merkle leaf hash.
    pub fn leaf(&self) -> Hash {
        log_leaf(&self.uid, self.seq, &self.hash)
    }
}

/// A way the log is not an append-only extension of a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogProblem {
    /// The LPA, when one can be named.
    pub uid: Option<String>,
    /// Its entry, when one can be named.
    pub seq: Option<u64>,
    /// The global index, when that is what is known.
    pub index: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

impl LogProblem {
    fn at_index(index: u64, reason: String) -> Self {
        Self {
            uid: None,
            seq: None,
            index: Some(index),
            reason,
        }
    }

    fn of(uid: &str, seq: u64, reason: String) -> Self {
        Self {
            uid: Some(uid.to_owned()),
            seq: Some(seq),
            index: None,
            reason,
        }
    }
}

/// The leaves of the log, in index order: the first index out of place is a problem (entries deleted or
/// re-indexed), and so is every leaf after it.
pub fn leaves(log: &[LogEntry]) -> (Vec<Hash>, Option<LogProblem>) {
    let mut out = Vec::with_capacity(log.len());
    for (i, e) in log.iter().enumerate() {
        if e.index != i as u64 {
            let problem = LogProblem::at_index(
                i as u64,
                format!(
                    "global index {i} is missing (found {} there): entries deleted or re-indexed",
                    e.index
                ),
            );
            return (out, Some(problem));
        }
        out.push(e.leaf());
    }
    (out, None)
}

/// Compares today's log with a checkpoint whose signature was verified (`root` is its root). Empty when the
/// log is an append-only extension of it.
pub fn compare(checkpoint: &Checkpoint, root_then: &Hash, log: &[LogEntry]) -> Vec<LogProblem> {
    let (leaves, gap) = leaves(log);
    let size = usize::try_from(checkpoint.tree_size).unwrap_or(usize::MAX);
    if leaves.len() >= size && root(&leaves[..size]) == *root_then {
        return Vec::new();
    }
    let mut problems: Vec<LogProblem> = gap.into_iter().collect();
    problems.extend(changed_heads(&checkpoint.heads, log));
    problems.extend(inserted_before(checkpoint, log));
    if problems.is_empty() {
        problems.push(LogProblem::at_index(
            0,
            format!(
                "the first {} entries of the log no longer hash to the checkpoint's root (entries reordered)",
                checkpoint.tree_size
            ),
        ));
    }
    problems
}

/// Each head whose entry is gone or has another hash today.
fn changed_heads(heads: &[Head], log: &[LogEntry]) -> Vec<LogProblem> {
    let now: HashMap<(&str, u64), &str> = log
        .iter()
        .map(|e| ((e.uid.as_str(), e.seq), e.hash.as_str()))
        .collect();
    heads
        .iter()
        .filter_map(|h| match now.get(&(h.uid.as_str(), h.seq)) {
            None => Some(LogProblem::of(
                &h.uid,
                h.seq,
                format!(
                    "entry {} was in the log at the checkpoint and is gone (entries or the LPA deleted)",
                    h.seq
                ),
            )),
            Some(hash) if *hash != h.hash => Some(LogProblem::of(
                &h.uid,
                h.seq,
                format!(
                    "entry {} has another hash than at the checkpoint (its history up to it was rewritten)",
                    h.seq
                ),
            )),
            Some(_) => None,
        })
        .collect()
}

/// Entries placed before the checkpoint's size that it did not hold (beyond that LPA's head then).
fn inserted_before(checkpoint: &Checkpoint, log: &[LogEntry]) -> Vec<LogProblem> {
    let heads: BTreeMap<&str, u64> = checkpoint
        .heads
        .iter()
        .map(|h| (h.uid.as_str(), h.seq))
        .collect();
    log.iter()
        .filter(|e| e.index < checkpoint.tree_size)
        .filter(|e| heads.get(e.uid.as_str()).is_none_or(|&seq| e.seq > seq))
        .map(|e| {
            LogProblem::of(
                &e.uid,
                e.seq,
                format!(
                    "entry {} sits at global index {}, inside the checkpoint, which did not hold it",
                    e.seq, e.index
                ),
            )
        })
        .collect()
}

/// The heads of the first `size` entries of the log: each LPA's last entry among them, in uid order.
pub fn heads_at(log: &[LogEntry], size: u64) -> Vec<Head> {
    let mut last: BTreeMap<&str, &LogEntry> = BTreeMap::new();
    for e in log.iter().filter(|e| e.index < size) {
        let newer = last.get(e.uid.as_str()).is_none_or(|l| e.seq > l.seq);
        if newer {
            last.insert(e.uid.as_str(), e);
        }
    }
    last.into_values()
        .map(|e| Head {
            uid: e.uid.clone(),
            seq: e.seq,
            hash: e.hash.clone(),
        })
        .collect()
}
