//! The global log as the auditor's tools read it: every entry in index order, read in pages, and the Merkle
//! tree over it (roots, heads, proofs). Trees are built from all the leaves each time: `O(n)` hashing per
//! checkpoint or proof (a million entries hash in about a second).

use crate::{Error, Store};
use lpaflow_core::InstanceId;
use lpaflow_core::checkpoint::Head;
use lpaflow_core::history::canonical_entry;
use lpaflow_core::log::{LogEntry, heads_at};
use lpaflow_core::merkle::{Hash, consistency_proof, inclusion_proof, root};
use lpaflow_core::proof::{ConsistencyProof, InclusionProof, to_hex};

impl Store {
    /// Every entry of the global log in index order (as stored: a gap or a duplicate index is for the caller
    /// to find). `progress` is called with the number read.
    pub async fn log(&self, mut progress: impl FnMut(u64)) -> Result<Vec<LogEntry>, Error> {
        let mut log = self.inner.db.log_entries().await?;
        log.sort_by_key(|e| e.index);
        progress(log.len() as u64);
        Ok(log)
    }

    /// The number of entries in the global log.
    pub async fn log_size(&self) -> Result<u64, Error> {
        self.inner.db.log_size().await
    }

    /// Keeps a signed checkpoint (JSON) so that the API can serve the latest; once per tree size.
    pub async fn save_checkpoint(
        &self,
        tree_size: u64,
        taken_at: chrono::DateTime<chrono::Utc>,
        checkpoint: &str,
    ) -> Result<(), Error> {
        self.inner
            .db
            .save_checkpoint(tree_size, taken_at, checkpoint)
            .await
    }

    /// The latest checkpoint kept (JSON as signed).
    pub async fn latest_checkpoint(&self) -> Result<Option<String>, Error> {
        self.inner.db.latest_checkpoint().await
    }

    /// History rows that have no global index (written outside lpaflow: no checkpoint can cover them).
    pub async fn unindexed_history(&self) -> Result<Vec<(InstanceId, u64)>, Error> {
        self.inner.db.unindexed_history().await
    }
}

/// The log as a Merkle tree's input: its entries and their leaf hashes, gap-free.
pub struct LogTree {
    /// Every entry, in index order.
    pub entries: Vec<LogEntry>,
    /// Their leaf hashes.
    pub leaves: Vec<Hash>,
}

impl LogTree {
    /// The first `size` entries' root and heads (`None`: the whole log).
    pub fn at(&self, size: Option<u64>) -> Result<(u64, Hash, Vec<Head>), Error> {
        let size = self.size_within(size)?;
        let n = size as usize;
        Ok((size, root(&self.leaves[..n]), heads_at(&self.entries, size)))
    }

    fn size_within(&self, size: Option<u64>) -> Result<u64, Error> {
        let all = self.leaves.len() as u64;
        match size {
            None => Ok(all),
            Some(s) if s <= all => Ok(s),
            Some(s) => Err(Error::Log(format!(
                "a tree of {s} entries; the log has {all}"
            ))),
        }
    }

    /// The consistency proof from the tree of `from` entries to the tree of `to` (`None`: the whole log).
    pub fn consistency(&self, from: u64, to: Option<u64>) -> Result<ConsistencyProof, Error> {
        let to = self.size_within(to)?;
        if from > to {
            return Err(Error::Log(format!("from {from} is beyond to {to}")));
        }
        let path = consistency_proof(&self.leaves[..to as usize], from as usize);
        Ok(ConsistencyProof {
            from,
            to,
            path: to_hex(&path),
        })
    }

    fn index_of(&self, uid: &InstanceId, seq: u64) -> Result<u64, Error> {
        self.entries
            .iter()
            .find(|e| e.uid == uid.as_str() && e.seq == seq)
            .map(|e| e.index)
            .ok_or_else(|| Error::Log(format!("entry {seq} of {uid} is not in the log")))
    }
}

impl Store {
    /// The whole log, refused when its indices have a gap (a tree over it would prove nothing).
    pub async fn log_tree(&self) -> Result<LogTree, Error> {
        let entries = self.log(|_| {}).await?;
        let (leaves, gap) = lpaflow_core::log::leaves(&entries);
        if let Some(gap) = gap {
            return Err(Error::Log(gap.reason));
        }
        Ok(LogTree { entries, leaves })
    }

    /// The inclusion proof of entry `seq` of `uid` in the tree of `size` entries (`None`: the whole log).
    pub async fn inclusion_proof(
        &self,
        tree: &LogTree,
        uid: &InstanceId,
        seq: u64,
        size: Option<u64>,
    ) -> Result<InclusionProof, Error> {
        let size = tree.size_within(size)?;
        let index = tree.index_of(uid, seq)?;
        if index >= size {
            return Err(Error::Log(format!(
                "entry {seq} of {uid} is at index {index}, outside a tree of {size}"
            )));
        }
        let row = self
            .history(uid, seq.saturating_sub(1), 1)
            .await?
            .into_iter()
            .next()
            .filter(|r| r.entry.seq == seq)
            .ok_or_else(|| Error::Log(format!("entry {seq} of {uid} is not in the history")))?;
        let path = inclusion_proof(&tree.leaves[..size as usize], index as usize);
        Ok(InclusionProof {
            uid: uid.to_string(),
            seq,
            entry: canonical_entry(uid, &row.entry),
            prev_hash: row.prev_hash,
            hash: row.hash,
            leaf_index: index,
            tree_size: size,
            path: to_hex(&path),
        })
    }
}
