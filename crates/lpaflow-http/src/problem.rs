//! Every failure at the HTTP edge is one `application/problem+json` body (RFC 9457) with a stable `code`, the
//! HTTP status, a plain sentence and, for validation, every problem with its JSON pointer. 5xx bodies carry
//! the request id and never internals; the details go to the log.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of problem bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem with a part of the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// JSON pointer into the request body (empty for the whole body).
    pub pointer: String,
    /// What is wrong.
    pub detail: String,
    /// A stable code for unmet conditions (`missing_signature`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A problem response.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`/problems/<code>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// Stable machine-readable code, e.g. `guard_failed`.
    pub code: String,
    /// What happened, for this request.
    pub detail: String,
    /// Every problem with a field or an unmet condition.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// The request id (5xx only), to find the details in the log.
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Seconds to wait before retrying (also sent as `Retry-After`).
    #[serde(rename = "retryAfterSeconds", skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

impl Problem {
    /// A problem with `status`, `code` and a sentence.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail: detail.into(),
            errors: Vec::new(),
            request_id: None,
            retry_after_seconds: None,
        }
    }

    /// The same problem listing `errors`.
    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Self {
        self.errors = errors;
        self
    }

    /// The same problem asking to retry after `seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_seconds = Some(seconds);
        self
    }

    /// A 5xx that hides `cause` from the caller and logs it with a fresh request id.
    pub fn internal(
        status: StatusCode,
        code: &str,
        detail: &str,
        cause: &dyn std::fmt::Display,
    ) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        tracing::error!(request_id = %id, code, error = %cause, "request failed");
        let mut p = Self::new(status, code, detail);
        p.request_id = Some(id);
        p
    }

    /// 503 for a database failure, saying whether a retry helps by itself (`store_unavailable`) or an operator
    /// must act first (`database_read_only`, `database_full`).
    ///
    /// A value the database refused (`Failure::InvalidData`, e.g. a NUL in text on PostgreSQL) is no outage: it
    /// is 422 `unstorable_value` without `Retry-After`, and only the kind of failure is logged (the database's
    /// message may quote the value, which may be personal data).
    pub fn store(e: &lpaflow_app::StoreError) -> Self {
        use lpaflow_app::Failure;
        let (code, detail, retry_after) = match e.failure() {
            Failure::InvalidData => {
                tracing::warn!(
                    code = "unstorable_value",
                    "the database refused a value of the request"
                );
                return Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unstorable_value",
                    "the request holds a value the database cannot store (for example a NUL character or a \
                     number out of range)",
                );
            }
            Failure::ReadOnly => (
                "database_read_only",
                "the database refuses writes (it is read-only); an operator must make it writable",
                30,
            ),
            Failure::Full => (
                "database_full",
                "the database's disk is full; an operator must free space",
                30,
            ),
            Failure::Unreachable | Failure::Other => (
                "store_unavailable",
                "the database did not answer; retry later",
                1,
            ),
        };
        Self::internal(StatusCode::SERVICE_UNAVAILABLE, code, detail, e).retry_after(retry_after)
    }

    /// 400 `malformed_json`.
    pub fn malformed_json(why: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {why}"),
        )
    }

    /// 422 `validation_failed` with every problem.
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let n = errors.len();
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!(
                "the request has {n} invalid field{}",
                if n == 1 { "" } else { "s" }
            ),
        )
        .with_errors(errors)
    }

    /// 403 `forbidden`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 400 `invalid_query` naming every query parameter in trouble.
    pub fn invalid_query(problems: Vec<FieldProblem>) -> Self {
        let names: Vec<&str> = problems
            .iter()
            .map(|p| p.pointer.trim_start_matches('/'))
            .collect();
        let detail = format!("check the query parameters {}", names.join(" and "));
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", detail).with_errors(problems)
    }

    /// 404 `maintenance_not_found`.
    pub fn maintenance_not_found(id: i64) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "maintenance_not_found",
            format!("there is no maintenance window {id}"),
        )
    }

    /// 404 `lpa_not_found`.
    pub fn lpa_not_found(uid: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "lpa_not_found",
            format!("there is no LPA {uid}"),
        )
    }
}

impl FieldProblem {
    /// A problem at `pointer`.
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
            code: None,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.retry_after_seconds;
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(s) = retry
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<lpaflow_core::PayloadProblem> for FieldProblem {
    fn from(p: lpaflow_core::PayloadProblem) -> Self {
        Self::new(p.pointer, p.detail)
    }
}

impl From<lpaflow_app::reports::ReportError> for Problem {
    fn from(e: lpaflow_app::reports::ReportError) -> Self {
        use lpaflow_app::reports::ReportError;
        match e {
            ReportError::Forbidden(f) => f.into(),
            ReportError::Range(problems) => {
                Problem::invalid_query(problems.into_iter().map(FieldProblem::from).collect())
            }
            ReportError::Engine(e) => crate::errors::problem(e, ""),
        }
    }
}

impl From<lpaflow_app::reveals::RevealError> for Problem {
    fn from(e: lpaflow_app::reveals::RevealError) -> Self {
        use lpaflow_app::reveals::RevealError;
        match e {
            RevealError::Forbidden(f) => f.into(),
            RevealError::Invalid(problems) => {
                Problem::validation(problems.into_iter().map(FieldProblem::from).collect())
            }
            RevealError::NoSuchEntry { uid, seq } => Problem::new(
                StatusCode::NOT_FOUND,
                "entry_not_found",
                format!("{uid} has no history entry {seq}"),
            ),
            RevealError::Engine(e) => crate::errors::problem(e, ""),
        }
    }
}

impl From<lpaflow_app::steps::DecideError> for Problem {
    fn from(e: lpaflow_app::steps::DecideError) -> Self {
        use lpaflow_app::steps::DecideError;
        match e {
            DecideError::Forbidden(f) => f.into(),
            DecideError::NoSuchStep { uid, id } => Problem::new(
                StatusCode::NOT_FOUND,
                "step_not_found",
                format!("{uid} has no step {id}"),
            ),
            DecideError::NotFailed { id } => Problem::new(
                StatusCode::CONFLICT,
                "step_not_failed",
                format!("step {id} is not failed; only failed steps can be retried or skipped"),
            ),
            DecideError::Engine(e) => crate::errors::problem(e, ""),
        }
    }
}

impl From<lpaflow_app::Forbidden> for Problem {
    fn from(f: lpaflow_app::Forbidden) -> Self {
        Self::forbidden(f.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lpaflow_app::{Failure, StoreError as Error};

    fn store_problem(failure: Failure) -> Response {
        Problem::store(&Error::NotRecorded {
            detail: "x".into(),
            failure,
        })
        .into_response()
    }

    #[test]
    fn a_refused_value_is_422_without_retry_after_and_an_outage_is_503_with_it() {
        let refused = store_problem(Failure::InvalidData);
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.headers().get(header::RETRY_AFTER).is_none());
        let outage = store_problem(Failure::Unreachable);
        assert_eq!(outage.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(outage.headers().get(header::RETRY_AFTER).is_some());
    }
}
