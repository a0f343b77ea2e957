//! `Path` and `Query` extractors whose rejections are problems: a path segment or a query string that does
//! not parse is 400 `invalid_path` / `invalid_query` as `application/problem+json`, like every other failure,
//! instead of axum's plain-text rejection. [`page_limit`] reads every `limit` parameter the same way.

use crate::problem::{FieldProblem, Problem};
use axum::extract::FromRequestParts;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::StatusCode;

/// `axum::extract::Path` with a problem rejection.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Problem))]
pub struct Path<T>(pub T);

/// `axum::extract::Query` with a problem rejection.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct Query<T>(pub T);

impl From<PathRejection> for Problem {
    fn from(e: PathRejection) -> Self {
        if e.status().is_server_error() {
            // A route whose handler expects parameters the route does not have: a bug, not bad input.
            Problem::internal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the server could not process this request",
                &e,
            )
        } else {
            Problem::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text())
        }
    }
}

impl From<QueryRejection> for Problem {
    fn from(e: QueryRejection) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text())
    }
}

/// A `limit` query parameter: `default` when absent, otherwise 1 to `max`. Every route with a `limit` reads it
/// here, so out of range is the same 422 naming `/limit` everywhere, never a silent clamp.
pub fn page_limit(given: Option<u32>, default: u32, max: u32) -> Result<u32, FieldProblem> {
    match given {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(FieldProblem::new(
            "/limit",
            format!("must be between 1 and {max} (got {n})"),
        )),
    }
}
