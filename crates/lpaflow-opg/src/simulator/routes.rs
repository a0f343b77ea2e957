//! The OPG API handlers (`docs/opg-api.md`, "Endpoints"). Each one passes the fault gate and the JWT check
//! ([`admit`]), then does one store operation. Writes hold the store's write lock from the read to the commit.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::document::{Change, Update, UpdateType, is_valid_uid};
use crate::jwt::{Claims, JWT_HEADER};
use crate::simulator::faults::{self, AfterCommit, Gate};
use crate::simulator::guards::{apply_update, reflects};
use crate::simulator::http::{
    created_empty, drop_connection, internal, invalid, invalid_at, not_found, problem, throttled,
    unavailable, with_retry_after,
};
use crate::simulator::state::SimulatorState;
use crate::simulator::store::{Applied, LpaRow};
use crate::simulator::stub;
use crate::simulator::validate::{stored_document, validate_document};

/// Most uids in one batch read.
pub const BATCH_UIDS_MAX: usize = 1000;

type St = State<Arc<SimulatorState>>;

/// The fault gate, then authentication. `Err` is the response to send instead of handling the request.
async fn admit(state: &SimulatorState, headers: &HeaderMap) -> Result<Claims, Response> {
    let faults = state.faults();
    if faults.latency_ms > 0 {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(faults.latency_ms)) => {}
            () = state.shutdown.cancelled() => return Err(drop_connection()),
        }
    }
    let gate = state.dice().gate(&faults, Utc::now(), state.retry_after);
    match gate {
        Gate::Pass => {}
        Gate::Unavailable { retry_after_s } => return Err(unavailable(retry_after_s)),
        Gate::Throttled { retry_after_s } => return Err(throttled(retry_after_s)),
        Gate::Reset => return Err(drop_connection()),
        Gate::Hold => {
            state.stats.timeout();
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(state.timeout_hold_ms)) => {}
                () = state.shutdown.cancelled() => {}
            }
            return Err(drop_connection());
        }
        Gate::Error { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let code = match status.as_u16() {
                502 => "BAD_GATEWAY",
                504 => "GATEWAY_TIMEOUT",
                _ => "INTERNAL_SERVER_ERROR",
            };
            return Err(problem(status, code, "Injected error", Vec::new()));
        }
    }
    let header = headers.get(JWT_HEADER).and_then(|v| v.to_str().ok());
    state
        .verifier
        .verify(header, Utc::now().timestamp())
        .map_err(|e| {
            tracing::debug!(reason = %e, "OPG simulator refused a token");
            problem(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORISED",
                e.to_string(),
                Vec::new(),
            )
        })
}

/// The reply to an applied write, unless the commit-then-fail fault answers 500 or drops the connection.
fn after_commit(state: &SimulatorState, uid: &str, ok: Response) -> Response {
    let faults = state.faults();
    match state.dice().after_commit(&faults) {
        AfterCommit::Reply => ok,
        AfterCommit::Error500 => {
            tracing::debug!(%uid, "commit-then-fail: applied, answering 500");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "Internal server error",
                Vec::new(),
            )
        }
        AfterCommit::Drop => {
            tracing::debug!(%uid, "commit-then-fail: applied, dropping the connection");
            drop_connection()
        }
    }
}

fn check_uid(uid: &str) -> Result<(), Box<Response>> {
    if is_valid_uid(uid) {
        Ok(())
    } else {
        Err(Box::new(invalid_at("/uid", "invalid uid")))
    }
}

fn parse_json(body: &[u8]) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body)
        .map_err(|e| Box::new(invalid_at("", format!("body is not JSON: {e}"))))
}

/// `PUT /lpas/{uid}`.
pub async fn create(
    State(state): St,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = admit(&state, &headers).await {
        return r;
    }
    to_completion(async move {
        match create_inner(&state, &uid, &body).await {
            Ok(r) | Err(r) => r,
        }
    })
    .await
}

