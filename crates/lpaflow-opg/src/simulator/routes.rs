//! The LPA Store's routes, each as its Lambda answers (`lambda/create`, `update`, `get`, `getlist`,
//! `getupdates`), behind the simulator's fault gate and, when configured, API Gateway's AWS signature check
//! ([`admit`]). The rules themselves are in [`super::rules`]; writes hold the store's write lock from the
//! read to the commit and run to completion on a task of their own.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use lpaflow_lpa::lpa_store::{Change, ChangeLogEntry, Lpa};
use serde_json::{Value, json};

use super::auth::{Claims, JwtRefusal};
use super::duplicates::already_reflected;
use super::faults::{self, AfterCommit, Gate, WriteFate};
use super::http::{
    created_empty, drop_connection, gateway_forbidden, gateway_timeout, internal, invalid,
    invalid_with_detail, lambda_failed, not_found, problem, server_error, throttled, unavailable,
    with_retry_after,
};
use super::requests::{self, UpdateRequest};
use super::rules::redundant::redundant_change_errors;
use super::rules::update::validate_update;
use super::rules::{GoPanic, Refusal, create::created_lpa};
use super::sigv4::{self, DEFAULT_REGION};
use super::state::SimulatorState;
use super::store::{Applied, CreateWrite, LpaRow};
use super::stub;
use super::write_faults::{altered_create, without_last_change};

/// DynamoDB's `BatchGetItem` takes 1 to 100 distinct keys; anything else fails (the store answers 500).
pub const BATCH_UIDS_MAX: usize = 100;

/// DynamoDB's largest partition key: a longer uid fails the read (500).
const KEY_BYTES_MAX: usize = 2048;

type St = State<Arc<SimulatorState>>;

/// What [`admit`] needs of the request.
struct RequestParts<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

/// The fault gate, then API Gateway's AWS signature check (when configured), then the store's JWT check.
/// `Err` is the response to send instead of handling the request.
async fn admit(state: &SimulatorState, request: RequestParts<'_>) -> Result<Claims, Response> {
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
        Gate::Error { status } => return Err(injected_error(status)),
    }
    if let Some(aws) = &state.aws {
        let RequestParts {
            method,
            uri,
            headers,
            body,
        } = request;
        if let Err(refusal) = sigv4::verify(aws, method, uri, headers, body, Utc::now()) {
            tracing::debug!(
                error_type = refusal.error_type,
                "OPG simulator refused an AWS signature"
            );
            return Err(gateway_forbidden(refusal.error_type, &refusal.message));
        }
    }
    state
        .verifier
        .verify_header(request.headers, Utc::now())
        .map_err(|refusal| match refusal {
            JwtRefusal::Invalid(reason) => {
                tracing::debug!(reason, "OPG simulator refused a token");
                problem(
                    StatusCode::UNAUTHORIZED,
                    lpaflow_lpa::lpa_store::UNAUTHORISED,
                    "Invalid JWT",
                    Vec::new(),
                )
            }
            JwtRefusal::Panic(p) => go_panic(p),
        })
}

/// The store's Lambda would panic: it dies before answering, and API Gateway answers 502 with its own body
/// (nothing was written: every panic the simulator knows of comes before the store's put).
fn go_panic(p: GoPanic) -> Response {
    tracing::info!(
        reason = p.0,
        "the LPA Store would panic on this request; answering 502 as API Gateway does"
    );
    lambda_failed()
}

fn refused(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Invalid(errors) => invalid(errors),
        Refusal::Panic(p) => go_panic(p),
        Refusal::ServerError(reason) => {
            tracing::info!(reason, "the LPA Store answers 500 to this request");
            server_error()
        }
    }
}

/// A 5xx from the fault layer: the store's own 500, or API Gateway's 502 and 504 with its body.
fn injected_error(status: u16) -> Response {
    match status {
        502 => lambda_failed(),
        504 => gateway_timeout(),
        _ => server_error(),
    }
}

/// The reply to an applied write, unless the commit-then-fail fault answers 500 or 502 or drops the
/// connection.
async fn after_commit(state: &SimulatorState, uid: &str, ok: Response) -> Response {
    let faults = state.faults();
    if faults.reply_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.reply_delay_ms)).await;
    }
    match state.dice().after_commit(&faults) {
        AfterCommit::Reply => ok,
        AfterCommit::Error { status } => {
            tracing::debug!(%uid, status, "commit-then-fail: applied, answering an error");
            injected_error(status)
        }
        AfterCommit::Drop => {
            tracing::debug!(%uid, "commit-then-fail: applied, dropping the connection");
            drop_connection()
        }
    }
}

