//! `GET /v1/lpas/{uid}/sync` (every OPG step of one LPA) and the admin's decisions on a failed step.

use crate::auth::{Caller, Role};
use crate::extract::Path;
use crate::problem::Problem;
use crate::state::AppState;
use crate::view::StepView;
use crate::{errors, uid};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
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
    let stored = state
        .engine
        .get(&id)
        .await
        .map_err(|e| errors::problem(e, ""))?
        .ok_or_else(|| Problem::lpa_not_found(id.as_str()))?;
    let steps = state
        .engine
        .steps(&id)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    Ok(Json(SyncStepsView {
        uid: id.to_string(),
        status: stored.sync_status.to_string(),
        steps: steps.iter().map(StepView::from).collect(),
    }))
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    id: i64,
    retry: bool,
) -> Result<Json<SyncStepsView>, Problem> {
    caller.require(
        &[Role::Admin],
        if retry {
            "retry OPG steps"
        } else {
            "skip OPG steps"
        },
    )?;
    let uid = uid::parse(raw)?;
    let step = state
        .engine
        .store()
        .step(id)
        .await
        .map_err(|e| errors::problem(e.into(), ""))?;
    if step.as_ref().is_none_or(|s| s.uid != uid) {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "step_not_found",
            format!("{uid} has no step {id}"),
        ));
    }
    let now = state.engine.clock().now();
    let store = state.engine.store();
    let changed = if retry {
        store.retry_failed_step(id, now).await
    } else {
        store.skip_failed_step(id, now).await
    }
    .map_err(|e| errors::problem(e.into(), ""))?;
    if !changed {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "step_not_failed",
            format!("step {id} is not failed; only failed steps can be retried or skipped"),
        ));
    }
    state.engine.wake_delivery();
    tracing::info!(uid = %uid, step_id = id, retry, actor = %caller.sub, "a person decided a failed OPG step");
    let stored = state
        .engine
        .get(&uid)
        .await
        .map_err(|e| errors::problem(e, ""))?
        .ok_or_else(|| Problem::lpa_not_found(uid.as_str()))?;
    let steps = state
        .engine
        .steps(&uid)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    Ok(Json(SyncStepsView {
        uid: uid.to_string(),
        status: stored.sync_status.to_string(),
        steps: steps.iter().map(StepView::from).collect(),
    }))
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
