//! What ties an instance's current row to its history (hash format 2). Each entry written since format 2 carries
//! the digest of the instance as that entry left it (workflow, version, state, revision, and the exact text of
//! its data and awaiting columns) and the timers it set and cancelled; both are inside the entry's hash. So the instance row can be checked against its head
//! entry: editing the state, the data or the revision outside lpaflow breaks the chain at its head.

use crate::decision::Effects;
use crate::instance::Instance;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The hash format of entries written before the state was bound to the chain: the entry's own fields only.
pub const FORMAT_UNBOUND: u8 = 1;
/// The hash format of entries that carry a [`Binding`] but not the version of the rules that decided them.
pub const FORMAT_BOUND: u8 = 2;
/// The hash format of entries that carry a [`Binding`] and their rules version (what `--replay` needs).
pub const FORMAT_RULED: u8 = 3;

/// The part of a format-2 entry that binds it to the instance it produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// [`Snapshot::digest`] of the instance after this entry.
    pub state: String,
    /// The timers this entry set and cancelled: `{"set": [TimerSet...], "cancel": [name...]}`.
    pub timers: Value,
}

impl Binding {
    /// The binding of a decision: the digest of its instance as stored (`snapshot`) and the timer changes it
    /// made.
    pub fn of(snapshot: &Snapshot<'_>, effects: &Effects) -> Self {
        Self {
            state: snapshot.digest(),
            timers: json!({"set": effects.set_timers, "cancel": effects.cancel_timers}),
        }
    }
}

/// An instance's data and wait as the store writes them (`serde_json::to_string`).
pub fn stored_text(instance: &Instance) -> (String, Option<String>) {
    let data = serde_json::to_string(&instance.data).unwrap_or_else(|_| "null".to_owned());
    let awaiting = instance
        .awaiting
        .as_ref()
        .map(|a| serde_json::to_string(a).unwrap_or_else(|_| "null".to_owned()));
    (data, awaiting)
}

/// [`Snapshot::digest`] of an instance, its JSON as the store writes it.
pub fn instance_digest(instance: &Instance) -> String {
    let (data, awaiting) = stored_text(instance);
    Snapshot::of(instance, &data, awaiting.as_deref()).digest()
}

/// An instance as its row stores it. The digest is over the exact text of the JSON columns, so the verifier
/// hashes what it reads without parsing it, and any change to a column's text (even whitespace) shows.
#[derive(Clone, Copy, Debug)]
pub struct Snapshot<'a> {
    /// The workflow it is pinned to.
    pub workflow: &'a str,
    /// That workflow's version.
    pub version: u32,
    /// Its state.
    pub state: &'a str,
    /// Its revision.
    pub revision: u64,
    /// Its data, as the JSON text stored.
    pub data: &'a str,
    /// Its wait for a blocking step, as the JSON text stored.
    pub awaiting: Option<&'a str>,
}

/// What the state digest's input starts with, so it can never be mistaken for another hash's input.
const SNAPSHOT_FORMAT: &[u8] = b"lpaflow instance v1";

impl<'a> Snapshot<'a> {
    /// The snapshot of `instance` with its JSON columns' text.
    pub fn of(instance: &'a Instance, data: &'a str, awaiting: Option<&'a str>) -> Self {
        Self {
            workflow: &instance.workflow.name,
            version: instance.workflow.version,
            state: instance.state.as_str(),
            revision: instance.revision,
            data,
            awaiting,
        }
    }

    /// `sha256` over every field, each preceded by its length (so no two snapshots share an input), hex.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        h.update(SNAPSHOT_FORMAT);
        let version = self.version.to_string();
        let revision = self.revision.to_string();
        let fields: [Option<&str>; 6] = [
            Some(self.workflow),
            Some(&version),
            Some(self.state),
            Some(&revision),
            Some(self.data),
            self.awaiting,
        ];
        for field in fields {
            match field {
                None => h.update([0u8]),
                Some(text) => {
                    h.update([1u8]);
                    h.update((text.len() as u64).to_le_bytes());
                    h.update(text.as_bytes());
                }
            }
        }
        hex::encode(h.finalize())
    }
}
