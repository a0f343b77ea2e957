//! The store's error body (`internal/shared/problem.go`): `{code, detail, errors?: [{source, detail}]}`.

use serde::{Deserialize, Serialize};

/// `400`: the request was refused; `errors` say why.
pub const INVALID_REQUEST: &str = "INVALID_REQUEST";
/// `401`: the JWT was missing or invalid.
pub const UNAUTHORISED: &str = "UNAUTHORISED";
/// `404`: no such LPA (or no updates yet).
pub const NOT_FOUND: &str = "NOT_FOUND";
/// `500`: anything else, including a body that is not JSON.
pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";

/// One problem: `source` is a JSON pointer into the request body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Where.
    pub source: String,
    /// What.
    pub detail: String,
}

impl FieldError {
    /// A problem at `source`.
    pub fn new(source: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            detail: detail.into(),
        }
    }
}

/// The error body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// One of the codes above.
    pub code: String,
    /// A sentence.
    pub detail: String,
    /// Field problems (omitted when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}
