//! Why the interpreter refused a command. Each variant names what the caller can change.

use crate::instance::Awaiting;
use crate::names::{EventName, RoleName, StateName};
use crate::rules::{PayloadProblem, Unmet};
use serde::Serialize;

/// A refused command. `code()` is stable (the HTTP API's problem `code`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Rejection {
    /// No transition of the workflow has this event.
    #[error("the workflow has no event {event:?}")]
    UnknownEvent {
        /// The event asked for.
        event: EventName,
    },
    /// The caller's revision is not the instance's.
    #[error("the instance is at revision {actual}, not {expected}; read it again and retry")]
    StaleRevision {
        /// What the caller expected.
        expected: u64,
        /// What it is.
        actual: u64,
    },
    /// The role may not fire this event (anywhere, or in this state).
    #[error("the role {role:?} may not fire {event:?}; allowed: {allowed:?}")]
    RoleNotAllowed {
        /// The event.
        event: EventName,
        /// The caller's role.
        role: RoleName,
        /// Roles that may.
        allowed: Vec<RoleName>,
    },
    /// The instance is in a terminal state.
    #[error("the instance is in the terminal state {state:?} and accepts no event")]
    Terminal {
        /// The terminal state.
        state: StateName,
    },
    /// The event exists but is not accepted in the current state.
    #[error("{event:?} is not accepted in the state {state:?}; it is accepted in {allowed_from:?}")]
    NotAllowedInState {
        /// The event.
        event: EventName,
        /// The current state.
        state: StateName,
        /// States that accept it.
        allowed_from: Vec<StateName>,
    },
    /// A blocking step is not confirmed yet.
    #[error("the instance awaits confirmation of {:?} before it accepts {event:?}", awaiting.step)]
    AwaitingSync {
        /// The event refused.
        event: EventName,
        /// What it waits for.
        awaiting: Awaiting,
    },
    /// The payload is not valid.
    #[error("the payload of {event:?} is not valid ({} problems)", problems.len())]
    InvalidPayload {
        /// The event.
        event: EventName,
        /// Every problem, with its pointer.
        problems: Vec<PayloadProblem>,
    },
    /// One or more conditions are not met.
    #[error("{event:?} cannot be fired now: {}", unmet.iter().map(|u| u.detail.as_str()).collect::<Vec<_>>().join("; "))]
    GuardFailed {
        /// The event.
        event: EventName,
        /// Every unmet condition.
        unmet: Vec<Unmet>,
    },
    /// The instance is pinned to another definition than the one given (a runtime bug, never the caller's).
    #[error("the instance is pinned to {pinned}, not {given}")]
    DefinitionMismatch {
        /// The instance's definition.
        pinned: String,
        /// The definition passed in.
        given: String,
    },
    /// The instance's state is not declared in its definition (corrupt data, never the caller's).
    #[error("the instance's state {state:?} is not declared in its definition")]
    UnknownState {
        /// The stored state.
        state: StateName,
    },
}

impl Rejection {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::UnknownEvent { .. } => "unknown_event",
            Rejection::StaleRevision { .. } => "revision_conflict",
            Rejection::RoleNotAllowed { .. } => "forbidden",
            Rejection::Terminal { .. } => "terminal_state",
            Rejection::NotAllowedInState { .. } => "not_allowed_in_state",
            Rejection::AwaitingSync { .. } => "awaiting_sync",
            Rejection::InvalidPayload { .. } => "validation_failed",
            Rejection::GuardFailed { .. } => "guard_failed",
            Rejection::DefinitionMismatch { .. } => "definition_mismatch",
            Rejection::UnknownState { .. } => "corrupt_instance",
        }
    }
}
