//! The LPA as the API shows it: state and revision, the application, findings, the fee ledger, signatures and
//! deadlines, pending and failed OPG steps, timers, and the events the caller's role may fire now (with the
//! reason for every other event on request). Built from the stored instance and `lpaflow_lpa::explain`.

use crate::auth::Role;
use chrono::{DateTime, Utc};
use lpaflow_engine::Engine;
use lpaflow_lpa::LpaData;
use lpaflow_store::{StepRow, StepStatus, StoredInstance, TimerRow};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// One OPG step as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    /// Outbox id.
    pub id: i64,
    /// Position among the LPA's steps.
    pub seq: u64,
    /// `opg.create`, `opg.update:<TYPE>`.
    pub step: String,
    /// `blocked`, `queued`, `suspended`, `in_flight`, `retrying`, `done`, `failed`, `skipped`.
    #[schema(schema_with = crate::openapi::schemas::step_status)]
    pub status: String,
    /// Attempts made.
    pub attempts: u32,
    /// The next attempt must read back first.
    pub ambiguous: bool,
    /// When it was enqueued (pending since).
    pub created_at: DateTime<Utc>,
    /// When it may next be attempted.
    pub next_attempt_at: DateTime<Utc>,
    /// When it finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    /// The last error.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub last_error: Option<Value>,
    /// What OPG answered when it was done.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
}

impl From<&StepRow> for StepView {
    fn from(s: &StepRow) -> Self {
        Self {
            id: s.id,
            seq: s.seq,
            step: s.step.to_string(),
            status: s.status.to_string(),
            attempts: s.attempts,
            ambiguous: s.ambiguous,
            created_at: s.created_at,
            next_attempt_at: s.next_attempt_at,
            completed_at: s.completed_at,
            last_error: s.last_error.clone(),
            result: s.result.clone(),
        }
    }
}

/// Where the LPA stands with OPG.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncView {
    /// `synced`, `pending`, `awaiting_sync` or `failed`.
    #[schema(schema_with = crate::openapi::schemas::sync_status)]
    pub status: String,
    /// Steps not yet confirmed, oldest first.
    pub pending: Vec<StepView>,
    /// Steps refused for good, waiting for a person.
    pub failed: Vec<StepView>,
}

/// A timer.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimerView {
    /// Name.
    pub name: String,
    /// When it fires.
    pub fire_at: DateTime<Utc>,
    /// The event it fires.
    pub event: String,
}

/// Workflow name and version.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WorkflowRefView {
    /// Name.
    pub name: String,
    /// Version.
    pub version: u32,
}

/// One LPA.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LpaView {
    /// `M-XXXX-XXXX-XXXX`.
    pub uid: String,
    /// The definition it is pinned to.
    pub workflow: WorkflowRefView,
    /// lpaflow state.
    pub state: String,
    /// The LPA Store status it maps to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Revision (the ETag).
    pub revision: u64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The application as the service sent it.
    #[schema(value_type = Object)]
    pub application: Value,
    /// Every finding, with its status.
    #[schema(value_type = Vec<Object>)]
    pub findings: Value,
    /// The fee ledger.
    #[schema(value_type = Object)]
    pub fee: Value,
    /// Refunds avoided and still due.
    #[schema(value_type = Object)]
    pub refunds: Value,
    /// The UK local dates the rules used: `timeZone`, `today`, `referenceDate` and `feeDate` (each with its
    /// `source`), `repeatWindow?`, `waitingPeriod?`.
    #[schema(value_type = Option<Object>)]
    pub dates: Value,
    /// Signatures still missing.
    #[schema(value_type = Vec<Object>)]
    pub missing_signatures: Value,
    /// Deadlines and where they stand.
    #[schema(value_type = Vec<Object>)]
    pub deadlines: Value,
    /// The statutory waiting period, once started.
    #[schema(value_type = Option<Object>)]
    pub waiting_period: Value,
    /// Objections not decided yet.
    #[schema(value_type = Vec<Object>)]
    pub open_objections: Value,
    /// The blocking step the LPA waits for, if any.
    #[schema(value_type = Option<Object>)]
    pub awaiting: Value,
    /// OPG sync.
    pub sync: SyncView,
    /// Timers.
    pub timers: Vec<TimerView>,
    /// Events the caller's role may fire now.
    pub allowed_events: Vec<String>,
    /// Every other event with the reason it would be refused (with `?explain=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub refused_events: Option<Value>,
    /// Set when the stored data cannot be read as an LPA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_problem: Option<String>,
}

