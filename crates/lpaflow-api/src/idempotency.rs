//! `Idempotency-Key` on every POST: a retry with the same key and the same request gets the original status
//! and body (marked `Idempotent-Replayed: true`); the same key with a different request is 422
//! `idempotency_key_reused`; a retry that arrives while the first is still running waits for it. Keys are per
//! caller: the token's subject *and* role (see [`scope`]), so an answer is never replayed to the same subject
//! acting in another role. Authorization runs before this middleware (`authorize.rs`). Keys are kept for a configurable time, and released when the first request failed with a
//! 5xx before committing anything, so a retry can run.
//!
//! The reservation is recorded in the same transaction as the command's commit (the handlers pass the key to
//! the engine). So when the process dies between the commit and storing the response, a retry learns that the
//! request took effect and is answered from the LPA as it is now, never executed twice; and when it dies
//! before the commit, the reservation is taken over after the lock timeout and the request runs.

use crate::auth::Caller;
use crate::problem::Problem;
use crate::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use lpaflow_app::{IdempotencyMark, Reservation};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The header.
pub const HEADER: &str = "idempotency-key";
/// How long a retry waits for the first request with the same key.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(10);
/// Headers replayed with the stored body.
const KEPT_HEADERS: &[&str] = &["content-type", "location", "etag"];

fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic())
}

/// Who a key belongs to: the role and the subject. A role has no space and comes first, so two different
/// (role, subject) pairs never give the same scope.
pub fn scope(caller: &Caller) -> String {
    format!("{} {}", caller.role, caller.sub)
}

/// The middleware (on POST routes).
pub async fn middleware(
    State(state): State<AppState>,
    caller: Caller,
    req: Request,
    next: Next,
) -> Response {
    let Some(raw) = req.headers().get(HEADER).cloned() else {
        return next.run(req).await;
    };
    let key = match raw.to_str() {
        Ok(k) if valid_key(k) => k.to_owned(),
        _ => {
            return Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .into_response();
        }
    };
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, state.config.body_limit_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is larger than the server accepts",
            )
            .into_response();
        }
    };
    // Under `.nest("/v1")` the URI has lost its prefix; the original one names the resource.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
    let hash = request_hash(parts.method.as_str(), &uri.to_string(), &bytes);
    let owner = scope(&caller);
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    let lock_timeout = TimeDelta::from_std(state.config.idempotency_lock_timeout)
        .unwrap_or(TimeDelta::seconds(60));
    let reserved_at = loop {
        let now = state.lpas.now();
        let reservation = match state
            .lpas
            .reserve_key(&owner, &key, &hash, now, lock_timeout)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                // The reservation may have been made with only its reply lost: give it back, or the
                // client's retry would wait for the lock timeout.
                release_later(&state, &owner, &key, now);
                return crate::errors::problem(e, "").into_response();
            }
        };
        match reservation {
            Reservation::Reserved => break now,
            Reservation::Completed { status, response } => return replay(status, &response),
            Reservation::Committed { uid, .. } => {
                let created = uri.path() == "/v1/lpas";
                let response = crate::routes::lpas::current(&state, &caller, &uid, created).await;
                let mut response = remember(&state, &owner, &key, None, response).await;
                response
                    .headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                return response;
            }
            Reservation::Mismatch => {
                return Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used with a different request",
                )
                .into_response();
            }
            Reservation::InProgress if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Reservation::InProgress => {
                return Problem::new(
                    StatusCode::CONFLICT,
                    "idempotency_key_in_progress",
                    "a request with this Idempotency-Key is still being processed; retry",
                )
                .retry_after(1)
                .into_response();
            }
        }
    };
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(IdempotencyMark {
        actor: owner.clone(),
        key: key.clone(),
    });
    let response = next.run(request).await;
    remember(&state, &owner, &key, Some(reserved_at), response).await
}

/// The hash that ties a key to its request: method, URI and body bytes.
pub fn request_hash(method: &str, uri: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(uri.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// Stores the response of a reserved key (or releases the key after a 5xx: the reservation made at
/// `reserved_at`, if this request made one) and returns the response.
async fn remember(
    state: &AppState,
    actor: &str,
    key: &str,
    reserved_at: Option<DateTime<Utc>>,
    response: Response,
) -> Response {
    let status = response.status();
    if status.is_server_error() {
        let Some(reserved_at) = reserved_at else {
            return response;
        };
        if let Err(e) = state.lpas.release_key(actor, key, reserved_at).await {
            tracing::warn!(error = %e, "releasing an idempotency key failed; retrying in the background");
            release_later(state, actor, key, reserved_at);
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            return Problem::internal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the response could not be read",
                &e,
            )
            .into_response();
        }
    };
    let headers: Map<String, Value> = KEPT_HEADERS
        .iter()
        .filter_map(|h| {
            parts
                .headers
                .get(*h)
                .and_then(|v| v.to_str().ok())
                .map(|v| ((*h).to_owned(), Value::String(v.to_owned())))
        })
        .collect();
    let stored = json!({"headers": headers, "body": String::from_utf8_lossy(&bytes)}).to_string();
    if let Err(e) = state
        .lpas
        .complete_key(actor, key, status.as_u16(), &stored)
        .await
    {
        tracing::warn!(error = %e, "storing an idempotent response failed");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Keeps trying to release a key whose release failed or whose reservation's outcome is unknown (the database
/// was unreachable, typically the failure that made the request fail), so the client's retry runs as soon as
/// the database is back instead of waiting for the lock timeout. The release names this request's reservation
/// time, so it never frees a reservation another request took over, nor a request that committed; it gives up
/// after half the lock timeout, when a takeover frees the key anyway.
fn release_later(state: &AppState, actor: &str, key: &str, reserved_at: DateTime<Utc>) {
    let give_up = state.config.idempotency_lock_timeout / 2;
    state
        .lpas
        .release_key_later(actor, key, reserved_at, give_up);
}

fn replay(status: u16, stored: &str) -> Response {
    let v: Value = serde_json::from_str(stored).unwrap_or(Value::Null);
    let body = v
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut headers = HeaderMap::new();
    if let Some(map) = v.get("headers").and_then(Value::as_object) {
        for (k, val) in map {
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::try_from(k.as_str()),
                val.as_str().map(HeaderValue::from_str),
            ) {
                headers.insert(name, value);
            }
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        headers,
        body,
    )
        .into_response()
}

/// Deletes keys older than the configured time, every ten minutes, until `cancel` fires.
pub async fn purge_loop(state: AppState, cancel: tokio_util::sync::CancellationToken) {
    loop {
        let ttl = TimeDelta::from_std(state.config.idempotency_ttl).unwrap_or(TimeDelta::days(1));
        match state.lpas.purge_keys(ttl).await {
            Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys deleted"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging idempotency keys failed"),
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
        }
    }
}
