//! `POST /v1/dev/clock` (admin, `serve --dev --dev-clock` only): move the business clock forward, so the
//! 28-day waiting period can be shown end to end.

use crate::auth::{Caller, Role};
use crate::body::JsonObject;
use crate::problem::{FieldProblem, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use lpaflow_core::Clock;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The development clock after a move.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClockView {
    /// The business clock's time now.
    pub now: DateTime<Utc>,
    /// How far it runs ahead of the wall clock.
    pub offset_seconds: i64,
}

/// Move the development clock forward.
#[utoipa::path(post, path = "/v1/dev/clock", operation_id = "advanceDevClock", tag = "dev",
    request_body(content = crate::openapi::schemas::ClockRequest, description = "How far to move the clock forward"),
    responses(
        (status = 200, description = "The new time", body = ClockView),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`dev_clock_disabled`: the server does not run with --dev-clock", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn advance(
    State(state): State<AppState>,
    caller: Caller,
    JsonObject(body): JsonObject,
) -> Result<Json<ClockView>, Problem> {
    let Some(clock) = state.config.dev_clock.clone() else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "dev_clock_disabled",
            "the development clock is off (start the server with --dev --dev-clock)",
        ));
    };
    caller.require(&[Role::Admin], "move the development clock")?;
    let by = match body.get("advance") {
        Some(Value::String(s)) if s.trim() != s => {
            return Err(Problem::validation(vec![FieldProblem::new(
                "/advance",
                "the duration has spaces around it; write it alone, e.g. \"28d\"",
            )]));
        }
        Some(Value::String(s)) => lpaflow_core::duration::parse_duration(s).map_err(|why| {
            Problem::validation(vec![FieldProblem::new(
                "/advance",
                format!("the duration {why}"),
            )])
        })?,
        _ => {
            return Err(Problem::validation(vec![FieldProblem::new(
                "/advance",
                "is required: a duration such as \"28d\"",
            )]));
        }
    };
    clock.advance(by);
    state.lpas.wake_timers();
    let now = clock.now();
    tracing::info!(offset_seconds = clock.offset().num_seconds(), actor = %caller.sub, "development clock moved forward");
    Ok(Json(ClockView {
        now,
        offset_seconds: clock.offset().num_seconds(),
    }))
}
