//! What ties an instance's current row to its history (hash format 2). Each entry written since format 2 carries
//! the digest of the instance as that entry left it (workflow, state, revision, data, awaiting) and the timers
//! it set and cancelled; both are inside the entry's hash. So the instance row can be checked against its head
//! entry: editing the state, the data or the revision outside lpaflow breaks the chain at its head.

use crate::decision::Effects;
use crate::definition::WorkflowRef;
use crate::instance::Instance;
use crate::json::canonical_json;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The hash format of entries written before the state was bound to the chain: the entry's own fields only.
pub const FORMAT_UNBOUND: u8 = 1;
/// The hash format of entries that carry a [`Binding`].
pub const FORMAT_BOUND: u8 = 2;

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
    /// The binding of a decision: its instance and the timer changes it made.
    pub fn of(instance: &Instance, effects: &Effects) -> Self {
        Self {
            state: instance_digest(instance),
            timers: json!({"set": effects.set_timers, "cancel": effects.cancel_timers}),
        }
    }
}

/// [`Snapshot::digest`] of an instance.
pub fn instance_digest(instance: &Instance) -> String {
    let awaiting = instance
        .awaiting
        .as_ref()
        .and_then(|a| serde_json::to_value(a).ok());
    Snapshot {
        workflow: &instance.workflow,
        state: instance.state.as_str(),
        revision: instance.revision,
        data: &instance.data,
        awaiting: awaiting.as_ref(),
    }
    .digest()
}

/// An instance as its row stores it, for [`Snapshot::digest`]. JSON columns are compared as values, so the
/// digest of a row read back equals the digest of the instance that was written.
#[derive(Clone, Copy, Debug)]
pub struct Snapshot<'a> {
    /// The definition it is pinned to.
    pub workflow: &'a WorkflowRef,
    /// Its state.
    pub state: &'a str,
    /// Its revision.
    pub revision: u64,
    /// Its data.
    pub data: &'a Value,
    /// Its wait for a blocking step, as JSON.
    pub awaiting: Option<&'a Value>,
}

impl Snapshot<'_> {
    /// `sha256` of the canonical JSON of every field, hex-encoded.
    pub fn digest(&self) -> String {
        let v = json!({
            "workflow": self.workflow.name,
            "version": self.workflow.version,
            "state": self.state,
            "revision": self.revision,
            "data": self.data,
            "awaiting": self.awaiting,
        });
        hex::encode(Sha256::digest(canonical_json(&v).as_bytes()))
    }
}
