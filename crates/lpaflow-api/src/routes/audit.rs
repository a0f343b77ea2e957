//! History and its proof: `GET /v1/lpas/{uid}/history`, `GET /v1/lpas/{uid}/chain-head`,
//! `GET /v1/audit/verify[?uid=]`; the global log: `GET /v1/audit/checkpoint` (the latest signed checkpoint),
//! `GET /v1/lpas/{uid}/history/{seq}/proof[?treeSize=]` and `GET /v1/audit/consistency?from=&to=` (proofs an
//! auditor checks offline against signed checkpoints, `docs/audit.md`).

use crate::auth::Caller;
use crate::extract::{Path, Query};
use crate::problem::{FieldProblem, Problem};
use crate::state::AppState;
use crate::{errors, uid};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

pub use lpaflow_app::audit::{READERS, VERIFIERS};
use lpaflow_app::log_proofs::ProofError;

pub use lpaflow_app::audit::HistoryEntryView;

/// The most history entries in one answer (and the default).
pub const HISTORY_PAGE_MAX: u32 = 1000;

/// Paging of a history.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Entries after this seq (default 0: from the start). An `int64` like every integer of the API: a larger
    /// number is refused (400 `invalid_query`), not read as an unsigned one beyond what the document declares.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Most entries returned, 1 to 1000 (default 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// The history of one LPA.
#[utoipa::path(get, path = "/v1/lpas/{uid}/history", operation_id = "getHistory", tag = "audit",
    params(("uid" = String, Path, description = "M-XXXX-XXXX-XXXX"), HistoryQuery),
    responses(
        (status = 200, description = "Entries in seq order", body = [HistoryEntryView]),
        (status = 400, description = "`invalid_uid`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: services do not read history", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`lpa_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` out of range, `after` negative", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Vec<HistoryEntryView>>, Problem> {
    caller.require(READERS, "read history")?;
    let id = uid::parse(&raw)?;
    let limit = crate::extract::page_limit(q.limit, HISTORY_PAGE_MAX, HISTORY_PAGE_MAX)
        .map_err(|p| Problem::validation(vec![p]))?;
    let after = u64::try_from(q.after.unwrap_or(0)).map_err(|_| {
        Problem::validation(vec![FieldProblem::new(
            "/after",
            "must be 0 or more (a sequence number)",
        )])
    })?;
    let entries = state
        .lpas
        .history(&id, after, limit)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| HistoryEntryView::of(e, caller.role))
            .collect(),
    ))
}

/// The head of an LPA's hash chain, to publish elsewhere.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChainHeadView {
    /// The LPA.
    pub uid: String,
    /// Its revision (= the last seq).
    pub revision: u64,
    /// The hash of its last history entry.
    pub hash: String,
}

/// The chain head of one LPA.
#[utoipa::path(get, path = "/v1/lpas/{uid}/chain-head", operation_id = "getChainHead", tag = "audit",
    params(("uid" = String, Path, description = "M-XXXX-XXXX-XXXX")),
    responses(
        (status = 200, description = "The chain head", body = ChainHeadView),
        (status = 400, description = "`invalid_uid`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`lpa_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn chain_head(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Json<ChainHeadView>, Problem> {
    caller.require(READERS, "read chain heads")?;
    let id = uid::parse(&raw)?;
    let head = state
        .lpas
        .chain_head(&id)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    Ok(Json(ChainHeadView {
        uid: id.to_string(),
        revision: head.revision,
        hash: head.hash,
    }))
}

/// `?uid=` verifies one LPA only.
#[derive(Debug, Deserialize, IntoParams)]
pub struct VerifyQuery {
    /// Verify only this LPA.
    pub uid: Option<String>,
}

/// The result of recomputing hash chains.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyView {
    /// True when every chain holds.
    pub ok: bool,
    /// LPAs checked.
    pub checked: u64,
    /// History entries checked.
    pub entries: u64,
    /// Each broken chain: `{uid, seq, kind, reason}`.
    #[schema(value_type = Vec<Object>)]
    pub broken: Value,
    /// History whose LPA row is gone: `{uid, lastSeq}` (only when verifying every LPA).
    #[schema(value_type = Vec<Object>)]
    pub orphans: Value,
}

