//! The read model of one LPA for a role: state and revision, the application, findings, the fee ledger,
//! signatures and deadlines, pending and failed OPG steps, timers, and the events the role may fire now (with
//! the reason for every other event on request). Built field by field from the stored instance and one run of
//! the rules (`lpaflow_lpa::explain`); the API serves it as JSON and the console renders from the same parts.

use crate::caller::Role;
use crate::service::LpaService;
use chrono::{DateTime, Utc};
use lpaflow_core::{Awaiting, InstanceId};
use lpaflow_engine::Error;
use lpaflow_lpa::explain::{DeadlineView, Refusal};
use lpaflow_lpa::fees::FeeLedger;
use lpaflow_lpa::findings::Finding;
use lpaflow_lpa::guards::MissingSignature;
use lpaflow_lpa::objections::{Objection, WaitingPeriod};
use lpaflow_lpa::rule_dates::RuleDates;
use lpaflow_lpa::{Explanation, LpaData, RefundTotals};
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
    #[schema(schema_with = crate::schema::step_status)]
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
    #[schema(schema_with = crate::schema::sync_status)]
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
    /// The application as the service sent it (personal values masked for auditors and admins).
    #[schema(value_type = Object)]
    pub application: Value,
    /// Every finding, with its status.
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<Finding>,
    /// The fee ledger.
    #[schema(value_type = Object)]
    pub fee: Option<FeeLedger>,
    /// Refunds avoided and still due.
    #[schema(value_type = Object)]
    pub refunds: Option<RefundTotals>,
    /// The UK local dates the rules used: `timeZone`, `today`, `referenceDate` and `feeDate` (each with its
    /// `source`), `repeatWindow?`, `waitingPeriod?`.
    #[schema(value_type = Option<Object>)]
    pub dates: Option<RuleDates>,
    /// Signatures still missing.
    #[schema(value_type = Vec<Object>)]
    pub missing_signatures: Option<Vec<MissingSignature>>,
    /// Deadlines and where they stand.
    #[schema(value_type = Vec<Object>)]
    pub deadlines: Option<Vec<DeadlineView>>,
    /// The statutory waiting period, once started.
    #[schema(value_type = Option<Object>)]
    pub waiting_period: Option<WaitingPeriod>,
    /// Objections not decided yet.
    #[schema(value_type = Vec<Object>)]
    pub open_objections: Option<Vec<Objection>>,
    /// The blocking step the LPA waits for, if any.
    #[schema(value_type = Option<Object>)]
    pub awaiting: Option<Awaiting>,
    /// The caseworker who has the case (`actor`, `since`, `assignedBy`), if anyone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub case_owner: Option<lpaflow_lpa::assignment::CaseOwner>,
    /// OPG sync.
    pub sync: SyncView,
    /// Timers.
    pub timers: Vec<TimerView>,
    /// Events the caller's role may fire now.
    pub allowed_events: Vec<String>,
    /// Every other event with the reason it would be refused (with `?explain=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub refused_events: Option<Vec<Refusal>>,
    /// Set when the stored data cannot be read as an LPA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_problem: Option<String>,
}

impl LpaService {
    /// LPA `uid` as `role` sees it (`explain` adds every refused event with its reason).
    pub async fn view(
        &self,
        uid: &InstanceId,
        role: Role,
        explain: bool,
    ) -> Result<LpaView, Error> {
        let stored = self.existing(uid).await?;
        self.view_of(&stored, role, explain).await
    }

    /// `stored` as `role` sees it, with its steps and timers read now.
    pub async fn view_of(
        &self,
        stored: &StoredInstance,
        role: Role,
        explain: bool,
    ) -> Result<LpaView, Error> {
        let uid = &stored.instance.id;
        let steps = self.engine.steps(uid).await?;
        let timers = self.engine.timers(uid).await?;
        let explanation = self.explain(stored);
        Ok(assemble(
            stored,
            explanation.as_ref(),
            &steps,
            &timers,
            role,
            explain,
        ))
    }

    /// The rules' explanation of `stored` now (`None` when its definition is not loaded).
    pub(crate) fn explain(&self, stored: &StoredInstance) -> Option<Explanation> {
        let def = self.engine.definition_for(stored).ok()?;
        Some(lpaflow_lpa::explain(
            &def,
            self.engine.rules().as_ref(),
            &stored.instance,
            self.engine.clock().now(),
        ))
    }
}

/// `application` as `role` may see it: whole, or with its personal values masked.
fn shown_to(role: Role, application: &Value) -> Value {
    if role.sees_personal_data() {
        application.clone()
    } else {
        lpaflow_lpa::personal::mask(application)
    }
}

/// The events `role` may fire now and the refusals of the others.
fn role_events(x: Option<&Explanation>, role: Role) -> (Vec<String>, Vec<Refusal>) {
    let name: &str = role.into();
    x.and_then(|x| x.roles.iter().find(|r| r.role == name))
        .map(|r| (r.may_fire.clone(), r.refused.clone()))
        .unwrap_or_default()
}

/// The view of `stored` for `role` from its explanation `x`, steps and timers.
pub fn assemble(
    stored: &StoredInstance,
    x: Option<&Explanation>,
    steps: &[StepRow],
    timers: &[TimerRow],
    role: Role,
    explain: bool,
) -> LpaView {
    let i = &stored.instance;
    let (allowed_events, refused) = role_events(x, role);
    let data = LpaData::load(&i.data);
    LpaView {
        uid: i.id.to_string(),
        workflow: WorkflowRefView {
            name: i.workflow.name.clone(),
            version: i.workflow.version,
        },
        state: i.state.to_string(),
        status: x
            .and_then(|x| x.status.as_ref())
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_owned)),
        revision: i.revision,
        created_at: i.created_at,
        updated_at: i.updated_at,
        application: data
            .as_ref()
            .map(|d| shown_to(role, &d.application))
            .unwrap_or(Value::Null),
        findings: data
            .as_ref()
            .map(|d| d.findings.clone())
            .unwrap_or_default(),
        fee: x.and_then(|x| x.fee.clone()),
        refunds: x.map(|x| x.refunds),
        dates: x.and_then(|x| x.dates.clone()),
        missing_signatures: x.map(|x| x.missing_signatures.clone()),
        deadlines: x.map(|x| x.deadlines.clone()),
        waiting_period: x.and_then(|x| x.waiting_period.clone()),
        open_objections: x.map(|x| x.open_objections.clone()),
        awaiting: i.awaiting.clone(),
        case_owner: data.as_ref().ok().and_then(|d| d.case_owner.clone()),
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
        refused_events: explain.then_some(refused),
        data_problem: data
            .err()
            .map(|e| e.to_string())
            .or_else(|| x.and_then(|x| x.data_problem.clone())),
    }
}
