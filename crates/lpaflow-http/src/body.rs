//! Request bodies: read within the size limit (413), parse as JSON (400 `malformed_json`), require an object
//! (422). Field-level validation happens where the fields are understood (the LPA rules, the event body).

use crate::problem::{FieldProblem, Problem};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::{Map, Value};

/// A JSON object body.
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(too_large_or_unreadable)?;
        parse_object(&bytes).map(JsonObject)
    }
}

/// Parses `bytes` as a JSON object.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, Problem> {
    let value: Value = serde_json::from_slice(bytes).map_err(Problem::malformed_json)?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(Problem::validation(vec![FieldProblem::new(
            "",
            format!("must be a JSON object, not {}", kind(&other)),
        )])),
    }
}

/// The problem for a body that could not be read.
pub fn too_large_or_unreadable(e: BytesRejection) -> Problem {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than the server accepts",
        )
    } else {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "unreadable_body",
            format!("the request body could not be read: {e}"),
        )
    }
}

/// A JSON type's name for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
