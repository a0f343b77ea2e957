//! `GET /v1/lpas`: the caseworker queues, filtered by state, finding, label and sync status, paginated by a
//! cursor in a stable order (creation time, then uid).

use crate::auth::Caller;
use crate::extract::Query;
use crate::problem::{FieldProblem, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lpaflow_app::{Error, InstanceSummary, ListQuery, MAX_PAGE, Page, StoreError, SyncStatus};
use lpaflow_lpa::labels;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use lpaflow_app::queues::LISTERS;

/// Labels a queue may filter on.
pub const LABELS: &[&str] = &[
    labels::FINDING_OPEN,
    labels::FINDING_BLOCKING,
    labels::FEE_DECISION_NEEDED,
    labels::FEE_REFUND_DUE,
    labels::OBJECTION_OPEN,
];

/// Filters (combined with AND).
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct QueueQuery {
    /// An lpaflow state, e.g. `safeguarding`.
    pub state: Option<String>,
    /// `open` (any open finding) or `blocking`.
    #[param(schema_with = crate::openapi::schemas::queue_finding)]
    pub finding: Option<String>,
    /// Any label: `finding:open`, `finding:blocking`, `fee:decision_needed`, `fee:refund_due`, `objection:open`.
    #[param(schema_with = crate::openapi::schemas::queue_label)]
    pub label: Option<String>,
    /// `pending` (any step not yet confirmed), `failed`, `awaiting_sync` or `synced`.
    #[param(schema_with = crate::openapi::schemas::sync_status)]
    pub sync: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueuePage {
    /// LPAs in (created, uid) order.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<InstanceSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn query_of(state: &AppState, q: QueueQuery) -> Result<ListQuery, Problem> {
    let mut problems = Vec::new();
    if let Some(s) = &q.state
        && !state.lpas.is_lpa_state(s)
    {
        problems.push(FieldProblem::new(
            "/state",
            format!(
                "{s:?} is not a state of the {} workflow",
                state.lpas.settings().lpa_workflow
            ),
        ));
    }
    let from_finding = match q.finding.as_deref() {
        None => None,
        Some("open") => Some(labels::FINDING_OPEN.to_owned()),
        Some("blocking") => Some(labels::FINDING_BLOCKING.to_owned()),
        Some(other) => {
            problems.push(FieldProblem::new(
                "/finding",
                format!("{other:?} is neither \"open\" nor \"blocking\""),
            ));
            None
        }
    };
    if let Some(l) = &q.label
        && !LABELS.contains(&l.as_str())
    {
        problems.push(FieldProblem::new(
            "/label",
            format!("{l:?} is not a label; use one of {}", LABELS.join(", ")),
        ));
    }
    if from_finding.is_some() && q.label.is_some() && from_finding != q.label {
        problems.push(FieldProblem::new(
            "/label",
            "give either `finding` or `label`, not both",
        ));
    }
    let sync = match q.sync.as_deref() {
        None => None,
        Some(s) => match s.parse::<SyncStatus>() {
            Ok(v) => Some(v),
            Err(_) => {
                problems.push(FieldProblem::new(
                    "/sync",
                    format!("{s:?} is not one of pending, failed, awaiting_sync, synced"),
                ));
                None
            }
        },
    };
    let limit = crate::extract::page_limit(q.limit, 50, MAX_PAGE)
        .map_err(|p| problems.push(p))
        .unwrap_or(0);
    if !problems.is_empty() {
        return Err(Problem::validation(problems));
    }
    Ok(ListQuery {
        state: q.state,
        labels: from_finding.or(q.label).into_iter().collect(),
        sync,
        cursor: q.cursor,
        limit,
        ..ListQuery::default()
    })
}

/// The caseworker queues.
#[utoipa::path(get, path = "/v1/lpas", operation_id = "listLpas", tag = "lpas", params(QueueQuery),
    responses(
        (status = 200, description = "A page of LPAs", body = QueuePage),
        (status = 400, description = "`invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: services do not list LPAs", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: an unknown state, label or sync status, a bad limit", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<QueueQuery>,
) -> Result<Json<QueuePage>, Problem> {
    caller.require(LISTERS, "list LPAs")?;
    let query = query_of(&state, q)?;
    let page: Page<InstanceSummary> = state.lpas.list(&query).await.map_err(|e| match e {
        Error::Store(StoreError::BadCursor(c)) => Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
            format!("the cursor {c:?} is not valid; start again without it"),
        ),
        other => crate::errors::problem(other, ""),
    })?;
    Ok(Json(QueuePage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
