//! `GET /v1/opg/status` and the planned maintenance windows (admin).

use crate::auth::{Caller, Role};
use crate::body::JsonObject;
use crate::extract::Path;
use crate::problem::{FieldProblem, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SubsecRound, Utc};
use lpaflow_core::text::{TextKind, refused_char};
use lpaflow_engine::delivery::BreakerState;
use lpaflow_store::{Backlog, MaintenanceWindow};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The OPG database as lpaflow sees it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpgStatus {
    /// `up`, `down` (breaker open or probing), `maintenance`, or `not_configured` (this process delivers nothing).
    pub opg: String,
    /// `closed`, `open` or `half_open`.
    pub breaker: String,
    /// Seconds since the breaker last changed state.
    pub breaker_since_seconds: f64,
    /// The maintenance window in force.
    #[schema(value_type = Option<Object>)]
    pub maintenance: Option<MaintenanceWindow>,
    /// Steps not yet confirmed.
    pub pending_steps: u64,
    /// Steps refused for good.
    pub failed_steps: u64,
    /// Age of the oldest unconfirmed step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_pending_seconds: Option<i64>,
    /// Steps by status.
    #[schema(value_type = Object)]
    pub by_status: Value,
}

/// The OPG state for readiness and status: (`opg` word, breaker word).
pub fn opg_word(state: &AppState) -> (&'static str, &'static str, lpaflow_engine::DeliveryStatus) {
    let d = state.engine.delivery_status();
    let word = if !d.enabled {
        "not_configured"
    } else if d.maintenance.is_some() {
        "maintenance"
    } else if d.breaker == BreakerState::Closed {
        "up"
    } else {
        "down"
    };
    (word, d.breaker.into(), d)
}

/// Builds the status from the engine and the backlog.
pub fn status_of(state: &AppState, backlog: &Backlog) -> OpgStatus {
    let (word, breaker, d) = opg_word(state);
    let now = state.engine.clock().now();
    OpgStatus {
        opg: word.to_owned(),
        breaker: breaker.to_owned(),
        breaker_since_seconds: d.breaker_since_seconds,
        maintenance: d.maintenance,
        pending_steps: backlog.open(),
        failed_steps: backlog.by_status.get("failed").copied().unwrap_or(0),
        oldest_pending_seconds: backlog
            .oldest_open_at
            .map(|t| (now - t).num_seconds().max(0)),
        by_status: serde_json::to_value(&backlog.by_status).unwrap_or(Value::Null),
    }
}

/// Whether OPG is up, the breaker, maintenance and the backlog.
#[utoipa::path(get, path = "/v1/opg/status", operation_id = "getOpgStatus", tag = "opg",
    responses(
        (status = 200, description = "OPG status and backlog", body = OpgStatus),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn status(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<OpgStatus>, Problem> {
    let backlog = state
        .engine
        .store()
        .backlog()
        .await
        .map_err(|e| Problem::store(&e))?;
    Ok(Json(status_of(&state, &backlog)))
}

/// A window to plan.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct MaintenanceRequest {
    /// Start (RFC 3339).
    from: DateTime<Utc>,
    /// End (RFC 3339), after `from`.
    to: DateTime<Utc>,
    /// Why (shown to people).
    reason: String,
}

fn read_window(
    body: &serde_json::Map<String, Value>,
) -> Result<(DateTime<Utc>, DateTime<Utc>, String), Problem> {
    let mut problems = Vec::new();
    for key in body
        .keys()
        .filter(|k| !["from", "to", "reason"].contains(&k.as_str()))
    {
        problems.push(FieldProblem::new(
            format!("/{key}"),
            "is not a field of a maintenance window (from, to, reason)",
        ));
    }
    let mut time = |key: &str| match body.get(key) {
        Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(t.to_utc()),
            Err(_) => {
                problems.push(FieldProblem::new(
                    format!("/{key}"),
                    "must be an RFC 3339 time such as 2026-12-01T22:00:00Z",
                ));
                None
            }
        },
        _ => {
            problems.push(FieldProblem::new(
                format!("/{key}"),
                "is required (an RFC 3339 time)",
            ));
            None
        }
    };
    let (from, to) = (time("from"), time("to"));
    let reason = match body.get("reason") {
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 500 => {
            match refused_char(s.trim(), TextKind::Free) {
                None => Some(s.trim().to_owned()),
                Some(why) => {
                    problems.push(FieldProblem::new("/reason", why));
                    None
                }
            }
        }
        _ => {
            problems.push(FieldProblem::new(
                "/reason",
                "is required: 1 to 500 characters",
            ));
            None
        }
    };
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        problems.push(FieldProblem::new("/to", "must be after `from`"));
    }
    match (from, to, reason) {
        (Some(f), Some(t), Some(r)) if problems.is_empty() => Ok((f, t, r)),
        _ => Err(Problem::validation(problems)),
    }
}

/// Plan a maintenance window: no step is sent to OPG inside it.
#[utoipa::path(post, path = "/v1/opg/maintenance", operation_id = "addMaintenance", tag = "opg", request_body = MaintenanceRequest,
    responses(
        (status = 201, description = "Planned", body = Object),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn add_maintenance(
    State(state): State<AppState>,
    caller: Caller,
    JsonObject(body): JsonObject,
) -> Result<Response, Problem> {
    caller.require(&[Role::Admin], "plan OPG maintenance")?;
    let (from, to, reason) = read_window(&body)?;
    // Both databases keep microseconds: answer with the times as they are stored and listed later.
    let (from, to) = (from.trunc_subsecs(6), to.trunc_subsecs(6));
    let now = state.engine.clock().now().trunc_subsecs(6);
    let w = state
        .engine
        .store()
        .add_maintenance(from, to, &reason, &caller.sub, now)
        .await
        .map_err(|e| Problem::store(&e))?;
    state.engine.wake_delivery();
    tracing::info!(window = w.id, actor = %caller.sub, "OPG maintenance window planned");
    Ok((StatusCode::CREATED, Json(w)).into_response())
}

/// Windows that have not ended.
#[utoipa::path(get, path = "/v1/opg/maintenance", operation_id = "listMaintenance", tag = "opg",
    responses(
        (status = 200, description = "Windows, soonest first", body = [Object]),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_maintenance(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<MaintenanceWindow>>, Problem> {
    let now = state.engine.clock().now();
    Ok(Json(
        state
            .engine
            .store()
            .maintenance_windows(now)
            .await
            .map_err(|e| Problem::store(&e))?,
    ))
}

/// Cancel a maintenance window.
#[utoipa::path(delete, path = "/v1/opg/maintenance/{id}", operation_id = "removeMaintenance", tag = "opg", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "`invalid_path`: the id is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`maintenance_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn remove_maintenance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, Problem> {
    caller.require(&[Role::Admin], "cancel OPG maintenance")?;
    if state
        .engine
        .store()
        .remove_maintenance(id)
        .await
        .map_err(|e| Problem::store(&e))?
    {
        state.engine.wake_delivery();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::new(
            StatusCode::NOT_FOUND,
            "maintenance_not_found",
            format!("there is no maintenance window {id}"),
        ))
    }
}
