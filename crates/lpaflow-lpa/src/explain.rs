//! `explain`: one LPA as a caseworker or a service needs to see it: state, open findings, the fee ledger,
//! missing signatures, deadlines and the waiting period, and for each role the events it may fire now and why
//! every other event would be refused. Pure and read-only: it runs the interpreter's admissibility checks,
//! the guards and the actions' payload-independent preconditions, never the actions themselves (they need
//! payloads). The CLI prints it ([`std::fmt::Display`]); the HTTP API serves it as JSON.

use crate::actions::{Action, preconditions};
use crate::data::LpaData;
use crate::deadlines::{Deadline, DeadlineStatus};
use crate::fees::{FeeLedger, RefundTotals, refund_totals};
use crate::findings::Finding;
use crate::guards::{MissingSignature, missing_signatures};
use crate::objections::{Objection, WaitingPeriod, open_objections};
use crate::rule_dates::{RuleDates, rule_dates};
use crate::states::{LpaState, LpaStatus};
use chrono::{DateTime, Utc};
use lpaflow_core::interpreter::{admissible_transition, unmet_guards};
use lpaflow_core::{
    Awaiting, BusinessZone, Command, Context, Instance, Reading, Rules, TransitionDef, Unmet,
    WorkflowDef,
};
use serde::Serialize;
use std::fmt;

/// The roles `explain` reports on (the engine's own `system` role is left out).
pub const EXPLAINED_ROLES: &[&str] = &["service", "caseworker", "auditor", "admin"];

/// A deadline with where it stands now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadlineView {
    /// The deadline.
    #[serde(flatten)]
    pub deadline: Deadline,
    /// When its timer fires.
    pub due_at: DateTime<Utc>,
    /// Open, met or missed.
    pub status: DeadlineStatus,
}

/// An event a role cannot fire now, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    /// The event.
    pub event: String,
    /// The interpreter's code (`forbidden`, `not_allowed_in_state`, `guard_failed`, ...).
    pub code: String,
    /// One sentence.
    pub detail: String,
    /// Every unmet condition, for guard and precondition refusals.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<Unmet>,
}

/// What one role may do now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleEvents {
    /// The role.
    pub role: String,
    /// Events it may fire now (the payload is still checked when it does).
    pub may_fire: Vec<String>,
    /// Every other event, with the reason.
    pub refused: Vec<Refusal>,
}

/// An automatic transition from the current state and whether its guards pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomaticEvent {
    /// The event.
    pub event: String,
    /// What still stops it (empty: it fires after the next accepted command).
    pub unmet: Vec<Unmet>,
}

/// The explanation of one LPA.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The LPA uid.
    pub uid: String,
    /// The workflow state.
    pub state: String,
    /// The LPA Store status it maps to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<LpaStatus>,
    /// The instance's revision.
    pub revision: u64,
    /// A blocking OPG step not yet confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awaiting: Option<Awaiting>,
    /// When it was submitted to OPG.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    /// Set when the data cannot be read as LPA data (the rest is then mostly empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_problem: Option<String>,
    /// Findings detected or accepted (as they are now).
    pub open_findings: Vec<Finding>,
    /// The fee ledger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee: Option<FeeLedger>,
    /// The UK local dates the rules used (ages, fee, repeat window, waiting period).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dates: Option<RuleDates>,
    /// Refund figures.
    pub refunds: RefundTotals,
    /// Signatures still needed.
    pub missing_signatures: Vec<MissingSignature>,
    /// Signing deadlines.
    pub deadlines: Vec<DeadlineView>,
    /// The waiting period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_period: Option<WaitingPeriod>,
    /// Objections still open.
    pub open_objections: Vec<Objection>,
    /// Automatic transitions from here.
    pub automatic: Vec<AutomaticEvent>,
    /// What each role may do.
    pub roles: Vec<RoleEvents>,
}

/// Explains `instance` at `now`.
pub fn explain(
    def: &WorkflowDef,
    rules: &dyn Rules,
    instance: &Instance,
    now: DateTime<Utc>,
) -> Explanation {
    explain_with_data(def, rules, instance, now).0
}

