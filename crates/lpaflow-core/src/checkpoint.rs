//! Signed checkpoints of the global log: `(tree size, root, time)` and the chain head of every LPA at that
//! size, signed with Ed25519 by a key kept outside the database. A checkpoint kept elsewhere is what lets an
//! auditor catch what no check inside the database can: a chain rewritten and re-hashed, entries deleted with
//! the instance rolled back, a whole LPA deleted. The root says *that* the log before the checkpoint changed;
//! the heads say *which* LPA (each head's hash commits to that LPA's whole chain up to it).

use crate::json::canonical_json;
use crate::merkle::{Hash, leaf_hash};
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

/// What the signature covers first, so that it can never be mistaken for a signature of anything else.
pub const CHECKPOINT_FORMAT: &str = "lpaflow checkpoint v1";

/// The leaf of the global log for one history entry: `leaf_hash` of the canonical JSON of its uid, seq and
/// hash (which covers the entry's content and, through `prev_hash`, its whole chain before it).
pub fn log_leaf(uid: &str, seq: u64, hash: &str) -> Hash {
    leaf_hash(canonical_json(&json!({"uid": uid, "seq": seq, "hash": hash})).as_bytes())
}

/// One LPA's chain head as of a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The LPA.
    pub uid: String,
    /// Its last entry within the checkpoint's tree.
    pub seq: u64,
    /// That entry's hash.
    pub hash: String,
}

/// A signed checkpoint, as written to a file (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Checkpoint {
    /// Always [`CHECKPOINT_FORMAT`].
    pub format: String,
    /// Entries in the log.
    pub tree_size: u64,
    /// The Merkle root over them, hex.
    pub root: String,
    /// When it was taken (RFC 3339, UTC, microseconds).
    pub time: DateTime<Utc>,
    /// `sha256` of the canonical JSON of `heads`, hex.
    pub heads_digest: String,
    /// Every LPA's last entry within the tree, in uid order.
    pub heads: Vec<Head>,
    /// The public key that signed it, hex (to tell keys apart; trust comes from the key the auditor holds).
    pub public_key: String,
    /// Ed25519 over [`Checkpoint::message`], hex.
    pub signature: String,
}

/// Why a checkpoint cannot be trusted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    /// Not a checkpoint of this format.
    #[error("not an lpaflow checkpoint (format {0:?})")]
    Format(String),
    /// The heads listed are not the ones signed.
    #[error("the checkpoint's heads do not match its signed digest")]
    Heads,
    /// A hex field cannot be read.
    #[error("the checkpoint's {0} is not valid hex of the right length")]
    Encoding(&'static str),
    /// Signed by another key, or altered after signing.
    #[error(
        "the signature does not verify with the public key given (another key, or an altered checkpoint)"
    )]
    Signature,
}

fn heads_digest(heads: &[Head]) -> String {
    let v = serde_json::to_value(heads).unwrap_or_default();
    hex::encode(Sha256::digest(canonical_json(&v).as_bytes()))
}

fn message(tree_size: u64, root: &str, time: &DateTime<Utc>, heads_digest: &str) -> String {
    let time = time.to_rfc3339_opts(SecondsFormat::Micros, true);
    format!("{CHECKPOINT_FORMAT}\n{tree_size}\n{root}\n{time}\n{heads_digest}\n")
}

impl Checkpoint {
    /// Signs `(tree_size, root, time, heads)` with `key`.
    pub fn sign(
        tree_size: u64,
        root: &Hash,
        time: DateTime<Utc>,
        heads: Vec<Head>,
        key: &SigningKey,
    ) -> Self {
        let time = crate::decision::truncate_to_micros(time);
        let root = hex::encode(root);
        let heads_digest = heads_digest(&heads);
        let signature = key.sign(message(tree_size, &root, &time, &heads_digest).as_bytes());
        Self {
            format: CHECKPOINT_FORMAT.to_owned(),
            tree_size,
            root,
            time,
            heads_digest,
            heads,
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// Checks the format, the heads against their digest and the signature with `key`; returns the root.
    pub fn verify(&self, key: &VerifyingKey) -> Result<Hash, CheckpointError> {
        if self.format != CHECKPOINT_FORMAT {
            return Err(CheckpointError::Format(self.format.clone()));
        }
        if heads_digest(&self.heads) != self.heads_digest {
            return Err(CheckpointError::Heads);
        }
        let signature: [u8; 64] = decode(&self.signature, "signature")?;
        let root: Hash = decode(&self.root, "root")?;
        let message = message(self.tree_size, &self.root, &self.time, &self.heads_digest);
        key.verify(message.as_bytes(), &Signature::from_bytes(&signature))
            .map_err(|_| CheckpointError::Signature)?;
        Ok(root)
    }
}

/// Fixed-length bytes from hex.
pub fn decode<const N: usize>(text: &str, what: &'static str) -> Result<[u8; N], CheckpointError> {
    hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or(CheckpointError::Encoding(what))
}

/// A public key from its hex text.
pub fn public_key(text: &str) -> Result<VerifyingKey, CheckpointError> {
    let bytes: [u8; 32] = decode(text, "public key")?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| CheckpointError::Encoding("public key"))
}

/// A private key from its hex text (the 32-byte seed).
pub fn signing_key(text: &str) -> Result<SigningKey, CheckpointError> {
    let bytes: [u8; 32] = decode(text, "private key")?;
    Ok(SigningKey::from_bytes(&bytes))
}
