//! Reveals over HTTP: an auditor asks to see one history entry's masked personal values, with a reason
//! (`POST /v1/lpas/{uid}/history/{seq}/reveal`), and auditors and admins list who asked, when and why
//! (`GET /v1/lpas/{uid}/reveals`). The use case, and the record made before anything is shown, are
//! `lpaflow_app::reveals`'.

use crate::auth::Caller;
use crate::body::JsonObject;
use crate::extract::Path;
use crate::problem::Problem;
use crate::state::AppState;
use crate::uid;
use axum::Json;
use axum::extract::State;
use serde_json::Value;
use utoipa::ToSchema;

pub use lpaflow_app::reveals::{REVEAL_READERS, REVEALERS, RevealView, RevealedEntry};

/// The body of a reveal.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct RevealRequest {
    /// Why these personal values are needed: up to 500 characters, not only spaces, no control, bidirectional
    /// or zero-width characters (line breaks and tabs are fine); recorded with the reveal.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200D\u202A-\u202E\u2066-\u2069\uFEFF]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200D\u202A-\u202E\u2066-\u2069\uFEFF][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200D\u202A-\u202E\u2066-\u2069\uFEFF]*$"
    )]
    reason: String,
}

/// Show one history entry with its personal values, recording who asked and why first.
#[utoipa::path(post, path = "/v1/lpas/{uid}/history/{seq}/reveal", operation_id = "revealHistoryEntry", tag = "audit",
    params(("uid" = String, Path, description = "M-XXXX-XXXX-XXXX"), ("seq" = u64, Path, description = "The entry")),
    request_body(content = RevealRequest, description = "Why"),
    responses(
        (status = 200, description = "The record of this reveal and the entry unmasked", body = RevealedEntry),
        (status = 400, description = "`invalid_uid`, `invalid_path`, `malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: auditors only (services and caseworkers see the values anyway)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`lpa_not_found`, `entry_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `/reason` missing, too long or holding characters text may not", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn reveal(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, seq)): Path<(String, u64)>,
    JsonObject(body): JsonObject,
) -> Result<Json<RevealedEntry>, Problem> {
    let id = uid::parse(&raw)?;
    let reason = body.get("reason").and_then(Value::as_str);
    Ok(Json(
        state.lpas.reveal_entry(&caller, &id, seq, reason).await?,
    ))
}

/// Who asked to see an LPA's personal values, when and why, newest first (at most 200).
#[utoipa::path(get, path = "/v1/lpas/{uid}/reveals", operation_id = "listReveals", tag = "audit",
    params(("uid" = String, Path, description = "M-XXXX-XXXX-XXXX")),
    responses(
        (status = 200, description = "The reveals, newest first", body = [RevealView]),
        (status = 400, description = "`invalid_uid`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: auditors and admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`lpa_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Json<Vec<RevealView>>, Problem> {
    let id = uid::parse(&raw)?;
    Ok(Json(state.lpas.reveals(&caller, &id).await?))
}