/// Runs a write on a task of its own, so that a client going away (its timeout) cannot cancel it half-way:
/// like a real server, the simulator finishes a write it started, and its stats count every committed write
/// and every duplicate.
async fn to_completion(
    write: impl std::future::Future<Output = Response> + Send + 'static,
) -> Response {
    match tokio::spawn(write).await {
        Ok(response) => response,
        Err(e) => internal(&e),
    }
}

fn key_too_long(uid: &str) -> bool {
    uid.len() > KEY_BYTES_MAX
}

/// `PUT /lpas/{uid}` (`lambda/create/main.go`).
pub async fn create(
    State(state): St,
    Path(uid): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parts = RequestParts {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &body,
    };
    if let Err(r) = admit(&state, parts).await {
        return r;
    }
    to_completion(async move {
        create_inner(&state, &uid, &body)
            .await
            .unwrap_or_else(|r| r)
    })
    .await
}

async fn create_inner(
    state: &SimulatorState,
    uid: &str,
    body: &[u8],
) -> Result<Response, Response> {
    if key_too_long(uid) {
        return Err(server_error());
    }
    let now = Utc::now();
    let guard = state.store.lock().await;
    let existing = state.store.get(uid).await.map_err(|e| internal(&e))?;
    // `Get` then an unconditional `Put`: a lagging read of an LPA created within the last second misses it,
    // and the create is stored over it.
    let (seen, over_unseen) = match existing {
        None => (false, false),
        Some(row) => {
            let seen = replica_view(state, row, now).is_some();
            (seen, !seen)
        }
    };
    if seen {
        state
            .store
            .record_duplicate(&guard, uid)
            .await
            .map_err(|e| internal(&e))?;
        state.stats.duplicate(uid);
        tracing::info!(%uid, "duplicate create refused");
        return Err(invalid_with_detail("LPA with UID already exists"));
    }
    let init = requests::decode_create(body).map_err(|e| {
        tracing::info!(%uid, error = e.kind(), "create body not decodable; answering 500");
        server_error()
    })?;
    let lpa = created_lpa(uid, init, now).map_err(refused)?;
    let fate = {
        let faults = state.faults();
        state.dice().write_fate(&faults)
    };
    if fate == WriteFate::AcknowledgeWithoutApplying {
        state
            .store
            .record_acknowledged_not_applied(&guard)
            .await
            .map_err(|e| internal(&e))?;
        state.stats.write_acknowledged_not_applied();
        tracing::info!(%uid, "fault: create acknowledged but not stored");
        return Ok(created_empty());
    }
    let differently = fate == WriteFate::ApplyDifferently;
    let stored = if differently {
        altered_create(lpa)
    } else {
        lpa
    };
    let write = CreateWrite {
        differently,
        over_unseen,
        now,
    };
    if !state
        .store
        .create(&guard, &stored, write)
        .await
        .map_err(|e| internal(&e))?
    {
        return Err(invalid_with_detail("LPA with UID already exists"));
    }
    drop(guard);
    if over_unseen {
        state.stats.duplicate(uid);
        tracing::info!(%uid, "duplicate create stored over an LPA a lagging read missed");
    }
    state.stats.write_applied();
    if differently {
        state.stats.write_applied_differently();
        tracing::info!(%uid, "fault: create stored with an altered attorney");
    }
    tracing::debug!(%uid, "LPA created");
    Ok(after_commit(state, uid, created_empty()).await)
}

/// Whether `?presign-images` is in the query (any value).
fn presign_asked(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("presign-images"))
    })
}

/// `PresignLpa` (`internal/objectstore/client.go`): image paths become S3 presigned URLs. The simulator has
/// no bucket: the URLs have the real shape and lead nowhere.
fn presigned(mut lpa: Lpa, region: &str, now: DateTime<Utc>) -> Lpa {
    let url = |path: &str| {
        let key: String = path
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!(
            "https://s3.{region}.amazonaws.com/lpaflow-opg-simulator/{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=SIMULATED%2F{date}%2F{region}%2Fs3%2Faws4_request&X-Amz-Date={date}T000000Z\
             &X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0",
            date = now.format("%Y%m%d")
        )
    };
    for image in lpa
        .restrictions_and_conditions_images
        .iter_mut()
        .chain(lpa.how_attorneys_make_decisions_details_images.iter_mut())
    {
        image.path = url(&image.path);
    }
    lpa
}

fn region(state: &SimulatorState) -> &str {
    state
        .aws
        .as_ref()
        .map_or(DEFAULT_REGION, |a| a.region.as_str())
}

