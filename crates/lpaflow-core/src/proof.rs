//! Proof files an auditor checks offline with only the public key and signed checkpoints: an entry is in the
//! log a checkpoint commits to (inclusion), and a later checkpoint's log extends an earlier one's by appending
//! only (consistency). An inclusion proof carries the entry's canonical text, so the auditor also sees that the
//! entry's hash is the hash of what it says.

use crate::checkpoint::{CheckpointError, decode, log_leaf};
use crate::json::canonical_json;
use crate::merkle::{self, Hash};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// An entry's inclusion in the log of a given size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InclusionProof {
    /// The LPA.
    pub uid: String,
    /// The entry.
    pub seq: u64,
    /// The hash of the entry before it.
    pub prev_hash: String,
    /// The entry's canonical JSON (`history::canonical_entry`).
    pub entry: String,
    /// `sha256(prev_hash || entry)`.
    pub hash: String,
    /// Its global index.
    pub leaf_index: u64,
    /// The size of the tree the proof is for.
    pub tree_size: u64,
    /// Sibling hashes, nearest first, hex.
    pub path: Vec<String>,
}

/// That the log of `to` entries extends the log of `from` entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The smaller tree's size.
    pub from: u64,
    /// The larger tree's size.
    pub to: u64,
    /// RFC 6962 consistency proof, hex.
    pub path: Vec<String>,
}

/// Why a proof does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    /// A hex value cannot be read.
    #[error(transparent)]
    Encoding(#[from] CheckpointError),
    /// The proof is for another tree size than the checkpoint's.
    #[error("the proof is for a tree of {proof} entries, the checkpoint has {checkpoint}")]
    Size {
        /// The proof's size.
        proof: u64,
        /// The checkpoint's size.
        checkpoint: u64,
    },
    /// The entry's text is not what its hash says, or not the entry named.
    #[error("the entry's text does not hash to the entry's hash, or names another uid or seq")]
    Entry,
    /// The hashes do not lead to the checkpoint's root.
    #[error("the proof does not lead to the checkpoint's root")]
    Root,
}

fn path(hex: &[String]) -> Result<Vec<Hash>, ProofError> {
    hex.iter()
        .map(|h| decode::<32>(h, "proof path").map_err(ProofError::from))
        .collect()
}

/// Hex of each hash.
pub fn to_hex(path: &[Hash]) -> Vec<String> {
    path.iter().map(hex::encode).collect()
}

impl InclusionProof {
    /// Checks the entry's text against its hash and the path against a checkpoint's `(size, root)`.
    pub fn verify(&self, size: u64, root: &Hash) -> Result<(), ProofError> {
        if self.tree_size != size {
            return Err(ProofError::Size {
                proof: self.tree_size,
                checkpoint: size,
            });
        }
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(self.entry.as_bytes());
        let names_it = serde_json::from_str::<serde_json::Value>(&self.entry).is_ok_and(|v| {
            v["uid"] == self.uid.as_str()
                && v["seq"] == self.seq
                && canonical_json(&v) == self.entry
        });
        if hex::encode(h.finalize()) != self.hash || !names_it {
            return Err(ProofError::Entry);
        }
        let leaf = log_leaf(&self.uid, self.seq, &self.hash);
        if merkle::verify_inclusion(self.leaf_index, size, &leaf, &path(&self.path)?, root) {
            Ok(())
        } else {
            Err(ProofError::Root)
        }
    }
}

impl ConsistencyProof {
    /// Checks the path against two checkpoints' `(size, root)`.
    pub fn verify(&self, old: (u64, &Hash), new: (u64, &Hash)) -> Result<(), ProofError> {
        for (proof, checkpoint) in [(self.from, old.0), (self.to, new.0)] {
            if proof != checkpoint {
                return Err(ProofError::Size { proof, checkpoint });
            }
        }
        if merkle::verify_consistency(old.0, new.0, old.1, new.1, &path(&self.path)?) {
            Ok(())
        } else {
            Err(ProofError::Root)
        }
    }
}