/// Explains `instance` at `now`, and returns its data as the explanation saw it (refreshed at `now`; `None`
/// when it cannot be read as LPA data), so a reader that shows both runs the rules once.
pub fn explain_with_data(
    def: &WorkflowDef,
    rules: &dyn Rules,
    instance: &Instance,
    now: DateTime<Utc>,
) -> (Explanation, Option<LpaData>) {
    let state = LpaState::of(&instance.state);
    // One reading of the data for the explanation and every guard it asks about.
    let reading = Reading::new();
    let read = LpaData::read(&instance.data, &reading);
    let loaded = read.as_ref().as_ref();
    let mut out = Explanation {
        uid: instance.id.to_string(),
        state: instance.state.to_string(),
        status: state.map(LpaState::store_status),
        revision: instance.revision,
        awaiting: instance.awaiting.clone(),
        submitted_at: None,
        data_problem: loaded.err().map(ToString::to_string),
        open_findings: Vec::new(),
        fee: None,
        dates: None,
        refunds: refund_totals(&instance.data),
        missing_signatures: Vec::new(),
        deadlines: Vec::new(),
        waiting_period: None,
        open_objections: Vec::new(),
        automatic: automatic(def, rules, (instance, &reading), now),
        roles: Vec::new(),
    };
    let zone = rules.zone();
    let data = loaded.ok().map(|d| {
        let mut d = d.clone();
        d.refresh(now, zone);
        d
    });
    if let Some(d) = &data {
        describe_data(&mut out, d, now, zone);
    }
    out.roles = EXPLAINED_ROLES
        .iter()
        .map(|role| role_events(def, rules, (instance, &reading), data.as_ref(), role, now))
        .collect();
    (out, data)
}

fn describe_data(out: &mut Explanation, d: &LpaData, now: DateTime<Utc>, zone: BusinessZone) {
    let today = zone.date_of(now);
    let (app, _) = d.application(now, zone);
    out.dates = Some(rule_dates(d, &app, now, zone));
    out.submitted_at = d.submitted_at;
    out.open_findings = d.findings.iter().filter(|f| f.is_open()).cloned().collect();
    out.fee = Some(d.fee.clone());
    out.missing_signatures = missing_signatures(d);
    out.deadlines = d
        .deadlines
        .iter()
        .map(|dl| DeadlineView {
            deadline: dl.clone(),
            due_at: dl.fires_at(zone),
            status: dl.status(today),
        })
        .collect();
    out.waiting_period = d.waiting_period.clone();
    out.open_objections = open_objections(d).cloned().collect();
}

fn automatic(
    def: &WorkflowDef,
    rules: &dyn Rules,
    subject: Subject<'_>,
    now: DateTime<Utc>,
) -> Vec<AutomaticEvent> {
    let command = Command::system("explain".into(), "explain");
    def.automatic_from(&subject.0.state)
        .map(|t| {
            let ctx = context(subject, t, &command, now, rules.zone());
            AutomaticEvent {
                event: t.event.to_string(),
                unmet: unmet_guards(rules, &t.guards, &ctx),
            }
        })
        .collect()
}

/// An instance and the reading of its data shared by every guard an explanation asks about.
type Subject<'a> = (&'a Instance, &'a Reading);

fn context<'a>(
    (instance, reading): Subject<'a>,
    t: &'a TransitionDef,
    command: &'a Command,
    now: DateTime<Utc>,
    zone: BusinessZone,
) -> Context<'a> {
    Context {
        instance,
        reading,
        event: &t.event,
        actor: &command.actor,
        role: &command.role,
        payload: &command.payload,
        to: t.target(&instance.state),
        now,
        zone,
    }
}

fn only_automatic(def: &WorkflowDef, event: &lpaflow_core::EventName) -> bool {
    def.transitions_for(event).all(|t| t.automatic)
}

fn role_events(
    def: &WorkflowDef,
    rules: &dyn Rules,
    subject: Subject<'_>,
    data: Option<&LpaData>,
    role: &str,
    now: DateTime<Utc>,
) -> RoleEvents {
    let mut view = RoleEvents {
        role: role.to_owned(),
        may_fire: Vec::new(),
        refused: Vec::new(),
    };
    for event in def.events().into_iter().filter(|e| !only_automatic(def, e)) {
        let command = Command::new(event.clone(), "explain", role);
        match refusal(def, rules, subject, data, &command, now) {
            None => view.may_fire.push(event.to_string()),
            Some(r) => view.refused.push(r),
        }
    }
    view
}