/// `GET /lpas/{uid}` (`lambda/get/main.go`); with `staleReads`, the version before the last write and an
/// `Age` header.
pub async fn get(
    State(state): St,
    Path(uid): Path<String>,
    RawQuery(query): RawQuery,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let parts = RequestParts {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &[],
    };
    if let Err(r) = admit(&state, parts).await {
        return r;
    }
    if key_too_long(&uid) {
        return server_error();
    }
    let row = match state.store.get(&uid).await {
        Ok(row) => row,
        Err(e) => return internal(&e),
    };
    let presign = |lpa: Lpa| {
        if presign_asked(query.as_deref()) {
            presigned(lpa, region(&state), Utc::now())
        } else {
            lpa
        }
    };
    match row {
        None => not_found(),
        Some(row) if state.faults().stale_reads => {
            let age = age_header(&row);
            let mut response = row
                .previous
                .map_or_else(not_found, |p| Json(presign(p)).into_response());
            response.headers_mut().insert(header::AGE, age);
            response
        }
        Some(row) => replica_view(&state, row, Utc::now())
            .map_or_else(not_found, |lpa| Json(presign(lpa)).into_response()),
    }
}

/// What an eventually consistent read of `row` sees: the LPA, or with `laggingReadRate` and a write of the
/// last [`REPLICATION_LAG`](crate::simulator::faults::REPLICATION_LAG), the version before it (nothing for
/// an LPA created that recently).
fn replica_view(state: &SimulatorState, row: LpaRow, now: DateTime<Utc>) -> Option<Lpa> {
    let faults = state.faults();
    if state.dice().lagging_read(&faults, row.written_at, now) {
        state.stats.lagging_read();
        row.previous
    } else {
        Some(row.lpa)
    }
}

fn age_header(row: &LpaRow) -> HeaderValue {
    let age_s = (Utc::now() - row.written_at).num_seconds().max(0);
    HeaderValue::from(age_s)
}

/// `POST /lpas`: a body Go reads as `{"uids": [...]}` is the store's batch read (`lambda/getlist`);
/// anything else is the workload stub protocol of `shared/bench/opg_stub.py` (no authentication).
pub async fn post_lpas(
    State(state): St,
    RawQuery(query): RawQuery,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !requests::is_get_list(&body) {
        let parsed: Option<Value> = serde_json::from_slice(&body).ok();
        return stub::post_lpa(&state.stub, parsed.as_ref());
    }
    let parts = RequestParts {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &body,
    };
    if let Err(r) = admit(&state, parts).await {
        return r;
    }
    let uids = match requests::decode_get_list(&body) {
        Ok(Some(uids)) => uids,
        Ok(None) => return batch_refused("no uids"),
        Err(e) => {
            tracing::info!(
                error = e.kind(),
                "batch read body not decodable; answering 500"
            );
            return server_error();
        }
    };
    let mut distinct = std::collections::HashSet::new();
    if uids.is_empty() || uids.len() > BATCH_UIDS_MAX {
        return batch_refused("BatchGetItem takes 1 to 100 keys");
    }
    if uids
        .iter()
        .any(|u| u.is_empty() || key_too_long(u) || !distinct.insert(u))
    {
        return batch_refused("BatchGetItem refuses empty, oversized or repeated keys");
    }
    let rows = match state.store.get_many(&uids).await {
        Ok(rows) => rows,
        Err(e) => return internal(&e),
    };
    let presign = |lpa: Lpa| {
        if presign_asked(query.as_deref()) {
            presigned(lpa, region(&state), Utc::now())
        } else {
            lpa
        }
    };
    if state.faults().stale_reads {
        let age = rows.first().map(age_header).unwrap_or(HeaderValue::from(0));
        let lpas: Vec<Lpa> = rows
            .into_iter()
            .filter_map(|r| r.previous)
            .map(presign)
            .collect();
        let mut response = Json(json!({ "lpas": lpas })).into_response();
        response.headers_mut().insert(header::AGE, age);
        return response;
    }
    let now = Utc::now();
    let lpas: Vec<Lpa> = rows
        .into_iter()
        .filter_map(|r| replica_view(&state, r, now))
        .map(presign)
        .collect();
    Json(json!({ "lpas": lpas })).into_response()
}

fn batch_refused(reason: &'static str) -> Response {
    tracing::info!(
        reason,
        "DynamoDB would refuse this batch read; answering 500"
    );
    server_error()
}

/// `POST /lpas/{uid}/updates` (`lambda/update/main.go`).
pub async fn update(
    State(state): St,
    Path(uid): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parts = RequestParts {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &body,
    };
    let claims = match admit(&state, parts).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    to_completion(async move {
        update_inner(&state, &uid, &claims, &body)
            .await
            .unwrap_or_else(|r| r)
    })
    .await
}

