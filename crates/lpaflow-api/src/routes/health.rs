//! `/healthz` (the process answers), `/readyz` (the database answers; OPG up or the service degraded) and
//! `/metrics` (Prometheus).

use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lpaflow_app::ops::{NotReady, Ready};
use serde_json::{Value, json};

/// The process is up.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "health", responses((status = 200, description = "Up", body = Object)))]
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Ready to serve: 200 `ready`, 200 `degraded` (OPG down, refusing lpaflow's credentials or in maintenance:
/// LPAs still advance locally, steps wait; `reason` says which), 503 `not_ready` (the database does not
/// answer, or refuses writes: `read_only`, `full`).
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "health",
    responses((status = 200, description = "`ready` or `degraded` (with the reason and the backlog), and `nodes`: the engine processes sharing the database with their last heartbeat", body = Object),
              (status = 503, description = "`not_ready`: the database does not answer or refuses writes (`database`: `unreachable`, `failing`, `read_only`, `full`)", body = Object)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.lpas.readiness().await {
        Ok(ready) => Json(ready_body(&ready)).into_response(),
        Err(why) => {
            let body = match why {
                NotReady::Unreachable => json!({"status": "not_ready", "database": "unreachable"}),
                NotReady::Writes { failure, since } => {
                    json!({"status": "not_ready", "database": failure, "since": since})
                }
                NotReady::Failing => json!({"status": "not_ready", "database": "failing"}),
            };
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

fn ready_body(r: &Ready) -> Value {
    let nodes: Vec<Value> = r
        .nodes
        .iter()
        .map(|n| {
            json!({
                "nodeId": n.node.node_id,
                "address": n.node.address,
                "startedAt": n.node.started_at,
                "heartbeatAt": n.node.heartbeat_at,
                "heartbeatAgeMs": n.heartbeat_age_ms,
                "self": n.is_self,
            })
        })
        .collect();
    let mut body = json!({
        "status": if r.degraded.is_some() { "degraded" } else { "ready" },
        "database": "ok",
        "opg": r.opg,
        "breaker": r.breaker,
        "pendingSteps": r.pending_steps,
        "oldestPendingSeconds": r.oldest_pending_seconds,
        "nodes": nodes,
    });
    if let (Some((why, last)), Some(obj)) = (&r.degraded, body.as_object_mut()) {
        let reason: &str = why.into();
        obj.insert("reason".into(), json!(reason));
        if let Some(last) = last {
            obj.insert("opgLastError".into(), last.clone());
        }
    }
    body
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "health", responses((status = 200, description = "Metrics", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, Problem> {
    state.lpas.refresh_gauges().await;
    let body = state.metrics.render();
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response())
}
