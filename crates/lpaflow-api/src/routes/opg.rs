//! `GET /v1/opg/status` and the planned maintenance windows (admin).

use crate::auth::{Caller, Role};
use crate::body::JsonObject;
use crate::errors;
use crate::extract::Path;
use crate::problem::{FieldProblem, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use lpaflow_app::MaintenanceWindow;
use lpaflow_app::maintenance::read_window;
use utoipa::ToSchema;

pub use lpaflow_app::ops::OpgStatus;

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
    let status = state
        .lpas
        .opg_status()
        .await
        .map_err(|e| errors::problem(e, ""))?;
    Ok(Json(status))
}

/// A window to plan.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct MaintenanceRequest {
    /// Start (RFC 3339).
    from: DateTime<Utc>,
    /// End (RFC 3339), after `from`.
    to: DateTime<Utc>,
    /// Why (shown to people): 1 to 500 characters, not only spaces.
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    reason: String,
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
    let w = read_window(&body)
        .map_err(|p| Problem::validation(p.into_iter().map(FieldProblem::from).collect()))?;
    let w = state
        .lpas
        .add_maintenance(w.from, w.to, &w.reason, &caller.sub)
        .await
        .map_err(|e| errors::problem(e, ""))?;
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
    Ok(Json(
        state
            .lpas
            .maintenance_windows()
            .await
            .map_err(|e| errors::problem(e, ""))?,
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
        .lpas
        .remove_maintenance(id)
        .await
        .map_err(|e| errors::problem(e, ""))?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::maintenance_not_found(id))
    }
}