fn field(v: &Value, key: &str) -> Value {
    v.get(key).cloned().unwrap_or(Value::Null)
}

/// Builds the view of `stored` for `role`.
pub async fn build(
    engine: &Engine,
    stored: &StoredInstance,
    role: Role,
    explain: bool,
) -> Result<LpaView, lpaflow_engine::Error> {
    let uid = &stored.instance.id;
    let steps = engine.steps(uid).await?;
    let timers = engine.timers(uid).await?;
    Ok(assemble(engine, stored, &steps, &timers, role, explain))
}

fn assemble(
    engine: &Engine,
    stored: &StoredInstance,
    steps: &[StepRow],
    timers: &[TimerRow],
    role: Role,
    explain: bool,
) -> LpaView {
    let i = &stored.instance;
    let explanation = engine
        .definition_for(stored)
        .ok()
        .map(|def| lpaflow_lpa::explain(&def, engine.rules().as_ref(), i, engine.clock().now()));
    let e = explanation
        .as_ref()
        .and_then(|x| serde_json::to_value(x).ok())
        .unwrap_or(Value::Null);
    let role_name: &str = role.into();
    let mine = e
        .get("roles")
        .and_then(Value::as_array)
        .and_then(|roles| roles.iter().find(|r| r["role"] == role_name))
        .cloned();
    let allowed_events = mine
        .as_ref()
        .and_then(|r| r.get("mayFire"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let data = LpaData::load(&i.data);
    LpaView {
        uid: i.id.to_string(),
        workflow: WorkflowRefView {
            name: i.workflow.name.clone(),
            version: i.workflow.version,
        },
        state: i.state.to_string(),
        status: e.get("status").and_then(Value::as_str).map(str::to_owned),
        revision: i.revision,
        created_at: i.created_at,
        updated_at: i.updated_at,
        application: data
            .as_ref()
            .map(|d| d.application.clone())
            .unwrap_or(Value::Null),
        findings: data
            .as_ref()
            .ok()
            .and_then(|d| serde_json::to_value(&d.findings).ok())
            .unwrap_or(Value::Array(vec![])),
        fee: field(&e, "fee"),
        refunds: field(&e, "refunds"),
        dates: field(&e, "dates"),
        missing_signatures: field(&e, "missingSignatures"),
        deadlines: field(&e, "deadlines"),
        waiting_period: field(&e, "waitingPeriod"),
        open_objections: field(&e, "openObjections"),
        awaiting: serde_json::to_value(&i.awaiting).unwrap_or(Value::Null),
        sync: SyncView {
            status: stored.sync_status.to_string(),
            pending: steps
                .iter()
                .filter(|s| s.status.is_open())
                .map(StepView::from)
                .collect(),
            failed: steps
                .iter()
                .filter(|s| s.status == StepStatus::Failed)
                .map(StepView::from)
                .collect(),
        },
        timers: timers
            .iter()
            .map(|t| TimerView {
                name: t.name.to_string(),
                fire_at: t.fire_at,
                event: t.event.clone(),
            })
            .collect(),
        allowed_events,
        refused_events: explain.then(|| {
            mine.as_ref()
                .map(|r| field(r, "refused"))
                .unwrap_or(Value::Array(vec![]))
        }),
        data_problem: data.err().map(|e| e.to_string()).or_else(|| {
            e.get("dataProblem")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }),
    }
}

/// The strong ETag of a revision: `"<revision>"`.
pub fn etag(revision: u64) -> String {
    format!("\"{revision}\"")
}

/// Reads a revision from `If-Match` / `If-None-Match` (`"3"`, `W/"3"` or `3`); `None` if it is not one.
pub fn parse_etag(value: &str) -> Option<u64> {
    let v = value.trim().trim_start_matches("W/");
    v.trim_matches('"').parse().ok()
}
