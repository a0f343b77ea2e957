//! `GET /v1/lpas/{uid}/sync` (every OPG step of one LPA) and the admin's decisions on a failed step.

use crate::auth::Caller;
use crate::extract::Path;
use crate::problem::Problem;
use crate::state::AppState;
use crate::{errors, uid};
use axum::Json;
use axum::extract::State;
use lpaflow_app::steps::{LpaSteps, StepDecision};
use lpaflow_app::view::StepView;
use lpaflow_core::InstanceId;
use serde::Serialize;
use utoipa::ToSchema;

/// The OPG steps of one LPA.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncStepsView {
    /// The LPA.
    pub uid: String,
    /// `synced`, `pending`, `awaiting_sync` or `failed`.
    pub status: String,
    /// Every step, in order.
    pub steps: Vec<StepView>,
}

impl SyncStepsView {
    fn of(uid: &InstanceId, s: &LpaSteps) -> Self {
        Self {
            uid: uid.to_string(),
            status: s.status.to_string(),
            steps: s.steps.iter().map(StepView::from).collect(),
        }
    }
}

/// Every OPG step of one LPA, with attempts and errors.
#[utoipa::path(get, path = "/v1/lpas/{uid}/sync", operation_id = "listSyncSteps", tag = "sync",
    params(("uid" = String, Path, description = "M-XXXX-XXXX-XXXX")),
    responses(
        (status = 200, description = "The steps", body = SyncStepsView),
        (status = 400, description = "`invalid_uid`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`lpa_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn steps(
    State(state): State<AppState>,
    _caller: Caller,
    Path(raw): Path<String>,
) -> Result<Json<SyncStepsView>, Problem> {
    let id = uid::parse(&raw)?;
    let steps = state
        .lpas
        .steps(&id)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    Ok(Json(SyncStepsView::of(&id, &steps)))
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    id: i64,
    retry: bool,
) -> Result<Json<SyncStepsView>, Problem> {
    // The route's gate refused other roles already; the service checks again (the console decides too).
    let uid = uid::parse(raw)?;
    let decision = if retry {
        StepDecision::Retry
    } else {
        StepDecision::Skip
    };
    let steps = state.lpas.decide_step(caller, &uid, id, decision).await?;
    Ok(Json(SyncStepsView::of(&uid, &steps)))
}

/// Send a failed step again (it is read back first, in case it took effect).
#[utoipa::path(post, path = "/v1/lpas/{uid}/sync/{id}/retry", operation_id = "retrySyncStep", tag = "sync",
    params(("uid" = String, Path), ("id" = i64, Path, description = "The step's outbox id")),
    responses(
        (status = 200, description = "The steps after the decision", body = SyncStepsView),
        (status = 400, description = "`invalid_uid`, `invalid_path`: the step id is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`step_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`step_not_failed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, id)): Path<(String, i64)>,
) -> Result<Json<SyncStepsView>, Problem> {
    decide(&state, &caller, &raw, id, true).await
}

/// Give up on a failed step so the LPA's later steps can go.
#[utoipa::path(post, path = "/v1/lpas/{uid}/sync/{id}/skip", operation_id = "skipSyncStep", tag = "sync",
    params(("uid" = String, Path), ("id" = i64, Path, description = "The step's outbox id")),
    responses(
        (status = 200, description = "The steps after the decision", body = SyncStepsView),
        (status = 400, description = "`invalid_uid`, `invalid_path`: the step id is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`step_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`step_not_failed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn skip(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, id)): Path<(String, i64)>,
) -> Result<Json<SyncStepsView>, Problem> {
    decide(&state, &caller, &raw, id, false).await
}
