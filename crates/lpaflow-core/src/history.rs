//! The tamper-evident history chain: `hash = sha256(prev_hash || canonical bytes of the entry)`, per instance,
//! starting from [`GENESIS_HASH`]. Store and audit both call these functions, so writing and verifying can
//! never disagree about the bytes.

use crate::decision::HistoryEntry;
use crate::json::canonical_json;
use crate::names::InstanceId;
use chrono::SecondsFormat;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The `prev_hash` of every instance's first entry (64 hex zeros).
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The canonical bytes of one entry: a JSON object with sorted keys holding the instance id and every field.
/// Times are RFC 3339 in UTC with exactly six fractional digits.
pub fn canonical_entry(id: &InstanceId, entry: &HistoryEntry) -> String {
    let v = json!({
        "uid": id.as_str(),
        "seq": entry.seq,
        "at": entry.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "actor": entry.actor.as_str(),
        "role": entry.role.as_str(),
        "event": entry.event.as_str(),
        "from": entry.from.as_ref().map(|s| s.as_str()),
        "to": entry.to.as_str(),
        "payload": entry.payload,
        "changes": entry.changes,
        "workflow": entry.workflow.name,
        "version": entry.workflow.version,
    });
    canonical_json(&v)
}

/// `sha256(prev_hash || canonical_entry)`, hex-encoded.
pub fn chain_hash(prev_hash: &str, id: &InstanceId, entry: &HistoryEntry) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical_entry(id, entry).as_bytes());
    hex::encode(h.finalize())
}

/// A stored history row as read back for verification.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEntry {
    /// The entry's fields.
    pub entry: HistoryEntry,
    /// The `prev_hash` column.
    pub prev_hash: String,
    /// The `hash` column.
    pub hash: String,
}

/// Where and how a chain is broken.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainBreak {
    /// The first sequence number at which the chain does not hold.
    pub seq: u64,
    /// What is wrong there.
    pub reason: String,
}

/// What the instance row says the chain should end with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// The instance's revision (= the last seq).
    pub revision: u64,
    /// The hash of its last entry.
    pub hash: String,
}

/// Recomputes a chain from its rows in stored order and compares it with the instance's head. Detects edited
/// fields, deleted, inserted or reordered rows and a truncated tail.
pub fn verify_chain(
    id: &InstanceId,
    rows: &[StoredEntry],
    head: &ChainHead,
) -> Result<(), ChainBreak> {
    let mut prev = GENESIS_HASH.to_owned();
    for (i, row) in rows.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        if row.entry.seq != expected_seq {
            return Err(ChainBreak {
                seq: expected_seq,
                reason: format!(
                    "expected entry {expected_seq} here but found entry {} (deleted or reordered rows)",
                    row.entry.seq
                ),
            });
        }
        if row.prev_hash != prev {
            return Err(ChainBreak {
                seq: expected_seq,
                reason: "prev_hash does not match the hash of the entry before it".to_owned(),
            });
        }
        let computed = chain_hash(&prev, id, &row.entry);
        if computed != row.hash {
            return Err(ChainBreak {
                seq: expected_seq,
                reason: "the entry's content does not match its hash (edited after it was written)"
                    .to_owned(),
            });
        }
        prev = computed;
    }
    let last = rows.len() as u64;
    if last != head.revision {
        return Err(ChainBreak {
            seq: last + 1,
            reason: format!(
                "the history ends at entry {last} but the instance is at revision {}",
                head.revision
            ),
        });
    }
    if prev != head.hash {
        return Err(ChainBreak {
            seq: last,
            reason: "the last entry's hash is not the instance's recorded chain head".to_owned(),
        });
    }
    Ok(())
}
