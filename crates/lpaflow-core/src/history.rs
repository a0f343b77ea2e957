//! The tamper-evident history chain: `hash = sha256(prev_hash || canonical bytes of the entry)`, per instance,
//! starting from [`GENESIS_HASH`]. Store and audit both call these functions, so writing and verifying can
//! never disagree about the bytes.
//!
//! Three hash formats exist, told apart by the entry's [`Binding`] and rules version: format 1 (no binding,
//! entries written before the state was bound) hashes the entry's own fields; format 2 adds `"format": 2`, the
//! digest of the instance the entry produced and the timers it changed; format 3 adds the version of the rules
//! that decided it (`"rules"`, what `audit verify --replay` replays with). An entry in an older format than the
//! one before it is tampering (a chain never goes back), and an instance whose head is format 2 or 3 must match
//! its digest.

mod binding;

pub use binding::{
    Binding, FORMAT_BOUND, FORMAT_RULED, FORMAT_UNBOUND, Snapshot, instance_digest, stored_text,
};

use crate::decision::{Change, HistoryEntry};
use crate::json::{into_text, write_array, write_canonical, write_scalar};
use crate::names::InstanceId;
use chrono::SecondsFormat;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of every instance's first entry (64 hex zeros).
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The canonical bytes of one entry: a JSON object with sorted keys holding the instance id and every field.
/// Times are RFC 3339 in UTC with exactly six fractional digits.
pub fn canonical_entry(id: &InstanceId, entry: &HistoryEntry) -> String {
    canonical_with(id, entry, entry.binding.as_ref())
}

/// [`canonical_entry`] with `binding` instead of the entry's own (the store binds entries as it writes them).
fn canonical_with(id: &InstanceId, entry: &HistoryEntry, binding: Option<&Binding>) -> String {
    let at = entry.at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let mut fields: Vec<(&str, Field<'_>)> = vec![
        ("uid", Field::Text(id.as_str())),
        ("seq", Field::Int(entry.seq)),
        ("at", Field::Text(&at)),
        ("actor", Field::Text(entry.actor.as_str())),
        ("role", Field::Text(entry.role.as_str())),
        ("event", Field::Text(entry.event.as_str())),
        (
            "from",
            entry
                .from
                .as_ref()
                .map_or(Field::Null, |s| Field::Text(s.as_str())),
        ),
        ("to", Field::Text(entry.to.as_str())),
        ("payload", Field::Json(&entry.payload)),
        ("changes", Field::Changes(&entry.changes)),
        ("workflow", Field::Text(&entry.workflow.name)),
        ("version", Field::Int(u64::from(entry.workflow.version))),
    ];
    if let Some(b) = binding {
        fields.push(("state", Field::Text(&b.state)));
        fields.push(("timers", Field::Json(&b.timers)));
        match entry.rules.as_ref() {
            None => fields.push(("format", Field::Int(u64::from(FORMAT_BOUND)))),
            Some(rules) => {
                fields.push(("rules", Field::Text(rules)));
                fields.push(("format", Field::Int(u64::from(FORMAT_RULED))));
            }
        }
    }
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::with_capacity(1024);
    out.push(b'{');
    for (i, (key, field)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_scalar(*key, &mut out);
        out.push(b':');
        field.write(&mut out);
    }
    out.push(b'}');
    into_text(out)
}

/// One top-level field of an entry's canonical bytes, borrowed from the entry (they are written as the JSON
/// object `{"uid": .., "seq": .., ...}` with sorted keys would be, without building that object).
enum Field<'a> {
    Text(&'a str),
    Int(u64),
    Null,
    Json(&'a Value),
    Changes(&'a [Change]),
}

impl Field<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Field::Text(s) => write_scalar(*s, out),
            Field::Int(n) => write_scalar(n, out),
            Field::Null => out.extend_from_slice(b"null"),
            Field::Json(v) => write_canonical(v, out),
            Field::Changes(changes) => write_array(changes, out, write_change),
        }
    }
}

/// A change as its serialisation is, canonically: `new` and `old` only when present, keys sorted.
fn write_change(c: &Change, out: &mut Vec<u8>) {
    out.push(b'{');
    if let Some(new) = &c.new {
        out.extend_from_slice(b"\"new\":");
        write_canonical(new, out);
        out.push(b',');
    }
    if let Some(old) = &c.old {
        out.extend_from_slice(b"\"old\":");
        write_canonical(old, out);
        out.push(b',');
    }
    out.extend_from_slice(b"\"pointer\":");
    write_scalar(c.pointer.as_str(), out);
    out.push(b'}');
}

/// The hash format of an entry: [`FORMAT_RULED`] when it carries a binding and its rules version,
/// [`FORMAT_BOUND`] with a binding only, [`FORMAT_UNBOUND`] without (its rules version, if any, is not hashed).
pub fn format_of(entry: &HistoryEntry) -> u8 {
    match (&entry.binding, &entry.rules) {
        (None, _) => FORMAT_UNBOUND,
        (Some(_), None) => FORMAT_BOUND,
        (Some(_), Some(_)) => FORMAT_RULED,
    }
}