async fn update_inner(
    state: &SimulatorState,
    uid: &str,
    claims: &Claims,
    body: &[u8],
) -> Result<Response, Response> {
    let update = requests::decode_update(body).map_err(|e| {
        tracing::info!(%uid, error = e.kind(), "update body not decodable; answering 500");
        server_error()
    })?;
    if key_too_long(uid) {
        return Err(server_error());
    }
    let now = Utc::now();
    let guard = state.store.lock().await;
    let row = state
        .store
        .get(uid)
        .await
        .map_err(|e| internal(&e))?
        .ok_or_else(not_found)?;
    // The store's own read is eventually consistent too: an update built on a lagging one is applied to the
    // version before the last write, which it then overwrites.
    let seen = replica_view(state, row.clone(), now).ok_or_else(not_found)?;
    let author = claims.subject.as_str();
    // Counted against what is stored: a re-send the store's lagging read applies again is a duplicate too.
    let duplicate = already_reflected(&row.lpa, &update, author);
    let after = match updated_lpa(&seen, &update, author, now) {
        Ok(after) => after,
        Err(Refusal::Invalid(errors)) => {
            if duplicate {
                state
                    .store
                    .record_duplicate(&guard, uid)
                    .await
                    .map_err(|e| internal(&e))?;
                state.stats.duplicate(uid);
                tracing::info!(%uid, kind = %update.kind, "duplicate update refused");
            }
            return Err(invalid(errors));
        }
        Err(other) => return Err(refused(other)),
    };
    let entry = ChangeLogEntry {
        id: uuid::Uuid::new_v4().to_string(),
        uid: uid.to_owned(),
        applied: now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        author: author.to_owned(),
        kind: update.kind.clone(),
        changes: update
            .changes
            .iter()
            .map(|c| Change {
                key: c.key.clone(),
                old: c.old.clone().unwrap_or(Value::Null),
                new: c.new.clone().unwrap_or(Value::Null),
            })
            .collect(),
    };
    let fate = {
        let faults = state.faults();
        state.dice().write_fate(&faults)
    };
    let reply = (StatusCode::CREATED, Json(&after)).into_response();
    if fate == WriteFate::AcknowledgeWithoutApplying {
        state
            .store
            .record_acknowledged_not_applied(&guard)
            .await
            .map_err(|e| internal(&e))?;
        state.stats.write_acknowledged_not_applied();
        tracing::info!(%uid, kind = %update.kind, "fault: update acknowledged but not stored");
        return Ok(reply);
    }
    let differently = fate == WriteFate::ApplyDifferently;
    let stored = if differently {
        without_last_change(&seen, &after, &update)
    } else {
        after.clone()
    };
    let applied = Applied {
        previous: &row.lpa,
        lpa: &stored,
        entry: &entry,
        duplicate,
        differently,
        now,
    };
    state
        .store
        .apply(&guard, applied)
        .await
        .map_err(|e| internal(&e))?;
    drop(guard);
    state.stats.write_applied();
    if differently {
        state.stats.write_applied_differently();
        tracing::info!(%uid, kind = %update.kind, "fault: update stored without its last change");
    }
    if duplicate {
        state.stats.duplicate(uid);
        tracing::info!(%uid, kind = %update.kind, "duplicate update applied");
    }
    Ok(after_commit(state, uid, reply).await)
}

/// The LPA after the update, in the store's order: redundant changes, the type's parser, `Apply`.
fn updated_lpa(
    lpa: &Lpa,
    update: &UpdateRequest,
    author: &str,
    now: DateTime<Utc>,
) -> Result<Lpa, Refusal> {
    let redundant = redundant_change_errors(&update.changes);
    if !redundant.is_empty() {
        return Err(Refusal::Invalid(redundant));
    }
    let parsed = validate_update(update, author, lpa)?;
    if let Some(p) = parsed.panics_on_apply() {
        return Err(Refusal::Panic(p));
    }
    let mut after = lpa.clone();
    let errors = parsed.apply(&mut after, now);
    if errors.is_empty() {
        Ok(after)
    } else {
        Err(Refusal::Invalid(errors))
    }
}

/// `GET /lpas/{uid}/updates` (`lambda/getupdates/main.go`): 404 when there is no update (whether or not the
/// LPA exists).
pub async fn updates(
    State(state): St,
    Path(uid): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let parts = RequestParts {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &[],
    };
    if let Err(r) = admit(&state, parts).await {
        return r;
    }
    if key_too_long(&uid) {
        return server_error();
    }
    match state.store.changes(&uid).await {
        Ok(entries) if entries.is_empty() => not_found(),
        Ok(entries) => Json(entries).into_response(),
        Err(e) => internal(&e),
    }
}

/// `GET /health-check`: down during an outage or maintenance; no authentication.
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
