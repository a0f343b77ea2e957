//! `POST /v1/lpas`, `GET /v1/lpas/{uid}`, `POST /v1/lpas/{uid}/events`.

use crate::auth::Caller;
use crate::body::{JsonObject, kind};
use crate::etag::{etag, parse_etag};
use crate::extract::{Path, Query};
use crate::problem::{FieldProblem, Problem};
use crate::state::AppState;
use crate::{authorize, errors, prefer, uid};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use lpaflow_app::FireError;
use lpaflow_app::IdempotencyMark;
use lpaflow_app::view::LpaView;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::IntoParams;

/// The answer to a command: the LPA's view, or with `Prefer: return=minimal` its uid, state and revision.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Answer {
    /// The LPA as the caller's role sees it (the default).
    View(Box<LpaView>),
    /// `Prefer: return=minimal`.
    Minimal(prefer::Written),
}

/// `?explain=true` adds every refused event with its reason.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ViewQuery {
    /// List the events the caller may not fire now, each with the reason.
    #[serde(default)]
    pub explain: bool,
}

fn with_etag(
    status: StatusCode,
    view: LpaView,
    extra: Option<(header::HeaderName, String)>,
) -> Response {
    let mut response = (status, Json(&view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(view.revision)) {
        response.headers_mut().insert(header::ETAG, v);
    }
    if let Some((name, value)) = extra
        && let Ok(v) = HeaderValue::from_str(&value)
    {
        response.headers_mut().insert(name, v);
    }
    response
}

/// Create an LPA from its application data.
#[utoipa::path(post, path = "/v1/lpas", operation_id = "createLpa", tag = "lpas",
    request_body(content = crate::openapi::schemas::Application, description = "The application (see docs/lpa-data.md); `uid` is optional and generated in the `M-XXXX-XXXX-XXXX` form when absent."),
    params(("Prefer" = Option<String>, Header, description = "`return=minimal` (RFC 7240) answers with the uid, state and revision only")),
    responses(
        (status = 201, description = "Created: the LPA's view, or with `Prefer: return=minimal` its uid, state and revision", body = Answer, headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "`malformed_json`, `invalid_uid`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: only services create LPAs", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lpa_already_exists`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` listing every invalid field, `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    key: Option<Extension<IdempotencyMark>>,
    JsonObject(mut body): JsonObject,
) -> Result<Response, Problem> {
    let key = key.map(|Extension(k)| k);
    let given = match body.remove("uid") {
        None => None,
        Some(Value::String(s)) => Some(uid::parse(&s)?),
        Some(other) => {
            return Err(Problem::validation(vec![FieldProblem::new(
                "/uid",
                format!("must be a string, not {}", kind(&other)),
            )]));
        }
    };
    let outcome = state
        .lpas
        .create(&caller, given, Value::Object(body), key)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    if prefer::wants_minimal(&headers) {
        let location = format!("/v1/lpas/{}", outcome.stored.instance.id);
        return Ok(prefer::minimal(
            StatusCode::CREATED,
            &outcome.stored,
            Some((header::LOCATION, location)),
        ));
    }
    let view = state
        .lpas
        .view_of(&outcome.stored, caller.role, false)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    let location = format!("/v1/lpas/{}", view.uid);
    Ok(with_etag(
        StatusCode::CREATED,
        view,
        Some((header::LOCATION, location)),
    ))
}

/// One LPA: state, data, findings, fee ledger, sync steps, timers and the events the caller may fire.
#[utoipa::path(get, path = "/v1/lpas/{uid}", operation_id = "getLpa", tag = "lpas",
    params(("uid" = String, Path, description = "M-XXXX-XXXX-XXXX"), ViewQuery, ("If-None-Match" = Option<String>, Header, description = "A revision ETag; 304 if unchanged")),
    responses(
        (status = 200, description = "The LPA", body = LpaView, headers(("ETag" = String))),
        (status = 304, description = "Not modified: the revision is the one `If-None-Match` names", headers(("ETag" = String, description = "The revision's ETag"))),
        (status = 400, description = "`invalid_uid`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`lpa_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    Query(q): Query<ViewQuery>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let id = uid::parse(&raw)?;
    let stored = state
        .lpas
        .existing(&id)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    let revision = stored.instance.revision;
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == "*" || parse_etag(t) == Some(revision))
        });
    if not_modified {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(&etag(revision)) {
            r.headers_mut().insert(header::ETAG, v);
        }
        return Ok(r);
    }
    let view = state
        .lpas
        .view_of(&stored, caller.role, q.explain)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    Ok(with_etag(StatusCode::OK, view, None))
}

/// The body of `POST /v1/lpas/{uid}/events`.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EventRequest {
    /// The event, e.g. `submit`, `accept_finding`, `sign_as_donor`.
    #[schema(min_length = 1, max_length = 128, pattern = r"^[A-Za-z0-9_.:-]+$")]
    event: String,
    /// The event's data (an object; `{}` when the event takes none).
    #[schema(value_type = Option<Object>)]
    payload: Option<Value>,
}

