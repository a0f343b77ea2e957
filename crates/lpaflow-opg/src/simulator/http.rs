//! Response helpers shared by the simulator's handlers: the LPA Store's problem body, the markers that tell the
//! connection layer to drop a connection (reset faults) and the stats middleware to leave a response out.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

use crate::document::{FieldError, Problem};
use crate::simulator::state::SimulatorState;

/// On a response: the connection layer closes the connection instead of sending it.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// On a response: not an OPG API request (admin, stub protocol), left out of `requests` stats.
#[derive(Debug, Clone, Copy)]
pub struct Uncounted;

pub fn problem(
    status: StatusCode,
    code: &str,
    detail: impl Into<String>,
    errors: Vec<FieldError>,
) -> Response {
    let body = Problem {
        code: code.to_owned(),
        detail: detail.into(),
        errors,
    };
    (status, Json(body)).into_response()
}

/// `400 INVALID_REQUEST`; the detail repeats the errors so a log line or a client message says why.
pub fn invalid(errors: Vec<FieldError>) -> Response {
    let detail = errors
        .iter()
        .map(|e| e.detail.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    problem(StatusCode::BAD_REQUEST, "INVALID_REQUEST", detail, errors)
}

pub fn invalid_at(source: &str, detail: impl Into<String>) -> Response {
    invalid(vec![FieldError::new(source, detail)])
}

pub fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "Record not found",
        Vec::new(),
    )
}

pub fn internal(err: &dyn std::error::Error) -> Response {
    tracing::error!(error = %err, "OPG simulator store error");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_SERVER_ERROR",
        "Internal server error",
        Vec::new(),
    )
}

pub fn with_retry_after(mut response: Response, retry_after_s: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    response
}

pub fn unavailable(retry_after_s: u64) -> Response {
    with_retry_after(
        problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "OPG is unavailable",
            Vec::new(),
        ),
        retry_after_s,
    )
}

pub fn throttled(retry_after_s: u64) -> Response {
    with_retry_after(
        problem(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            "Too many requests",
            Vec::new(),
        ),
        retry_after_s,
    )
}

pub fn drop_connection() -> Response {
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

pub fn uncounted(mut response: Response) -> Response {
    response.extensions_mut().insert(Uncounted);
    response
}

pub fn created_empty() -> Response {
    (StatusCode::CREATED, Json(json!({}))).into_response()
}

/// Counts API responses by status (and dropped connections).
pub async fn count(
    State(state): State<Arc<SimulatorState>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if response.extensions().get::<Uncounted>().is_none() {
        if response.extensions().get::<DropConnection>().is_some() {
            state.stats.dropped();
        } else {
            state.stats.response(response.status().as_u16());
        }
    }
    response
}
