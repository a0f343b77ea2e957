//! The one way the API and the console run a command on an LPA. Every create and event they commit passes
//! through here, so what must follow a committed command (the fee refund counters, see `metrics.rs`) happens
//! exactly once per committed decision, whichever adapter (JSON route, console form) asked. A replayed
//! `Idempotency-Key` answer commits nothing and does not pass here.

use crate::state::AppState;
use lpaflow_core::{Command, InstanceId};
use lpaflow_engine::{Error, Outcome};
use lpaflow_store::IdempotencyMark;

/// Creates LPA `uid` of the configured workflow.
pub(crate) async fn create(
    state: &AppState,
    uid: InstanceId,
    command: Command,
    idempotency: Option<IdempotencyMark>,
) -> Result<Outcome, Error> {
    let outcome = state
        .engine
        .create_keyed(&state.config.lpa_workflow, uid, command, idempotency)
        .await?;
    crate::metrics::record_committed(&outcome);
    Ok(outcome)
}

/// Fires `command` at LPA `uid`.
pub(crate) async fn fire(
    state: &AppState,
    uid: &InstanceId,
    command: Command,
    idempotency: Option<IdempotencyMark>,
) -> Result<Outcome, Error> {
    let outcome = state.engine.fire_keyed(uid, command, idempotency).await?;
    crate::metrics::record_committed(&outcome);
    Ok(outcome)
}
