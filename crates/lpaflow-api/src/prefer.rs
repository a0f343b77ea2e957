//! `Prefer: return=minimal` (RFC 7240): a client that only needs to know its command took effect asks for the
//! new revision and ETag instead of the whole LPA view. The view is the costliest part of a transition's answer
//! (the rules run again to explain it, steps and timers are read, a few kilobytes are written to the socket),
//! and a service firing events back to back rarely reads it. The full view stays the default; the minimal one
//! says it was applied (`Preference-Applied`), and both answers vary on `Prefer`.

use crate::etag::etag;
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lpaflow_app::StoredInstance;
use serde::Serialize;
use utoipa::ToSchema;

/// The `Prefer` header.
pub const PREFER: &str = "prefer";

/// Whether any `Prefer` header asks for `return=minimal` (tokens are case-insensitive, the value may be
/// quoted, preferences are separated by commas).
pub fn wants_minimal(headers: &HeaderMap) -> bool {
    headers
        .get_all(PREFER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.split(';').next())
        .filter_map(|p| p.split_once('='))
        .any(|(k, v)| {
            k.trim().eq_ignore_ascii_case("return")
                && v.trim().trim_matches('"').eq_ignore_ascii_case("minimal")
        })
}

/// The minimal answer: which LPA, where it is and at which revision (also in `ETag`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Written {
    /// The LPA.
    pub uid: String,
    /// Its state after the command (and any automatic transitions it enabled).
    pub state: String,
    /// Its revision after the command.
    pub revision: u64,
}

/// `stored` answered minimally with `status` and an optional extra header (`Location` for a creation).
pub fn minimal(
    status: StatusCode,
    stored: &StoredInstance,
    extra: Option<(header::HeaderName, String)>,
) -> Response {
    let i = &stored.instance;
    let body = Written {
        uid: i.id.to_string(),
        state: i.state.to_string(),
        revision: i.revision,
    };
    let mut response = (status, Json(&body)).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag(i.revision)) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(
        "preference-applied",
        HeaderValue::from_static("return=minimal"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("prefer"));
    if let Some((name, value)) = extra
        && let Ok(v) = HeaderValue::from_str(&value)
    {
        headers.insert(name, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefer(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(PREFER, HeaderValue::from_str(v).expect("a header"));
        }
        h
    }

    #[test]
    fn return_minimal_is_read_as_rfc_7240_writes_it() {
        assert!(wants_minimal(&prefer(&["return=minimal"])));
        assert!(wants_minimal(&prefer(&["Return=\"Minimal\""])));
        assert!(wants_minimal(&prefer(&[
            "respond-async, return=minimal; foo=bar"
        ])));
        assert!(wants_minimal(&prefer(&["wait=5", "return=minimal"])));
        assert!(!wants_minimal(&prefer(&["return=representation"])));
        assert!(!wants_minimal(&prefer(&["minimal"])));
        assert!(!wants_minimal(&HeaderMap::new()));
    }
}
