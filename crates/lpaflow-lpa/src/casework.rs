//! A caseworker's decisions on findings, status changes (with their reasons, `shared/DOMAIN.md` section 2),
//! and the two events the engine itself fires: a deadline timer and a problem reported by the OPG sync
//! worker. Which states each status change may leave is declared in `workflows/lpa.toml`; here are the
//! reasons and records.

use crate::actions::read_payload;
use crate::data::LpaData;
use crate::deadlines::DeadlineName;
use crate::fields::{Obj, Problems};
use crate::findings::{Finding, FindingDecision, FindingStatus, Hit, ResolvedBy, RuleId, next_id};
use crate::states::LpaState;
use lpaflow_core::{ActionError, Context, PayloadProblem, Unmet};

/// The command names a finding and says why.
struct FindingChoice {
    id: String,
    reason: String,
}

fn read_choice(ctx: &Context<'_>) -> Result<FindingChoice, ActionError> {
    read_payload(ctx, &["finding", "reason"], |o, p| FindingChoice {
        id: o.req_text("finding", p),
        reason: o.req_long_text("reason", p),
    })
}

/// What stops a caseworker deciding a finding.
pub(crate) fn can_decide_finding(data: &LpaData) -> Vec<Unmet> {
    if data.findings.iter().any(Finding::is_open) {
        Vec::new()
    } else {
        vec![Unmet::new("no_open_finding", "no finding is open")]
    }
}

fn decide(
    ctx: &Context<'_>,
    data: &mut LpaData,
    allowed: &[FindingStatus],
    to: FindingStatus,
) -> Result<(), ActionError> {
    let choice = read_choice(ctx)?;
    let Some(finding) = data.findings.iter_mut().find(|f| f.id == choice.id) else {
        return Err(ActionError::Invalid(vec![PayloadProblem::new(
            "/finding",
            format!("no finding has the id {:?}", choice.id),
        )]));
    };
    if !allowed.contains(&finding.status) {
        return Err(ActionError::Refused(vec![Unmet::new(
            "finding_not_open",
            format!(
                "finding {} is {}; only a finding that is {} can be {}",
                finding.id,
                finding.status,
                allowed
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
                to
            ),
        )]));
    }
    finding.status = to;
    finding.decision = Some(FindingDecision {
        status: to,
        by: ctx.actor.to_string(),
        at: ctx.now,
        reason: choice.reason,
    });
    if to == FindingStatus::Resolved {
        finding.resolved_by = Some(ResolvedBy::Caseworker);
        finding.resolved_at = Some(ctx.now);
    }
    Ok(())
}

/// `lpa.accept_finding`: a detected finding no longer blocks.
pub(crate) fn accept_finding(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    decide(
        ctx,
        data,
        &[FindingStatus::Detected],
        FindingStatus::Accepted,
    )
}

/// `lpa.resolve_finding`: the caseworker resolves an open finding.
pub(crate) fn resolve_finding(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    decide(
        ctx,
        data,
        &[FindingStatus::Detected, FindingStatus::Accepted],
        FindingStatus::Resolved,
    )
}

/// `lpa.reject_finding`: the finding is fatal (the transition goes to `cannot_register`).
pub(crate) fn reject_finding(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    decide(
        ctx,
        data,
        &[FindingStatus::Detected, FindingStatus::Accepted],
        FindingStatus::Fatal,
    )
}

/// `lpa.change_status`: withdrawal, a caseworker's status change, or the engine's own (no attorney left).
/// People other than the donor withdrawing must give a reason; the change itself is recorded by `finish`.
pub(crate) fn change_status(ctx: &Context<'_>, _data: &mut LpaData) -> Result<(), ActionError> {
    let reason_required = !ctx.role.is_system() && ctx.event.as_str() != "withdraw";
    read_payload(ctx, &["reason"], |o: &Obj<'_>, p: &mut Problems| {
        if reason_required {
            o.req_long_text("reason", p);
        } else {
            o.opt_long_text("reason", p);
        }
    })?;
    if LpaState::of(ctx.to).is_none() {
        return Err(ActionError::Refused(vec![Unmet::new(
            "unknown_state",
            format!("the LPA rules do not know the state {}", ctx.to),
        )]));
    }
    Ok(())
}

/// `lpa.deadline_passed`: a deadline timer fired. The refresh at the end of every action raises the finding
/// if the deadline was missed; a deadline met meanwhile raises nothing.
pub(crate) fn deadline_passed(ctx: &Context<'_>, _data: &mut LpaData) -> Result<(), ActionError> {
    read_payload(ctx, &["deadline"], |o, p| {
        o.req_enum::<DeadlineName>("deadline", p);
    })?;
    Ok(())
}

/// What the OPG sync worker reports.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::VariantNames,
)]
#[strum(serialize_all = "snake_case")]
pub enum SyncProblemKind {
    /// OPG refused the step.
    Failed,
    /// OPG accepted it but reads back something else.
    ReadbackMismatch,
    /// OPG holds neither the old nor the new value.
    Conflict,
}

impl SyncProblemKind {
    /// The finding rule of this kind.
    pub fn rule(self) -> RuleId {
        match self {
            SyncProblemKind::Failed => RuleId::SyncFailed,
            SyncProblemKind::ReadbackMismatch => RuleId::SyncReadbackMismatch,
            SyncProblemKind::Conflict => RuleId::SyncConflict,
        }
    }
}

/// `lpa.record_sync_problem`: a finding for a caseworker, one per step and kind while it is open.
pub(crate) fn record_sync_problem(
    ctx: &Context<'_>,
    data: &mut LpaData,
) -> Result<(), ActionError> {
    let (step, kind, detail, differences) =
        read_payload(ctx, &["step", "kind", "detail", "differences"], |o, p| {
            (
                o.req_text("step", p),
                o.req_enum::<SyncProblemKind>("kind", p),
                o.req_long_text("detail", p),
                o.get("differences").cloned(),
            )
        })?;
    let Some(kind) = kind else {
        return Err(ActionError::Invalid(vec![PayloadProblem::new(
            "/kind",
            "is required",
        )]));
    };
    let hit = Hit::new(kind.rule(), step, detail);
    let open = data
        .findings
        .iter_mut()
        .find(|f| f.rule == hit.rule && f.subject == hit.subject && f.is_open());
    match open {
        Some(f) => {
            f.detail = hit.detail;
            f.differences = differences;
        }
        None => {
            let mut f = Finding::new(next_id(&data.findings), &hit, ctx.now);
            f.differences = differences;
            data.findings.push(f);
        }
    }
    Ok(())
}