/// Runs a write on a task of its own, so that a client going away (its timeout) cannot cancel it half-way:
/// like a real server, the simulator finishes a write it started, and its stats count every committed write
/// and every duplicate (a handler dropped between the commit and the count would undercount both).
async fn to_completion(
    write: impl std::future::Future<Output = Response> + Send + 'static,
) -> Response {
    match tokio::spawn(write).await {
        Ok(response) => response,
        Err(e) => internal(&e),
    }
}

async fn create_inner(
    state: &SimulatorState,
    uid: &str,
    body: &[u8],
) -> Result<Response, Response> {
    check_uid(uid).map_err(|r| *r)?;
    let doc = parse_json(body).map_err(|r| *r)?;
    let now = Utc::now();
    let guard = state.store.lock().await;
    if state
        .store
        .get(uid)
        .await
        .map_err(|e| internal(&e))?
        .is_some()
    {
        state
            .store
            .record_duplicate(&guard, uid)
            .await
            .map_err(|e| internal(&e))?;
        state.stats.duplicate(uid);
        tracing::info!(%uid, "duplicate create refused");
        return Err(invalid_at("", "LPA with UID already exists"));
    }
    validate_document(uid, &doc).map_err(invalid)?;
    let stored = stored_document(uid, &doc, now);
    if !state
        .store
        .create(&guard, uid, &stored, now)
        .await
        .map_err(|e| internal(&e))?
    {
        return Err(invalid_at("", "LPA with UID already exists"));
    }
    drop(guard);
    state.stats.write_applied();
    tracing::debug!(%uid, "LPA created");
    Ok(after_commit(state, uid, created_empty()))
}

/// `GET /lpas/{uid}`; with `staleReads`, the version before the last write and an `Age` header.
pub async fn get(State(state): St, Path(uid): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = admit(&state, &headers).await {
        return r;
    }
    if let Err(r) = check_uid(&uid) {
        return *r;
    }
    let row = match state.store.get(&uid).await {
        Ok(row) => row,
        Err(e) => return internal(&e),
    };
    match row {
        None => not_found(),
        Some(row) if state.faults().stale_reads => {
            let age = age_header(&row);
            let mut response = row
                .prev_doc
                .map_or_else(not_found, |p| Json(p).into_response());
            response.headers_mut().insert(header::AGE, age);
            response
        }
        Some(row) => Json(row.doc).into_response(),
    }
}

fn age_header(row: &LpaRow) -> HeaderValue {
    let age_s = (Utc::now() - row.updated_at).num_seconds().max(0);
    HeaderValue::from(age_s)
}

/// `POST /lpas`: a `{"uids": [...]}` body is the OPG batch read (JWT); anything else is the workload stub
/// protocol of `shared/bench/opg_stub.py` (no JWT).
pub async fn post_lpas(State(state): St, headers: HeaderMap, body: Bytes) -> Response {
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    match parsed {
        Some(Value::Object(map)) if map.contains_key("uids") => {
            if let Err(r) = admit(&state, &headers).await {
                return r;
            }
            batch(&state, map.get("uids")).await
        }
        other => stub::post_lpa(&state.stub, other.as_ref()),
    }
}

