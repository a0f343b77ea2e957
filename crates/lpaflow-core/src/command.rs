//! A request to move an instance: which event, by whom, in which role, with what payload.

use crate::names::{Actor, EventName, RoleName};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A command for the interpreter. `expected_revision`, when given, must equal the instance's revision
/// (optimistic concurrency: the HTTP `If-Match`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Command {
    /// The event to fire.
    pub event: EventName,
    /// Who fires it (recorded in history).
    pub actor: Actor,
    /// The role it is fired in (checked against the transition's roles).
    pub role: RoleName,
    /// Event data (a JSON object; `{}` when there is none).
    pub payload: Value,
    /// The revision the caller last saw, if it wants compare-and-set.
    pub expected_revision: Option<u64>,
}

impl Command {
    /// A command with an empty payload and no expected revision.
    pub fn new(
        event: impl Into<EventName>,
        actor: impl Into<Actor>,
        role: impl Into<RoleName>,
    ) -> Self {
        Self {
            event: event.into(),
            actor: actor.into(),
            role: role.into(),
            payload: Value::Object(serde_json::Map::new()),
            expected_revision: None,
        }
    }

    /// The same command with `payload`.
    pub fn with_payload(mut self, payload: Value) -> Self {
        self.payload = payload;
        self
    }

    /// The same command, valid only at `revision`.
    pub fn at_revision(mut self, revision: u64) -> Self {
        self.expected_revision = Some(revision);
        self
    }

    /// A command the engine fires itself (timers, automatic transitions, step confirmations).
    pub fn system(event: EventName, why: &str) -> Self {
        Self::new(
            event,
            Actor::new(format!("system:{why}")),
            RoleName::system(),
        )
    }
}

impl From<String> for EventName {
    fn from(s: String) -> Self {
        EventName::new(s)
    }
}

impl From<String> for Actor {
    fn from(s: String) -> Self {
        Actor::new(s)
    }
}

impl From<String> for RoleName {
    fn from(s: String) -> Self {
        RoleName::new(s)
    }
}