/// Reads `{event, payload}`, listing every problem.
fn read_event(body: &Map<String, Value>) -> Result<(String, Value), Problem> {
    let mut problems = Vec::new();
    for key in body
        .keys()
        .filter(|k| !["event", "payload"].contains(&k.as_str()))
    {
        problems.push(FieldProblem::new(
            format!("/{key}"),
            "is not a field of an event request (expected `event` and `payload`)",
        ));
    }
    let event = match body.get("event") {
        None => {
            problems.push(FieldProblem::new("/event", "is required"));
            None
        }
        Some(Value::String(s)) => match lpaflow_core::names::name_problem(s) {
            None => Some(s.clone()),
            Some(why) => {
                problems.push(FieldProblem::new("/event", format!("the event name {why}")));
                None
            }
        },
        Some(other) => {
            problems.push(FieldProblem::new(
                "/event",
                format!("must be a string, not {}", kind(other)),
            ));
            None
        }
    };
    let payload = match body.get("payload") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::Object(o)) => Value::Object(o.clone()),
        Some(other) => {
            problems.push(FieldProblem::new(
                "/payload",
                format!("must be an object, not {}", kind(other)),
            ));
            Value::Null
        }
    };
    match (event, problems.is_empty()) {
        (Some(e), true) => Ok((e, payload)),
        _ => Err(Problem::validation(problems)),
    }
}

/// Fire an event at an LPA.
#[utoipa::path(post, path = "/v1/lpas/{uid}/events", operation_id = "fireEvent", tag = "lpas",
    request_body = EventRequest,
    params(("uid" = String, Path, description = "M-XXXX-XXXX-XXXX"),
           ("If-Match" = Option<String>, Header, pattern = r#"^(W/)?"?[0-9]+"?$"#, description = "The revision ETag the caller last saw; required for data changes (`update_application`)"),
           ("Prefer" = Option<String>, Header, description = "`return=minimal` (RFC 7240) answers with the uid, state and revision only")),
    responses(
        (status = 200, description = "The LPA after the event (and any automatic transitions it enabled): its view, or with `Prefer: return=minimal` its uid, state and revision", body = Answer, headers(("ETag" = String))),
        (status = 400, description = "`malformed_json`, `invalid_uid`, `invalid_if_match`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: the role may not fire this event", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`lpa_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`revision_conflict`, `not_allowed_in_state`, `terminal_state`, `awaiting_sync` (after the role check: a role that may not fire the event gets 403 whatever its `If-Match`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`guard_failed` listing every unmet condition, `validation_failed`, `unknown_event`, `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`if_match_required`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn fire(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    key: Option<Extension<IdempotencyMark>>,
    JsonObject(body): JsonObject,
) -> Result<Response, Problem> {
    let id = uid::parse(&raw)?;
    let (event, payload) = read_event(&body)?;
    // Authorization before preconditions: a role that may not fire this event learns nothing of revisions.
    authorize::event(&state, &caller, &event)?;
    let expected = match headers.get(header::IF_MATCH) {
        None => None,
        Some(v) => Some(v.to_str().ok().and_then(parse_etag).ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_if_match",
                "If-Match must be a revision ETag such as \"3\"",
            )
        })?),
    };
    let outcome = state
        .lpas
        .fire(
            &caller,
            &id,
            &event,
            payload,
            expected,
            key.map(|Extension(k)| k),
        )
        .await
        .map_err(|e| match e {
            FireError::RevisionRequired { event } => Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "if_match_required",
                format!("{event} changes data: send If-Match with the revision ETag you last read"),
            ),
            FireError::Engine(e) => errors::problem(e, "/payload"),
        })?;
    if prefer::wants_minimal(&headers) {
        return Ok(prefer::minimal(StatusCode::OK, &outcome.stored, None));
    }
    let view = state
        .lpas
        .view_of(&outcome.stored, caller.role, false)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    Ok(with_etag(StatusCode::OK, view, None))
}

/// The answer to a request that committed but whose response was lost (see `idempotency.rs`): the LPA as it is
/// now, `201` with `Location` for a creation, `200` otherwise.
pub async fn current(
    state: &AppState,
    caller: &Caller,
    uid: &lpaflow_core::InstanceId,
    created: bool,
) -> Response {
    match state.lpas.view(uid, caller.role, false).await {
        Ok(view) if created => {
            let location = format!("/v1/lpas/{}", view.uid);
            with_etag(
                StatusCode::CREATED,
                view,
                Some((header::LOCATION, location)),
            )
        }
        Ok(view) => with_etag(StatusCode::OK, view, None),
        Err(e) => errors::problem(e, "").into_response(),
    }
}