fn refusal(
    def: &WorkflowDef,
    rules: &dyn Rules,
    subject: Subject<'_>,
    data: Option<&LpaData>,
    command: &Command,
    now: DateTime<Utc>,
) -> Option<Refusal> {
    let event = command.event.to_string();
    let t = match admissible_transition(def, subject.0, command) {
        Ok(t) => t,
        Err(r) => {
            return Some(Refusal {
                event,
                code: r.code().to_owned(),
                detail: r.to_string(),
                unmet: Vec::new(),
            });
        }
    };
    let ctx = context(subject, t, command, now, rules.zone());
    let mut unmet = unmet_guards(rules, &t.guards, &ctx);
    let action = t
        .action
        .as_ref()
        .and_then(|a| a.as_str().parse::<Action>().ok());
    if let (Some(action), Some(data)) = (action, data) {
        unmet.extend(preconditions(action, &ctx, data).into_iter().map(|mut u| {
            u.source
                .get_or_insert_with(|| <&str>::from(action).to_owned());
            u
        }));
    }
    if unmet.is_empty() {
        return None;
    }
    let detail = unmet
        .iter()
        .map(|u| u.detail.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    Some(Refusal {
        event,
        code: "guard_failed".into(),
        detail,
        unmet,
    })
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self
            .status
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        writeln!(
            f,
            "LPA {} (revision {}): {} [{status}]",
            self.uid, self.revision, self.state
        )?;
        if let Some(a) = &self.awaiting {
            writeln!(
                f,
                "  awaiting OPG confirmation of {} since {}",
                a.step,
                a.since.to_rfc3339()
            )?;
        }
        if let Some(p) = &self.data_problem {
            writeln!(f, "  data problem: {p}")?;
        }
        writeln!(f, "Open findings: {}", self.open_findings.len())?;
        for x in &self.open_findings {
            writeln!(
                f,
                "  {} {} {} [{} {}] {}",
                x.id, x.rule, x.subject, x.severity, x.status, x.detail
            )?;
        }
        if let Some(fee) = &self.fee {
            let a = &fee.amounts;
            writeln!(
                f,
                "Fee: claimed {} assessed {} approved {}; cost {} reduction {} paid {} balance {} (pence){}",
                fee.claimed_type
                    .map(|t| t.to_string())
                    .unwrap_or("-".into()),
                fee.assessed_type
                    .map(|t| t.to_string())
                    .unwrap_or("-".into()),
                fee.decision
                    .as_ref()
                    .map(|d| d.approved_type.to_string())
                    .unwrap_or("-".into()),
                a.full_cost_pence,
                a.reduction_pence,
                a.paid_pence,
                a.balance_pence,
                if a.reduction_pending {
                    "; reduction undecided"
                } else {
                    ""
                },
            )?;
        }
        if let Some(dates) = &self.dates {
            write!(f, "{dates}")?;
        }
        writeln!(
            f,
            "Refunds: avoided {} pence, due {} pence",
            self.refunds.refund_avoided_pence, self.refunds.refund_due_pence
        )?;
        writeln!(f, "Missing signatures: {}", self.missing_signatures.len())?;
        for m in &self.missing_signatures {
            writeln!(f, "  {} {}", m.role, m.uid.as_deref().unwrap_or(""))?;
        }
        for d in &self.deadlines {
            let status: &str = d.status.into();
            writeln!(
                f,
                "Deadline {} {}: last day {} ({status})",
                d.deadline.name, d.deadline.subject, d.deadline.last_day
            )?;
        }
        if let Some(w) = &self.waiting_period {
            writeln!(
                f,
                "Waiting period: {} to {}",
                w.started_at.to_rfc3339(),
                w.ends_at.to_rfc3339()
            )?;
        }
        for o in &self.open_objections {
            writeln!(
                f,
                "Objection {} open since {}",
                o.id,
                o.received_at.to_rfc3339()
            )?;
        }
        for role in &self.roles {
            writeln!(f, "{} may fire: {}", role.role, role.may_fire.join(", "))?;
            for r in &role.refused {
                writeln!(f, "  {} refused ({}): {}", r.event, r.code, r.detail)?;
            }
        }
        Ok(())
    }
}
