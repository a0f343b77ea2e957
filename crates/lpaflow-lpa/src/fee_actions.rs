//! The fee events: evidence for a claimed reduction, the caseworker's decision (approved, possibly with
//! another type, or declined, which means the full fee) and payments (positive) or refunds paid out
//! (negative). The arithmetic lives in [`crate::fees`].

use crate::actions::read_payload;
use crate::application::{Application, FeeType};
use crate::data::LpaData;
use crate::fees::{EvidenceKind, FeeEvidence, FeeOutcome, PAYMENT_MAX_PENCE, Payment};
use chrono::{DateTime, Utc};
use lpaflow_core::{ActionError, BusinessZone, Context, PayloadProblem, Unmet};

fn no_reduction_claimed() -> Unmet {
    Unmet::new(
        "no_reduction_claimed",
        "the application claims no fee reduction",
    )
}

fn already_decided(data: &LpaData, zone: BusinessZone) -> Vec<Unmet> {
    data.fee
        .decision
        .as_ref()
        .map(|d| {
            Unmet::new(
                "fee_already_decided",
                format!(
                    "the fee was decided on {}",
                    crate::dates::Day(zone.date_of(d.decided_at))
                ),
            )
        })
        .into_iter()
        .collect()
}

/// What stops evidence being recorded.
pub(crate) fn can_provide_evidence(data: &LpaData, zone: BusinessZone) -> Vec<Unmet> {
    if !data.fee.reduction_claimed() {
        return vec![no_reduction_claimed()];
    }
    already_decided(data, zone)
}

/// `lpa.provide_fee_evidence`: `{kind, reference, receivedAt?}`; `app` is `data`'s application as read for
/// this command.
pub(crate) fn provide_evidence(
    ctx: &Context<'_>,
    data: &mut LpaData,
    app: &Application,
) -> Result<(), ActionError> {
    let (kind, reference, received_at) =
        read_payload(ctx, &["kind", "reference", "receivedAt"], |o, p| {
            (
                o.req_enum::<EvidenceKind>("kind", p),
                o.req_text("reference", p),
                o.opt_time_not_after("receivedAt", ctx.now, p),
            )
        })?;
    check_received_after_application(ctx, app, received_at)?;
    let Some(kind) = kind else {
        return Err(ActionError::Invalid(vec![PayloadProblem::new(
            "/kind",
            "is required",
        )]));
    };
    data.fee.evidence.push(FeeEvidence {
        kind,
        reference,
        provided_at: ctx.now,
        provided_by: ctx.actor.to_string(),
        received_at,
    });
    Ok(())
}

/// What stops a caseworker deciding the fee.
pub(crate) fn can_decide(data: &LpaData, zone: BusinessZone) -> Vec<Unmet> {
    if !data.fee.reduction_claimed() {
        return vec![no_reduction_claimed()];
    }
    already_decided(data, zone)
}

/// `lpa.decide_fee`: `{outcome: "approved", approvedType, reason?}` or `{outcome: "declined", reason?}`.
pub(crate) fn decide(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    let (outcome, approved, reason) =
        read_payload(ctx, &["outcome", "approvedType", "reason"], |o, p| {
            (
                o.req_enum::<FeeOutcome>("outcome", p),
                o.opt_enum::<FeeType>("approvedType", p),
                o.opt_long_text("reason", p),
            )
        })?;
    let approved_type = match (outcome, approved) {
        (Some(FeeOutcome::Approved), Some(FeeType::FullFee)) => Err(PayloadProblem::new(
            "/approvedType",
            "a reduction cannot approve the full fee; decline it instead",
        )),
        (Some(FeeOutcome::Approved), Some(t)) => Ok(t),
        (Some(FeeOutcome::Approved), None) => Err(PayloadProblem::new(
            "/approvedType",
            "is required when the reduction is approved",
        )),
        (Some(FeeOutcome::Declined), None) => Ok(FeeType::FullFee),
        (Some(FeeOutcome::Declined), Some(_)) => Err(PayloadProblem::new(
            "/approvedType",
            "must be left out when the reduction is declined",
        )),
        (None, _) => Err(PayloadProblem::new("/outcome", "is required")),
    }
    .map_err(|p| ActionError::Invalid(vec![p]))?;
    let outcome = if approved_type == FeeType::FullFee {
        FeeOutcome::Declined
    } else {
        FeeOutcome::Approved
    };
    if outcome == FeeOutcome::Approved && data.fee.evidence.is_empty() {
        return Err(ActionError::Refused(vec![Unmet::new(
            "evidence_missing",
            "a reduction needs evidence before it is approved (provide_fee_evidence)",
        )]));
    }
    data.fee
        .decide(outcome, approved_type, reason, ctx.actor.as_str(), ctx.now);
    Ok(())
}

/// A payment or evidence cannot reach the OPG before the application it belongs to.
fn check_received_after_application(
    ctx: &Context<'_>,
    app: &Application,
    received_at: Option<DateTime<Utc>>,
) -> Result<(), ActionError> {
    match received_at.zip(app.received_at) {
        Some((r, application)) if ctx.date_of(r) < ctx.date_of(application) => {
            Err(ActionError::Invalid(vec![PayloadProblem::new(
                "/receivedAt",
                format!(
                    "is before the application was received ({})",
                    crate::dates::Day(ctx.date_of(application))
                ),
            )]))
        }
        Some(_) | None => Ok(()),
    }
}

/// `lpa.record_payment`: `{amountPence, reference?, paidAt?, receivedAt?}`; a negative amount is a refund
/// paid out. `app` is `data`'s application as read for this command.
pub(crate) fn record_payment(
    ctx: &Context<'_>,
    data: &mut LpaData,
    app: &Application,
) -> Result<(), ActionError> {
    let (amount, reference, paid_at, received_at) = read_payload(
        ctx,
        &["amountPence", "reference", "paidAt", "receivedAt"],
        |o, p| {
            if o.get("amountPence").is_none() {
                p.add("/amountPence", "is required");
            }
            (
                o.opt_int("amountPence", -PAYMENT_MAX_PENCE, PAYMENT_MAX_PENCE, p),
                o.opt_text("reference", p),
                o.opt_time_not_after("paidAt", ctx.now, p),
                o.opt_time_not_after("receivedAt", ctx.now, p),
            )
        },
    )?;
    check_received_after_application(ctx, app, received_at)?;
    let amount = amount.filter(|a| *a != 0).ok_or_else(|| {
        ActionError::Invalid(vec![PayloadProblem::new(
            "/amountPence",
            "must not be zero",
        )])
    })?;
    let paid = data.fee.paid_pence();
    if paid + amount < 0 {
        return Err(ActionError::Refused(vec![Unmet::new(
            "refund_exceeds_payments",
            format!(
                "a refund of {} pence is more than the {paid} pence paid",
                -amount
            ),
        )]));
    }
    data.fee.payments.push(Payment {
        amount_pence: amount,
        paid_at: paid_at.unwrap_or(ctx.now),
        reference,
        recorded_by: ctx.actor.to_string(),
        received_at,
    });
    Ok(())
}