/// Recompute every hash chain (or one LPA's) from the stored rows.
#[utoipa::path(get, path = "/v1/audit/verify", operation_id = "verifyChains", tag = "audit", params(VerifyQuery),
    responses(
        (status = 200, description = "The check's result (ok or the broken chains)", body = VerifyView),
        (status = 400, description = "`invalid_uid`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: auditors and admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`lpa_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<VerifyQuery>,
) -> Result<Json<VerifyView>, Problem> {
    caller.require(VERIFIERS, "verify history chains")?;
    let id = q.uid.as_deref().map(uid::parse).transpose()?;
    let report = state
        .lpas
        .verify(id.as_ref(), |_| {})
        .await
        .map_err(|e| errors::problem(e, ""))?;
    Ok(Json(VerifyView {
        ok: report.ok(),
        checked: report.checked,
        entries: report.entries,
        broken: serde_json::to_value(&report.broken).unwrap_or(Value::Null),
        orphans: serde_json::to_value(&report.orphans).unwrap_or(Value::Null),
    }))
}

/// The latest signed checkpoint of the global log (`serve --audit-key`), as signed: check it with the public key
/// (`lpaflow audit prove`, `docs/audit.md`).
#[utoipa::path(get, path = "/v1/audit/checkpoint", operation_id = "getCheckpoint", tag = "audit",
    responses(
        (status = 200, description = "The checkpoint: `format`, `treeSize`, `root`, `time`, `headsDigest`, `heads`, `publicKey`, `signature`", body = Object),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: auditors and admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`no_checkpoint`: none signed yet (the server runs without `--audit-key`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn checkpoint(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, Problem> {
    caller.require(VERIFIERS, "read checkpoints")?;
    let text = state
        .lpas
        .latest_checkpoint()
        .await
        .map_err(|e| errors::problem(e, ""))?
        .ok_or_else(|| {
            Problem::new(
                axum::http::StatusCode::NOT_FOUND,
                "no_checkpoint",
                "no checkpoint has been signed yet",
            )
        })?;
    let value = serde_json::from_str(&text).map_err(|e| {
        Problem::internal(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the stored checkpoint cannot be read",
            &e,
        )
    })?;
    Ok(Json(value))
}

/// `?treeSize=` the size of the tree the proof is for (a checkpoint's `treeSize`; default: the whole log).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ProofQuery {
    /// The tree size.
    #[param(minimum = 0)]
    pub tree_size: Option<u64>,
}

fn proof_problem(e: ProofError) -> Problem {
    match e {
        ProofError::BeyondLog { pointer, size, log } => {
            Problem::validation(vec![crate::problem::FieldProblem::new(
                pointer,
                format!("{size} is beyond the log's {log} entries"),
            )])
        }
        ProofError::NotInLog(detail) => {
            Problem::new(axum::http::StatusCode::NOT_FOUND, "not_in_log", detail)
        }
        ProofError::Engine(e) => errors::problem(e, ""),
    }
}

/// The inclusion proof of one history entry in the global log.
#[utoipa::path(get, path = "/v1/lpas/{uid}/history/{seq}/proof", operation_id = "getInclusionProof", tag = "audit",
    params(("uid" = String, Path, description = "M-XXXX-XXXX-XXXX"), ("seq" = u64, Path, description = "The entry"), ProofQuery),
    responses(
        (status = 200, description = "`uid`, `seq`, `prevHash`, `entry` (canonical text), `hash`, `leafIndex`, `treeSize`, `path`", body = Object),
        (status = 400, description = "`invalid_uid`; `invalid_query`: `treeSize` is not a whole number of entries; `invalid_path`: `seq` is not one", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`lpa_not_found`; `not_in_log`: no such entry within that tree size", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `treeSize` beyond the log", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn inclusion_proof(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, seq)): Path<(String, u64)>,
    Query(q): Query<ProofQuery>,
) -> Result<Json<Value>, Problem> {
    caller.require(READERS, "read history")?;
    let id = uid::parse(&raw)?;
    let proof = state
        .lpas
        .inclusion_proof(&id, seq, q.tree_size)
        .await
        .map_err(proof_problem)?;
    Ok(Json(serde_json::to_value(proof).unwrap_or(Value::Null)))
}

/// `?from=M&to=N`: the two tree sizes (`to` defaults to the whole log).
#[derive(Debug, Deserialize, IntoParams)]
pub struct ConsistencyQuery {
    /// The older tree's size.
    #[param(minimum = 0)]
    pub from: u64,
    /// The newer tree's size.
    #[param(minimum = 0)]
    pub to: Option<u64>,
}

/// The proof that the log of `to` entries extends the log of `from` entries by appending only.
#[utoipa::path(get, path = "/v1/audit/consistency", operation_id = "getConsistencyProof", tag = "audit",
    params(ConsistencyQuery),
    responses(
        (status = 200, description = "`from`, `to`, `path`", body = Object),
        (status = 400, description = "`invalid_query`: `from` or `to` is not a whole number of entries", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: auditors and admins only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a size beyond the log, or `from` beyond `to`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn consistency_proof(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<Value>, Problem> {
    caller.require(VERIFIERS, "read consistency proofs")?;
    let proof = state
        .lpas
        .consistency_proof(q.from, q.to)
        .await
        .map_err(proof_problem)?;
    Ok(Json(serde_json::to_value(proof).unwrap_or(Value::Null)))
}
