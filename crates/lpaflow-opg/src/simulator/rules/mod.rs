//! The LPA Store's rules, ported from its Go handlers (the pinned commit in `shared/lpa-store/COMMIT`),
//! never from lpaflow's client: what a create must hold (`lambda/create/`), how an update's changes are read
//! (`lambda/update/parse/`), and what each update type checks and does (`lambda/update/*.go`). Each rule
//! cites the Go file it comes from; where Go panics (a type assertion on a client's value, an index out of
//! range) the port answers [`GoPanic`], which the handler turns into API Gateway's 502.

pub mod create;
pub mod parse;
pub mod redundant;
pub mod update;
pub mod validate;

use lpaflow_lpa::lpa_store::FieldError;

/// Where the store's Go code would panic on this request (the Lambda crashes; API Gateway answers 502).
/// The simulator answers API Gateway's 502 `{"message": "Internal server error"}` and logs the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoPanic(pub &'static str);

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `400 INVALID_REQUEST` with these errors.
    Invalid(Vec<FieldError>),
    /// The Go code would panic.
    Panic(GoPanic),
    /// The handler answers `500 INTERNAL_SERVER_ERROR` (e.g. an image that is not base64).
    ServerError(&'static str),
}

impl From<GoPanic> for Refusal {
    fn from(p: GoPanic) -> Self {
        Refusal::Panic(p)
    }
}

/// A single field error.
pub fn refuse(source: &str, detail: &str) -> Vec<FieldError> {
    vec![FieldError::new(source, detail)]
}
