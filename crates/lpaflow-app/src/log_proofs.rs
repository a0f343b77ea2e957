//! The global log's proofs for auditors: the latest signed checkpoint (`serve --audit-key`), the inclusion
//! proof of one history entry in a tree of a given size, and the consistency proof between two sizes. What
//! makes them checkable offline is `lpaflow_core` (`merkle`, `proof`, `checkpoint`); this reads the log once per
//! request and says which size was asked beyond the log.

use crate::service::LpaService;
use lpaflow_core::InstanceId;
use lpaflow_core::proof::{ConsistencyProof, InclusionProof};
use lpaflow_engine::Error;

/// Why a proof was not given.
#[derive(Debug)]
pub enum ProofError {
    /// A tree size beyond the log (`pointer` names the parameter: `/treeSize`, `/to`, `/from`).
    BeyondLog {
        /// The parameter.
        pointer: &'static str,
        /// The size asked for.
        size: u64,
        /// The size it may be at most.
        log: u64,
    },
    /// No such entry within that tree size.
    NotInLog(String),
    /// The store failed.
    Engine(Error),
}

impl From<lpaflow_store::Error> for ProofError {
    fn from(e: lpaflow_store::Error) -> Self {
        match e {
            lpaflow_store::Error::Log(detail) => Self::NotInLog(detail),
            e => Self::Engine(e.into()),
        }
    }
}

impl LpaService {
    /// The latest signed checkpoint (JSON, as signed), if one was signed.
    pub async fn latest_checkpoint(&self) -> Result<Option<String>, Error> {
        Ok(self.store.latest_checkpoint().await?)
    }

    /// The inclusion proof of entry `seq` of LPA `uid` in the tree of `tree_size` entries (default: the log).
    pub async fn inclusion_proof(
        &self,
        uid: &InstanceId,
        seq: u64,
        tree_size: Option<u64>,
    ) -> Result<InclusionProof, ProofError> {
        let tree = self.store.log_tree().await.map_err(store_failure)?;
        let log = tree.leaves.len() as u64;
        if let Some(size) = tree_size.filter(|s| *s > log) {
            return Err(ProofError::BeyondLog {
                pointer: "/treeSize",
                size,
                log,
            });
        }
        Ok(self
            .store
            .inclusion_proof(&tree, uid, seq, tree_size)
            .await?)
    }

    /// The proof that the log of `to` entries (default: the log) extends the log of `from` entries.
    pub async fn consistency_proof(
        &self,
        from: u64,
        to: Option<u64>,
    ) -> Result<ConsistencyProof, ProofError> {
        let tree = self.store.log_tree().await.map_err(store_failure)?;
        let log = tree.leaves.len() as u64;
        let to = to.unwrap_or(log);
        if to > log {
            return Err(ProofError::BeyondLog {
                pointer: "/to",
                size: to,
                log,
            });
        }
        if from > to {
            return Err(ProofError::BeyondLog {
                pointer: "/from",
                size: from,
                log: to,
            });
        }
        tree.consistency(from, Some(to)).map_err(store_failure)
    }
}

/// A log that cannot be read whole (a gap in its indices) is a failure of the store, not a missing entry.
fn store_failure(e: lpaflow_store::Error) -> ProofError {
    ProofError::Engine(e.into())
}
