//! What the interpreter decided: the new instance, its history entry and the effects the runtime must persist
//! in the same transaction (steps, timers) and then carry out (follow-up events).

use crate::definition::{Delivery, WorkflowRef};
use crate::instance::Instance;
use crate::names::{Actor, EventName, RoleName, StateName, StepName, TimerName};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One changed value of the instance's data, located by JSON pointer. `None` means absent, which is not the
/// same as present and `null`: a key missing from the JSON is `None`, a key holding `null` is `Some(Null)`, so
/// a change read back from storage is exactly the change that was hashed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// JSON pointer into the data.
    pub pointer: String,
    /// The value before, if there was one.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "present"
    )]
    pub old: Option<Value>,
    /// The value after, if there is one.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "present"
    )]
    pub new: Option<Value>,
}

/// A key that is present is `Some`, even when it holds `null` (serde's default would make that `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// One entry of an instance's append-only history. `seq` equals the revision the entry produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// 1 for creation, then one more per accepted command.
    pub seq: u64,
    /// When it was decided (microsecond precision).
    pub at: DateTime<Utc>,
    /// Who fired it.
    pub actor: Actor,
    /// In which role.
    pub role: RoleName,
    /// The event (`create` for creation).
    pub event: EventName,
    /// The state before (`None` for creation).
    pub from: Option<StateName>,
    /// The state after.
    pub to: StateName,
    /// The command's payload.
    pub payload: Value,
    /// What changed in the data.
    pub changes: Vec<Change>,
    /// The definition that decided it.
    pub workflow: WorkflowRef,
    /// The interpreter and rules that decided it ([`crate::replay::recorded_version`]: `core/2
    /// lpaflow-lpa/2@Europe/London`; hash format 3). `None` for entries written before the rules were recorded:
    /// those cannot be replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
    /// The instance it produced and the timers it changed (hash format 2). The interpreter leaves it `None`;
    /// the store binds each entry to the instance it commits with it (`Binding::of`), and reads it back as
    /// stored (`None` for entries written before format 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<crate::history::Binding>,
}

/// A step to enqueue in the outbox, in order, with the payload it will be delivered with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepEffect {
    /// The step's name.
    pub name: StepName,
    /// Background or blocking.
    pub delivery: Delivery,
    /// For blocking steps: the event fired on confirmation.
    pub then: Option<EventName>,
    /// What the step handler receives.
    pub payload: Value,
}

/// A timer to set (or replace, by name) for the instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimerSet {
    /// Unique per instance: setting it again replaces it.
    pub name: TimerName,
    /// When it falls due.
    pub fire_at: DateTime<Utc>,
    /// The event fired as `system`.
    pub event: EventName,
    /// The event's payload.
    pub payload: Value,
}

/// Everything the runtime must do besides saving the new instance and its history entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Effects {
    /// Steps to enqueue, in order.
    pub steps: Vec<StepEffect>,
    /// Timers to set (after cancelling `cancel_timers`).
    pub set_timers: Vec<TimerSet>,
    /// Timers to cancel.
    pub cancel_timers: Vec<TimerName>,
    /// Automatic events whose guards pass in the new state, in declaration order. The runtime fires the first
    /// that is still accepted, in the same commit, and repeats from the state it leads to.
    pub follow_ups: Vec<EventName>,
}

/// An accepted command: persist `instance`, `entry` and `effects` in one transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The instance after the command (revision + 1).
    pub instance: Instance,
    /// Its history entry (`seq` = the new revision).
    pub entry: HistoryEntry,
    /// Steps, timers and follow-ups.
    pub effects: Effects,
    /// The rules' reading of `instance.data` (shared with the next decision of a chain and with the labels
    /// and search terms of the result; equal in every decision, see [`crate::Reading`]).
    pub reading: crate::Reading,
}

impl Decision {
    /// The state before the command (`None` for creation).
    pub fn from(&self) -> Option<&StateName> {
        self.entry.from.as_ref()
    }

    /// The state after the command.
    pub fn to(&self) -> &StateName {
        &self.entry.to
    }
}

/// Truncates a time to whole microseconds: the precision both databases keep, so that a hash computed before
/// a write matches one computed after a read.
pub fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}
