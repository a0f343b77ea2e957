//! `/__admin/*`: fault settings at runtime, stats, reset. No JWT: these are the test harness's and the
//! benchmark's controls, not part of the OPG API, and they are never counted in `requests`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::simulator::faults::FaultsPatch;
use crate::simulator::http::{internal, invalid, invalid_at, uncounted};
use crate::simulator::state::SimulatorState;

type St = State<Arc<SimulatorState>>;

pub async fn get_faults(State(state): St) -> Response {
    uncounted(Json(state.faults()).into_response())
}

/// A JSON object; omitted keys keep their value.
pub async fn put_faults(State(state): St, body: Bytes) -> Response {
    let patch: FaultsPatch = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return uncounted(invalid_at("", format!("invalid fault settings: {e}"))),
    };
    match state.patch_faults(&patch) {
        Ok(faults) => {
            tracing::info!(?faults, "OPG simulator faults changed");
            uncounted(Json(faults).into_response())
        }
        Err(errors) => uncounted(invalid(errors)),
    }
}

pub async fn stats(State(state): St) -> Response {
    uncounted(Json(state.stats()).into_response())
}

#[derive(Deserialize)]
pub struct ResetQuery {
    #[serde(default)]
    data: bool,
}

/// Zeroes the stats; `?data=true` also forgets every LPA and the change log.
pub async fn reset(State(state): St, Query(q): Query<ResetQuery>) -> Response {
    let guard = state.store.lock().await;
    if let Err(e) = state.store.reset(&guard, q.data).await {
        return uncounted(internal(&e));
    }
    state.stats.reset();
    drop(guard);
    tracing::info!(data = q.data, "OPG simulator reset");
    uncounted(Json(state.stats()).into_response())
}
