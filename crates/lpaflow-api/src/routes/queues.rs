//! `GET /v1/lpas`: the caseworker queues, filtered by state, finding, label, sync status and owner, found by a
//! search (`q`), sorted by creation, last change, reference or the donor's name, paginated by a cursor in a
//! stable order. `POST /v1/lpas/next-case`: the case a caseworker should take next, claimed for them.

use crate::auth::Caller;
use crate::extract::Query;
use crate::problem::{FieldProblem, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lpaflow_app::queues::search_words;
use lpaflow_app::{
    Error, InstanceSummary, ListQuery, ListSort, MAX_PAGE, Page, StoreError, SyncStatus,
};
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
    /// Search: every word must start a reference part (`M-ABCD`, `EFGH`), or, for caseworkers, a name, a
    /// postcode or a date of birth (`31/01/1950`) of someone in the LPA. Others search by reference only.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// `me` (the caller's cases) or a caseworker's id.
    pub owner: Option<String>,
    /// `created` (default), `updated`, `reference` or `donor` (caseworkers only), with `-` in front for
    /// the reverse order.
    #[param(schema_with = crate::openapi::schemas::queue_sort)]
    pub sort: Option<String>,
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
    /// LPAs in the order asked for (then by uid).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<InstanceSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The sorts a list takes, by the name the API gives them.
pub const SORTS: &[(&str, ListSort)] = &[
    ("created", ListSort::Created),
    ("updated", ListSort::Updated),
    ("reference", ListSort::Reference),
    ("donor", ListSort::Title),
];

/// `created`, `-updated`...: the sort and whether it is reversed.
pub fn parse_sort(raw: &str) -> Option<(ListSort, bool)> {
    let (name, descending) = match raw.strip_prefix('-') {
        Some(rest) => (rest, true),
        None => (raw, false),
    };
    SORTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, sort)| (*sort, descending))
}

fn owner_label(caller: &Caller, owner: &str, problems: &mut Vec<FieldProblem>) -> Option<String> {
    let actor = if owner == "me" {
        caller.sub.as_str()
    } else {
        owner
    };
    if actor.is_empty() || actor.chars().any(|c| c.is_whitespace() || c.is_control()) {
        problems.push(FieldProblem::new(
            "/owner",
            "is neither \"me\" nor a caseworker's id (one word)",
        ));
        return None;
    }
    Some(lpaflow_lpa::labels::owner(actor))
}

fn query_of(state: &AppState, caller: &Caller, q: QueueQuery) -> Result<ListQuery, Problem> {
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
    let words = match q.q.as_deref().map(search_words).transpose() {
        Ok(w) => w.unwrap_or_default(),
        Err(e) => {
            problems.push(FieldProblem::new("/q", e.to_string()));
            Vec::new()
        }
    };
    let owner = q
        .owner
        .as_deref()
        .and_then(|o| owner_label(caller, o, &mut problems));
    let (sort, descending) = match q.sort.as_deref() {
        None => (ListSort::Created, false),
        Some(raw) => parse_sort(raw).unwrap_or_else(|| {
            let names: Vec<&str> = SORTS.iter().map(|(n, _)| *n).collect();
            problems.push(FieldProblem::new(
                "/sort",
                format!(
                    "{raw:?} is not a sort; use one of {}, with - in front for the reverse order",
                    names.join(", ")
                ),
            ));
            (ListSort::Created, false)
        }),
    };
    let limit = crate::extract::page_limit(q.limit, 50, MAX_PAGE)
        .map_err(|p| problems.push(p))
        .unwrap_or(0);
    if !problems.is_empty() {
        return Err(Problem::validation(problems));
    }
    Ok(ListQuery {
        state: q.state,
        labels: from_finding.or(q.label).into_iter().chain(owner).collect(),
        sync,
        words,
        sort,
        descending,
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
        (status = 422, description = "`validation_failed`: an unknown state, label, sync status or sort, a bad limit, owner or search", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<QueueQuery>,
) -> Result<Json<QueuePage>, Problem> {
    caller.require(LISTERS, "list LPAs")?;
    let query = query_of(&state, &caller, q)?;
    let page: Page<InstanceSummary> =
        state
            .lpas
            .list(&caller, &query)
            .await
            .map_err(|e| match e {
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

/// The case claimed by `next-case`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NextCase {
    /// The LPA, now the caller's case.
    pub uid: String,
}

/// Claims the case that most needs a person and nobody has: a blocking finding first, then a fee decision,
/// an objection, a failed OPG sync, a paper application to key in, an open finding; the longest waiting first.
#[utoipa::path(post, path = "/v1/lpas/next-case", operation_id = "takeNextCase", tag = "lpas",
    responses(
        (status = 200, description = "The case, claimed for the caller (an `assign_case` in its history)", body = NextCase),
        (status = 204, description = "No case waits for a person"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: caseworkers only", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn next_case(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    caller.require(&[lpaflow_app::Role::Caseworker], "take cases")?;
    match state.lpas.next_case(&caller).await {
        Ok(Some(uid)) => Ok(Json(NextCase {
            uid: uid.to_string(),
        })
        .into_response()),
        Ok(None) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(e) => Err(crate::errors::problem(e, "")),
    }
}
