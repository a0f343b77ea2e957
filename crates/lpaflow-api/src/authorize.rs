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
    if let Err(f) = caller.require(&allowed, gate.what) {
        return Problem::from(f).into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn allowed_roles(state: &AppState, who: Who) -> Vec<Role> {
    match who {
        Who::Anyone => Role::ALL.to_vec(),
        Who::Roles(roles) => roles.to_vec(),
        Who::Creators => state.lpas.creator_roles(),
        Who::EventFirers => state.lpas.event_firer_roles(),
    }
}

/// Refuses `event` when no loaded version of the LPA workflow lets the caller's role fire it.
pub fn event(state: &AppState, caller: &Caller, event: &str) -> Result<(), Problem> {
    Ok(state.lpas.authorize_event(caller, event)?)
}
