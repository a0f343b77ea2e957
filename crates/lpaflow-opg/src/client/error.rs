//! How a failed OPG call is classified, decided where the cause is known. The question is always "could the
//! write have been applied?": there is no idempotency key, so a write that may have been applied must be read
//! back before it is sent again (ambiguous), while one refused before anything happened can simply be retried.
//! Reads have no side effect, so every transport error and 5xx on a read is just retryable.

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use lpaflow_lpa::lpa_store::{FieldError, Problem};

/// Longest `Retry-After` honoured; a larger value is clamped (a broken header must not park a step for days).
pub const RETRY_AFTER_MS_MAX: u64 = 3_600_000;

/// Longest error detail kept from a response body.
const DETAIL_CHARS_MAX: usize = 300;

/// A failed OPG call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum OpgError {
    /// Nothing was applied: try again later (after `retry_after_ms` when OPG said so).
    #[error("retryable{}: {detail}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    Retryable {
        status: Option<u16>,
        retry_after_ms: Option<u64>,
        detail: String,
    },
    /// A write whose outcome is unknown: read the LPA back before sending it again. `status`: the 5xx OPG
    /// answered, if any (none for a timeout or a dropped connection).
    #[error("ambiguous{}: {detail}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    Ambiguous {
        #[serde(default)]
        status: Option<u16>,
        detail: String,
    },
    /// OPG refused lpaflow's credentials: the JWT (401) or the AWS signature (403 from API Gateway). Nothing
    /// was applied, and nothing will be until an operator fixes the configuration: the step waits (the breaker
    /// opens and probes slowly) instead of failing, and `/readyz` names the reason.
    #[error("credentials refused ({status}): {detail}")]
    Credentials { status: u16, detail: String },
    /// Refused for good (400, an unexpected 404, 409, other 4xx) or a request we cannot build.
    #[error("fatal{}: {code}: {detail}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    Fatal {
        status: Option<u16>,
        code: String,
        detail: String,
        errors: Vec<FieldError>,
    },
}

impl OpgError {
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Retryable { retry_after_ms, .. } => retry_after_ms.map(Duration::from_millis),
            Self::Ambiguous { .. } | Self::Fatal { .. } | Self::Credentials { .. } => None,
        }
    }

    pub fn is_ambiguous(&self) -> bool {
        matches!(self, Self::Ambiguous { .. })
    }

    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::Fatal { .. })
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Retryable { status, .. }
            | Self::Fatal { status, .. }
            | Self::Ambiguous { status, .. } => *status,
            Self::Credentials { status, .. } => Some(*status),
        }
    }

    pub(crate) fn local(code: &str, detail: impl Into<String>) -> Self {
        Self::Fatal {
            status: None,
            code: code.to_owned(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }
}

/// Whether a request can change OPG's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// A transport error (no status received).
pub fn classify_transport(err: &reqwest::Error, access: Access) -> OpgError {
    let detail = transport_detail(err);
    if err.is_builder() {
        return OpgError::local("CLIENT_ERROR", detail);
    }
    // Not connected means not sent: nothing can have been applied.
    if err.is_connect() {
        return OpgError::Retryable {
            status: None,
            retry_after_ms: None,
            detail,
        };
    }
    match access {
        Access::Read => OpgError::Retryable {
            status: None,
            retry_after_ms: None,
            detail,
        },
        // A timeout or a connection closed after the request went out: OPG may have applied it.
        Access::Write => OpgError::Ambiguous {
            status: None,
            detail,
        },
    }
}

fn transport_detail(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connect error"
    } else {
        "connection error"
    };
    let mut detail = kind.to_owned();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    truncate(detail)
}