async fn batch(state: &SimulatorState, uids: Option<&Value>) -> Response {
    let Some(list) = uids.and_then(Value::as_array) else {
        return invalid_at("/uids", "must be an array of uids");
    };
    if list.len() > BATCH_UIDS_MAX {
        return invalid_at("/uids", format!("at most {BATCH_UIDS_MAX} uids"));
    }
    let mut wanted = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        match v.as_str().filter(|s| is_valid_uid(s)) {
            Some(uid) => wanted.push(uid.to_owned()),
            None => return invalid_at(&format!("/uids/{i}"), "invalid uid"),
        }
    }
    let rows = match state.store.get_many(&wanted).await {
        Ok(rows) => rows,
        Err(e) => return internal(&e),
    };
    if state.faults().stale_reads {
        let age = rows
            .iter()
            .map(|(_, r)| age_header(r))
            .next()
            .unwrap_or(HeaderValue::from(0));
        let lpas: Vec<Value> = rows.into_iter().filter_map(|(_, r)| r.prev_doc).collect();
        let mut response = Json(json!({ "lpas": lpas })).into_response();
        response.headers_mut().insert(header::AGE, age);
        return response;
    }
    let lpas: Vec<Value> = rows.into_iter().map(|(_, r)| r.doc).collect();
    Json(json!({ "lpas": lpas })).into_response()
}

#[derive(Deserialize)]
struct UpdateBody {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    changes: Vec<Change>,
}

/// `POST /lpas/{uid}/updates`.
pub async fn update(
    State(state): St,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let claims = match admit(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    to_completion(async move {
        match update_inner(&state, &uid, &claims, &body).await {
            Ok(r) | Err(r) => r,
        }
    })
    .await
}

async fn update_inner(
    state: &SimulatorState,
    uid: &str,
    claims: &Claims,
    body: &[u8],
) -> Result<Response, Response> {
    check_uid(uid).map_err(|r| *r)?;
    let raw: UpdateBody =
        serde_json::from_slice(body).map_err(|e| invalid_at("", format!("invalid update: {e}")))?;
    let kind: UpdateType = raw
        .kind
        .parse()
        .map_err(|_| invalid_at("/type", "invalid type"))?;
    let update = Update {
        kind,
        changes: raw.changes,
    };
    let now = Utc::now();
    let guard = state.store.lock().await;
    let row = state
        .store
        .get(uid)
        .await
        .map_err(|e| internal(&e))?
        .ok_or_else(not_found)?;
    let duplicate = reflects(&row.doc, &update);
    match apply_update(&row.doc, &update, now) {
        Err(errors) => {
            if duplicate {
                state
                    .store
                    .record_duplicate(&guard, uid)
                    .await
                    .map_err(|e| internal(&e))?;
                state.stats.duplicate(uid);
                tracing::info!(%uid, kind = kind.as_str(), "duplicate update refused");
            }
            Err(invalid(errors))
        }
        Ok(new) => {
            let applied = Applied {
                uid,
                prev: &row.doc,
                doc: &new,
                author: &claims.sub,
                kind: kind.as_str(),
                changes: &update.changes,
                duplicate,
                now,
            };
            state
                .store
                .apply(&guard, applied)
                .await
                .map_err(|e| internal(&e))?;
            drop(guard);
            state.stats.write_applied();
            if duplicate {
                state.stats.duplicate(uid);
                tracing::info!(%uid, kind = kind.as_str(), "duplicate update applied");
            }
            Ok(after_commit(
                state,
                uid,
                (StatusCode::CREATED, Json(new)).into_response(),
            ))
        }
    }
}

/// `GET /lpas/{uid}/updates`.
pub async fn updates(State(state): St, Path(uid): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = admit(&state, &headers).await {
        return r;
    }
    if let Err(r) = check_uid(&uid) {
        return *r;
    }
    match state.store.get(&uid).await {
        Err(e) => return internal(&e),
        Ok(None) => return not_found(),
        Ok(Some(_)) => {}
    }
    match state.store.changes(&uid).await {
        Ok(entries) => Json(entries).into_response(),
        Err(e) => internal(&e),
    }
}

/// `GET /health-check`: down during an outage or maintenance; no JWT needed.
pub async fn health(State(state): St) -> Response {
    match faults::unavailable(&state.faults(), Utc::now(), state.retry_after) {
        Some(retry_after_s) => with_retry_after(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable"})),
            )
                .into_response(),
            retry_after_s,
        ),
        None => Json(json!({"status": "ok"})).into_response(),
    }
}