/// `sha256(prev_hash || canonical_entry)`, hex-encoded.
pub fn chain_hash(prev_hash: &str, id: &InstanceId, entry: &HistoryEntry) -> String {
    bound_hash(prev_hash, id, entry, entry.binding.as_ref())
}

/// [`chain_hash`] of `entry` bound by `binding` (format 2) or not (`None`: format 1), whatever the entry holds.
pub fn bound_hash(
    prev_hash: &str,
    id: &InstanceId,
    entry: &HistoryEntry,
    binding: Option<&Binding>,
) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical_with(id, entry, binding).as_bytes());
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

/// Which check of [`verify_chain`] failed. Each has its own kind so that a test can tell them apart: removing any
/// one check makes the test of its kind fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BreakKind {
    /// An entry is missing or out of order.
    Sequence,
    /// The stored `prev_hash` is not the previous entry's hash.
    PrevHash,
    /// The entry's content does not match its hash.
    Content,
    /// An entry uses an older hash format than an entry before it.
    Downgrade,
    /// The history does not end at the instance's revision.
    Length,
    /// The last entry's hash is not the instance's recorded head.
    Head,
    /// The instance row is not the instance its head entry produced.
    State,
    /// Replayed through the interpreter, the entry is not what its definition and rules decide (`audit verify
    /// --replay`, [`crate::replay`]).
    Unlawful,
    /// A stored row cannot even be read back (not JSON, an unknown hash format): reported by the store's
    /// verification, never by [`verify_chain`].
    Unreadable,
}

/// Where and how a chain is broken.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainBreak {
    /// The first sequence number at which the chain does not hold.
    pub seq: u64,
    /// Which check failed.
    pub kind: BreakKind,
    /// What is wrong there.
    pub reason: String,
}

impl ChainBreak {
    pub(crate) fn new(seq: u64, kind: BreakKind, reason: impl Into<String>) -> Self {
        Self {
            seq,
            kind,
            reason: reason.into(),
        }
    }
}

/// What the instance row says the chain should end with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// The instance's revision (= the last seq).
    pub revision: u64,
    /// The hash of its last entry.
    pub hash: String,
    /// [`Snapshot::digest`] of the instance row as stored.
    pub state: String,
}

/// How much of an instance a verified chain vouches for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// The head entry is format 2 and the instance row matches it.
    StateBound,
    /// The head entry is format 1 (written before the state was bound): only the history is vouched for.
    HistoryOnly,
}

/// Recomputes a chain from its rows in stored order and compares it with the instance's head. Detects edited
/// fields, deleted, inserted or reordered rows, a truncated tail, a rewritten `prev_hash`, a format downgrade
/// and an instance row that is not the one its head entry produced.
pub fn verify_chain(
    id: &InstanceId,
    rows: &[StoredEntry],
    head: &ChainHead,
) -> Result<Coverage, ChainBreak> {
    let mut prev = GENESIS_HASH.to_owned();
    let mut newest_format = (FORMAT_UNBOUND, 0);
    for (i, row) in rows.iter().enumerate() {
        let seq = i as u64 + 1;
        check_entry(id, row, seq, &prev, &mut newest_format)?;
        prev.clone_from(&row.hash);
    }
    let last = rows.len() as u64;
    if last != head.revision {
        return Err(ChainBreak::new(
            last + 1,
            BreakKind::Length,
            format!(
                "the history ends at entry {last} but the instance is at revision {}",
                head.revision
            ),
        ));
    }
    if prev != head.hash {
        return Err(ChainBreak::new(
            last,
            BreakKind::Head,
            "the last entry's hash is not the instance's recorded chain head",
        ));
    }
    match rows.last().and_then(|r| r.entry.binding.as_ref()) {
        None => Ok(Coverage::HistoryOnly),
        Some(b) if b.state == head.state => Ok(Coverage::StateBound),
        Some(_) => Err(ChainBreak::new(
            last,
            BreakKind::State,
            "the instance (state, data, revision or wait) is not the one its last entry produced",
        )),
    }
}

/// The checks of one entry, given the hash of the one before it.
fn check_entry(
    id: &InstanceId,
    row: &StoredEntry,
    seq: u64,
    prev: &str,
    newest_format: &mut (u8, u64),
) -> Result<(), ChainBreak> {
    if row.entry.seq != seq {
        return Err(ChainBreak::new(
            seq,
            BreakKind::Sequence,
            format!(
                "expected entry {seq} here but found entry {} (deleted or reordered rows)",
                row.entry.seq
            ),
        ));
    }
    if row.prev_hash != prev {
        return Err(ChainBreak::new(
            seq,
            BreakKind::PrevHash,
            "prev_hash does not match the hash of the entry before it",
        ));
    }
    if chain_hash(prev, id, &row.entry) != row.hash {
        return Err(ChainBreak::new(
            seq,
            BreakKind::Content,
            "the entry's content does not match its hash (edited after it was written)",
        ));
    }
    let format = format_of(&row.entry);
    let (newest, since) = *newest_format;
    if format < newest {
        return Err(ChainBreak::new(
            seq,
            BreakKind::Downgrade,
            format!(
                "entry {seq} uses hash format {format} although entry {since} already used format {newest}"
            ),
        ));
    }
    if format > newest {
        *newest_format = (format, seq);
    }
    Ok(())
}
