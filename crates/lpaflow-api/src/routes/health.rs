//! `/healthz` (the process answers), `/readyz` (the database answers; OPG up or the service degraded) and
//! `/metrics` (Prometheus).

use crate::problem::Problem;
use crate::routes::opg::opg_word;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lpaflow_engine::delivery::BreakerState;
use lpaflow_store::Failure;
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
    let store = state.engine.store();
    if let Err(e) = store.ping().await {
        tracing::warn!(error = %e, "readiness: the database does not answer");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not_ready", "database": "unreachable"})),
        )
            .into_response();
    }
    // A refused value (InvalidData) or an unclassified error says nothing about the database's health.
    if let Some(w) = store.write_failure()
        && matches!(
            w.failure,
            Failure::Unreachable | Failure::ReadOnly | Failure::Full
        )
    {
        // The database answers reads but its writes fail: nothing can advance until an operator acts (read-only,
        // full) or it comes back (unreachable).
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not_ready", "database": w.failure, "since": w.since})),
        )
            .into_response();
    }
    let (opg, breaker, delivery) = opg_word(&state);
    let backlog = match store.backlog().await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the backlog cannot be read");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "not_ready", "database": "failing"})),
            )
                .into_response();
        }
    };
    let now = state.engine.clock().now();
    let oldest = backlog
        .oldest_open_at
        .map(|t| (now - t).num_seconds().max(0))
        .unwrap_or(0);
    let status = if opg == "down" || opg == "maintenance" {
        "degraded"
    } else {
        "ready"
    };
    let nodes = match store.nodes().await {
        Ok(nodes) => nodes,
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the engine processes cannot be read");
            Vec::new()
        }
    };
    let wall = chrono::Utc::now();
    let nodes: Vec<Value> = nodes
        .iter()
        .map(|n| {
            json!({
                "nodeId": n.node_id,
                "address": n.address,
                "startedAt": n.started_at,
                "heartbeatAt": n.heartbeat_at,
                "heartbeatAgeMs": (wall - n.heartbeat_at).num_milliseconds().max(0),
                "self": n.node_id == state.engine.node_id(),
            })
        })
        .collect();
    let mut body = json!({
        "status": status,
        "database": "ok",
        "opg": opg,
        "breaker": breaker,
        "pendingSteps": backlog.open(),
        "oldestPendingSeconds": oldest,
        "nodes": nodes,
    });
    if status == "degraded"
        && let Some(obj) = body.as_object_mut()
    {
        let last = delivery.last_unavailable.filter(|_| opg == "down");
        let credentials = last
            .as_ref()
            .and_then(|e| e.get("class"))
            .and_then(Value::as_str)
            == Some("credentials");
        let reason = match opg {
            "maintenance" => "opg_maintenance",
            _ if credentials => "opg_credentials_refused",
            _ => "opg_unavailable",
        };
        obj.insert("reason".into(), json!(reason));
        if let Some(last) = last {
            obj.insert("opgLastError".into(), last);
        }
    }
    Json(body).into_response()
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "health", responses((status = 200, description = "Metrics", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, Problem> {
    let store = state.engine.store();
    if let Ok(backlog) = store.backlog().await {
        for status in [
            "blocked",
            "queued",
            "suspended",
            "in_flight",
            "retrying",
            "failed",
        ] {
            let n = backlog.by_status.get(status).copied().unwrap_or(0);
            metrics::gauge!("lpaflow_outbox_backlog", "status" => status).set(n as f64);
        }
    }
    // The engine sets the breaker gauge only when the breaker changes state, so a process whose OPG never
    // failed would have no series at all; refresh it here (same values as the engine: 0 closed, 1 half-open,
    // 2 open).
    let delivery = state.engine.delivery_status();
    if delivery.enabled {
        let value = match delivery.breaker {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        };
        metrics::gauge!("lpaflow_breaker_state").set(value);
    }
    if let Ok(counts) = store.count_by_state().await {
        for (workflow, s, n) in counts {
            metrics::gauge!("lpaflow_instances", "workflow" => workflow, "state" => s)
                .set(n as f64);
        }
    }
    let body = state.metrics.render();
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response())
}
