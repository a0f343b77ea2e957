//! Authorization first. Whether the caller's role may use a route at all is decided before anything else
//! about the request: before its path, query or body are parsed, before `If-Match` and other preconditions,
//! before an `Idempotency-Key` is reserved or its stored answer replayed. So a role that may not act learns
//! only "403", never whether an LPA's revision moved, whether a key was used, or what its answer was.
//!
//! [`gate`] is a route layer placed outside the idempotency layer; [`event`] is the finer check of one event's
//! roles, made by the event handler before its preconditions. The handlers keep their own `require` checks,
//! because the console calls them directly.

use crate::auth::{Caller, Role};
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lpaflow_core::{EventName, RoleName};

/// Who may use a route.
#[derive(Clone, Copy, Debug)]
pub enum Who {
    /// Any authenticated caller.
    Anyone,
    /// These roles.
    Roles(&'static [Role]),
    /// The roles the LPA workflow lets create an instance (any loaded version).
    Creators,
    /// The roles the LPA workflow lets fire at least one event (any loaded version).
    EventFirers,
}

/// The state of one [`gate`]: the application, who may pass and what they would be doing (for the message).
#[derive(Clone)]
pub struct Gate {
    state: AppState,
    who: Who,
    what: &'static str,
}

impl Gate {
    /// A gate letting `who` do `what`.
    pub fn new(state: &AppState, who: Who, what: &'static str) -> Self {
        Self {
            state: state.clone(),
            who,
            what,
        }
    }
}

/// The middleware: authenticates the caller and refuses a role `who` does not include.
pub async fn gate(State(gate): State<Gate>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &gate.state).await {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let allowed = allowed_roles(&gate.state, gate.who);
    if let Err(p) = caller.require(&allowed, gate.what) {
        return p.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn allowed_roles(state: &AppState, who: Who) -> Vec<Role> {
    match who {
        Who::Anyone => Role::ALL.to_vec(),
        Who::Roles(roles) => roles.to_vec(),
        Who::Creators => workflow_roles(state, |def| def.create().roles.clone()),
        Who::EventFirers => workflow_roles(state, |def| {
            def.transitions()
                .iter()
                .flat_map(|t| t.roles.iter().cloned())
                .collect()
        }),
    }
}

/// The API roles named by `roles_of` in any loaded version of the LPA workflow (`system` is no API role).
fn workflow_roles(
    state: &AppState,
    roles_of: impl Fn(&lpaflow_core::WorkflowDef) -> Vec<RoleName>,
) -> Vec<Role> {
    let names: Vec<RoleName> = lpa_versions(state).flat_map(roles_of).collect();
    Role::ALL
        .into_iter()
        .filter(|r| names.iter().any(|n| n.as_str() == <&str>::from(*r)))
        .collect()
}

fn lpa_versions(state: &AppState) -> impl Iterator<Item = &lpaflow_core::WorkflowDef> {
    let name = state.config.lpa_workflow.as_str();
    state
        .engine
        .definitions()
        .all()
        .filter(move |d| d.name() == name)
        .map(|d| d.as_ref())
}

/// Refuses `event` when no transition of it, in any loaded version of the LPA workflow, allows the caller's
/// role. An event no version knows passes: the engine answers `unknown_event` with its pointer.
pub fn event(state: &AppState, caller: &Caller, event: &str) -> Result<(), Problem> {
    let event = EventName::new(event);
    if !lpa_versions(state).any(|d| d.knows_event(&event)) {
        return Ok(());
    }
    let allowed: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| {
            let name = RoleName::new(<&str>::from(*r));
            lpa_versions(state).any(|d| d.transitions_for(&event).any(|t| t.allows(&name)))
        })
        .collect();
    caller.require(&allowed, &format!("fire {event}"))
}
