//! Engine outcomes as HTTP problems: each rejection has one status and one stable code.

use crate::problem::{FieldProblem, Problem};
use axum::http::StatusCode;
use lpaflow_app::Error;
use lpaflow_core::Rejection;

/// The problem for an engine error. `payload_at` is where the command's payload sits in the request body
/// (`""` when the body is the payload, `"/payload"` for events), for the pointers of payload problems.
pub fn problem(e: Error, payload_at: &str) -> Problem {
    match e {
        Error::Rejected(r) => rejection(r, payload_at),
        Error::NotFound(uid) => Problem::lpa_not_found(uid.as_str()),
        Error::AlreadyExists(uid) => Problem::new(
            StatusCode::CONFLICT,
            "lpa_already_exists",
            format!("an LPA {uid} already exists"),
        ),
        Error::Contended { uid } => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "contended",
            format!("{uid} is being changed by many requests at once; retry"),
        )
        .retry_after(1),
        Error::ShuttingDown => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down; retry",
        )
        .retry_after(1),
        Error::Store(s) => Problem::store(&s),
        e @ (Error::UnknownWorkflow(_) | Error::Corrupt(_) | Error::Definitions(_)) => {
            Problem::internal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the server could not process this request",
                &e,
            )
        }
    }
}

/// The problem for an interpreter rejection.
pub fn rejection(r: Rejection, payload_at: &str) -> Problem {
    let detail = r.to_string();
    match r {
        Rejection::UnknownEvent { event } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_event",
            format!("the workflow has no event {event:?}"),
        )
        .with_errors(vec![FieldProblem::new(
            "/event",
            format!("{event:?} is not an event of this workflow"),
        )]),
        Rejection::StaleRevision { .. } => {
            Problem::new(StatusCode::CONFLICT, "revision_conflict", detail)
        }
        Rejection::RoleNotAllowed { .. } => Problem::forbidden(detail),
        Rejection::Terminal { .. } => Problem::new(StatusCode::CONFLICT, "terminal_state", detail),
        Rejection::NotAllowedInState { .. } => {
            Problem::new(StatusCode::CONFLICT, "not_allowed_in_state", detail)
        }
        Rejection::AwaitingSync { .. } => {
            Problem::new(StatusCode::CONFLICT, "awaiting_sync", detail).retry_after(5)
        }
        Rejection::InvalidPayload { problems, .. } => Problem::validation(
            problems
                .into_iter()
                .map(|p| FieldProblem::new(format!("{payload_at}{}", p.pointer), p.detail))
                .collect(),
        ),
        Rejection::GuardFailed { unmet, .. } => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "guard_failed", detail).with_errors(
                unmet
                    .into_iter()
                    .map(|u| FieldProblem {
                        pointer: String::new(),
                        detail: u.detail,
                        code: Some(u.code),
                    })
                    .collect(),
            )
        }
        r @ (Rejection::DefinitionMismatch { .. } | Rejection::UnknownState { .. }) => {
            Problem::internal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the server could not process this request",
                &r,
            )
        }
    }
}
