//! Response helpers shared by the simulator's handlers: the LPA Store's problem body, the markers that tell the
//! connection layer to drop a connection (reset faults) and the stats middleware to leave a response out.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

use crate::simulator::state::SimulatorState;
use lpaflow_lpa::lpa_store::{
    FieldError, INTERNAL_SERVER_ERROR, INVALID_REQUEST, NOT_FOUND, Problem,
};

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

/// `400 INVALID_REQUEST` as the store answers it (`ProblemInvalidRequest`): detail "Invalid request".
pub fn invalid(errors: Vec<FieldError>) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        INVALID_REQUEST,
        "Invalid request",
        errors,
    )
}

/// A 400 of the simulator's own (fault settings), naming the field.
pub fn invalid_at(source: &str, detail: impl Into<String>) -> Response {
    invalid(vec![FieldError::new(source, detail)])
}

/// `400 INVALID_REQUEST` with the store's detail and no errors (a second create).
pub fn invalid_with_detail(detail: &str) -> Response {
    problem(StatusCode::BAD_REQUEST, INVALID_REQUEST, detail, Vec::new())
}

pub fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        NOT_FOUND,
        "Record not found",
        Vec::new(),
    )
}

/// `500 INTERNAL_SERVER_ERROR`, the store's answer to anything unexpected.
pub fn server_error() -> Response {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        INTERNAL_SERVER_ERROR,
        "Internal server error",
        Vec::new(),
    )
}

pub fn internal(err: &dyn std::error::Error) -> Response {
    tracing::error!(error = %err, "OPG simulator store error");
    server_error()
}

/// API Gateway's refusal of a request whose AWS signature is missing or wrong: 403 `{"message": ...}`.
/// API Gateway's answer when the Lambda behind it fails (a Go panic): 502 with its own body.
pub fn lambda_failed() -> Response {
    (
        StatusCode::BAD_GATEWAY,
        Json(serde_json::json!({ "message": "Internal server error" })),
    )
        .into_response()
}

/// API Gateway's answer when the Lambda outlives the integration timeout: 504 with its own body.
pub fn gateway_timeout() -> Response {
    (
        StatusCode::GATEWAY_TIMEOUT,
        Json(serde_json::json!({ "message": "Endpoint request timed out" })),
    )
        .into_response()
}

pub fn gateway_forbidden(error_type: &'static str, message: &str) -> Response {
    let mut response = (
        StatusCode::FORBIDDEN,
        Json(serde_json::json!({ "message": message })),
    )
        .into_response();
    response
        .headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    response
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