/// A non-success status. 404 is the caller's to interpret first (a read of an unknown LPA is not an error).
pub fn classify_status(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    access: Access,
) -> OpgError {
    let code = status.as_u16();
    let problem = serde_json::from_slice::<Problem>(body).ok();
    if matches!(code, 401 | 403) {
        // The store's JWT check (401, `UNAUTHORISED`) or API Gateway's IAM check (403, `{"message"}`), both
        // before anything is applied.
        let message = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                v.get("detail")
                    .or_else(|| v.get("message"))
                    .and_then(|m| m.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        return OpgError::Credentials {
            status: code,
            detail: truncate(message),
        };
    }
    let detail = problem.as_ref().map_or_else(
        || truncate(String::from_utf8_lossy(body).into_owned()),
        |p| truncate(p.detail.clone()),
    );
    let retryable = |detail: String| OpgError::Retryable {
        status: Some(code),
        retry_after_ms: retry_after_ms(headers),
        detail,
    };
    match code {
        // Refused at the door (throttled, unavailable, request timeout): nothing was applied.
        429 | 503 | 408 => retryable(detail),
        // Any other 5xx to a write may come after the store applied it: API Gateway answers 502 when the
        // Lambda fails (a Go panic after `PutChanges`, say) and 504 when it outlives the integration timeout,
        // both possibly after the commit. Unknown, then: read back before sending again.
        500..=599 => match access {
            Access::Read => retryable(detail),
            Access::Write => OpgError::Ambiguous {
                status: Some(code),
                detail,
            },
        },
        _ => {
            let (code_name, errors) = match problem {
                Some(p) => (p.code, p.errors),
                None => (default_code(status).to_owned(), Vec::new()),
            };
            OpgError::Fatal {
                status: Some(code),
                code: code_name,
                detail,
                errors,
            }
        }
    }
}

fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "INVALID_REQUEST",
        404 => "NOT_FOUND",
        _ => "UNEXPECTED_STATUS",
    }
}

/// `Retry-After` in seconds or as an HTTP date, clamped to [`RETRY_AFTER_MS_MAX`].
pub fn retry_after_ms(headers: &HeaderMap) -> Option<u64> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let ms = if let Ok(seconds) = value.parse::<u64>() {
        seconds.saturating_mul(1000)
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        let ms = (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_milliseconds();
        u64::try_from(ms).unwrap_or(0)
    };
    Some(ms.min(RETRY_AFTER_MS_MAX))
}

fn truncate(mut s: String) -> String {
    if s.chars().count() > DETAIL_CHARS_MAX {
        s = s.chars().take(DETAIL_CHARS_MAX).collect();
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(status: u16, access: Access) -> OpgError {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("7"),
        );
        let body =
            br#"{"code":"INVALID_REQUEST","detail":"LPA with UID already exists","errors":[]}"#;
        classify_status(
            StatusCode::from_u16(status).expect("valid status"),
            &headers,
            body,
            access,
        )
    }

    #[test]
    fn statuses_are_classified_by_whether_a_write_may_have_happened() {
        for s in [429, 503, 408] {
            for a in [Access::Read, Access::Write] {
                assert!(
                    matches!(
                        classify(s, a),
                        OpgError::Retryable {
                            retry_after_ms: Some(7000),
                            ..
                        }
                    ),
                    "{s}"
                );
            }
        }
        for s in [500, 502, 504, 501] {
            assert!(
                matches!(classify(s, Access::Read), OpgError::Retryable { .. }),
                "{s}"
            );
            let written = classify(s, Access::Write);
            assert!(written.is_ambiguous(), "{s}");
            assert_eq!(written.status(), Some(s));
        }
        for s in [400, 404, 409, 410, 422] {
            assert!(classify(s, Access::Write).is_fatal(), "{s}");
        }
        for s in [401, 403] {
            for a in [Access::Read, Access::Write] {
                assert!(
                    matches!(classify(s, a), OpgError::Credentials { status, .. } if status == s),
                    "{s}"
                );
            }
        }
        let OpgError::Fatal { code, detail, .. } = classify(400, Access::Write) else {
            panic!("fatal")
        };
        assert_eq!(code, "INVALID_REQUEST");
        assert_eq!(detail, "LPA with UID already exists");
    }

    #[test]
    fn retry_after_is_parsed_and_clamped() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after_ms(&h), None);
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("99999999"),
        );
        assert_eq!(retry_after_ms(&h), Some(RETRY_AFTER_MS_MAX));
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after_ms(&h), Some(0));
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("soon"),
        );
        assert_eq!(retry_after_ms(&h), None);
    }
}
