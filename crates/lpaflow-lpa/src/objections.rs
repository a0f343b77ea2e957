//! The statutory waiting period, objections and registration (`shared/DOMAIN.md` sections 2 and 5), and the
//! record of status changes.
//!
//! Entering the waiting period records when it ends: 28 UK local days beginning with the day it began, so it
//! ends at the local midnight after the 28th day (GMT or BST as that date requires); the state's timer in
//! `workflows/lpa.toml` (`after = "28d", at = "midnight"`) fires `waiting_period_elapsed` at that very instant. Registration is requested automatically once the period has ended with no
//! objection and no blocking finding open; an upheld objection means the LPA is not registered.

use crate::actions::read_payload;
use crate::data::LpaData;
use crate::states::LpaStatus;
use chrono::{DateTime, Days, Utc};
use lpaflow_core::{ActionError, Context, PayloadProblem, Unmet};
use serde::{Deserialize, Serialize};

/// The statutory waiting period, in local days.
pub const WAITING_PERIOD_DAYS: u64 = 28;
/// The same 28 days as a duration (version 2's timer: `after = "28d"` without `at`).
const WAITING_PERIOD_WHOLE_DAYS: i64 = 28;

/// Where an objection stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::Display,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ObjectionStatus {
    /// Waiting for a caseworker: registration waits too.
    Open,
    /// Not upheld.
    Dismissed,
    /// Upheld: the LPA is not registered.
    Upheld,
}

/// A caseworker's decision on an objection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectionDecision {
    /// Who.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// An objection to registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Objection {
    /// `O1`, `O2`, ...
    pub id: String,
    /// What the objection says.
    pub detail: String,
    /// When it was recorded.
    pub received_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: String,
    /// Open, dismissed or upheld.
    pub status: ObjectionStatus,
    /// The decision.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decision: Option<ObjectionDecision>,
}

/// The waiting period's dates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingPeriod {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// When the engine reported its end.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub elapsed_at: Option<DateTime<Utc>>,
}

impl WaitingPeriod {
    /// True once it is over at `now`.
    pub fn elapsed(&self, now: DateTime<Utc>) -> bool {
        self.elapsed_at.is_some() || now >= self.ends_at
    }
}

/// Registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// When lpaflow asked OPG to register.
    pub requested_at: DateTime<Utc>,
    /// When OPG confirmed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub registered_at: Option<DateTime<Utc>>,
}

/// A change of LPA Store status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    /// The new status.
    pub status: LpaStatus,
    /// The event that changed it.
    pub event: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
    /// Why, when given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
}

impl StatusChange {
    /// The change `ctx` makes, with the payload's `reason` if it has one.
    pub fn new(ctx: &Context<'_>, status: LpaStatus) -> Self {
        Self {
            status,
            event: ctx.event.to_string(),
            at: ctx.now,
            by: ctx.actor.to_string(),
            reason: ctx
                .payload
                .get("reason")
                .and_then(|r| r.as_str())
                .map(str::to_owned),
        }
    }
}

/// `lpa.enter_waiting_period`: the 28 days start today.
pub(crate) fn enter_waiting_period(
    ctx: &Context<'_>,
    data: &mut LpaData,
) -> Result<(), ActionError> {
    read_payload(ctx, &[], |_, _| ())?;
    data.waiting_period = Some(WaitingPeriod {
        started_at: ctx.now,
        ends_at: waiting_period_end(ctx),
        elapsed_at: None,
    });
    Ok(())
}

/// The first version whose waiting-period timer ends at local midnight (`at = "midnight"`).
pub const FIRST_VERSION_ENDING_AT_MIDNIGHT: u32 = 3;

/// When the waiting period entered now ends, as the instance's own workflow version times it: 28 local days
/// ending at midnight from version 3, 28 x 24 hours before (so `endsAt` and the pinned timer agree).
fn waiting_period_end(ctx: &Context<'_>) -> DateTime<Utc> {
    if ctx.instance.workflow.version < FIRST_VERSION_ENDING_AT_MIDNIGHT {
        return ctx.now + chrono::TimeDelta::days(WAITING_PERIOD_WHOLE_DAYS);
    }
    ctx.zone.start_of(
        ctx.today()
            .checked_add_days(Days::new(WAITING_PERIOD_DAYS))
            .unwrap_or(chrono::NaiveDate::MAX),
    )
}

/// `lpa.waiting_period_elapsed`: the timer fired.
pub(crate) fn waiting_period_elapsed(
    ctx: &Context<'_>,
    data: &mut LpaData,
) -> Result<(), ActionError> {
    // Only once it has really ended: a timer that fired early must not open the way to registration.
    if let Some(w) = data.waiting_period.as_mut()
        && w.elapsed_at.is_none()
        && ctx.now >= w.ends_at
    {
        w.elapsed_at = Some(ctx.now);
    }
    Ok(())
}

/// `lpa.raise_objection`: `{detail}`.
pub(crate) fn raise(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    let detail = read_payload(ctx, &["detail"], |o, p| o.req_long_text("detail", p))?;
    data.objections.push(Objection {
        id: format!("O{}", data.objections.len() + 1),
        detail,
        received_at: ctx.now,
        recorded_by: ctx.actor.to_string(),
        status: ObjectionStatus::Open,
        decision: None,
    });
    Ok(())
}

/// Objections still open.
pub fn open_objections(data: &LpaData) -> impl Iterator<Item = &Objection> {
    data.objections
        .iter()
        .filter(|o| o.status == ObjectionStatus::Open)
}

/// What stops a caseworker deciding an objection.
pub(crate) fn can_decide(data: &LpaData) -> Vec<Unmet> {
    if open_objections(data).next().is_none() {
        vec![Unmet::new("no_open_objection", "no objection is open")]
    } else {
        Vec::new()
    }
}

fn decide(ctx: &Context<'_>, data: &mut LpaData, to: ObjectionStatus) -> Result<(), ActionError> {
    let (id, reason) = read_payload(ctx, &["objection", "reason"], |o, p| {
        (o.req_text("objection", p), o.req_long_text("reason", p))
    })?;
    let Some(objection) = data.objections.iter_mut().find(|o| o.id == id) else {
        return Err(ActionError::Invalid(vec![PayloadProblem::new(
            "/objection",
            format!("no objection has the id {id:?}"),
        )]));
    };
    if objection.status != ObjectionStatus::Open {
        return Err(ActionError::Refused(vec![Unmet::new(
            "objection_not_open",
            format!("objection {id} is already {}", objection.status),
        )]));
    }
    objection.status = to;
    objection.decision = Some(ObjectionDecision {
        by: ctx.actor.to_string(),
        at: ctx.now,
        reason,
    });
    Ok(())
}

/// `lpa.dismiss_objection`: `{objection, reason}`.
pub(crate) fn dismiss(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    decide(ctx, data, ObjectionStatus::Dismissed)
}

/// `lpa.uphold_objection`: `{objection, reason}` (the transition goes to `do_not_register`).
pub(crate) fn uphold(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    decide(ctx, data, ObjectionStatus::Upheld)
}

/// `lpa.request_registration`: records the request (the blocking `opg.update:REGISTER` step follows).
pub(crate) fn request_registration(
    ctx: &Context<'_>,
    data: &mut LpaData,
) -> Result<(), ActionError> {
    data.registration = Some(Registration {
        requested_at: ctx.now,
        registered_at: None,
    });
    Ok(())
}

/// `lpa.registration_confirmed`: OPG registered the LPA.
pub(crate) fn registration_confirmed(
    ctx: &Context<'_>,
    data: &mut LpaData,
) -> Result<(), ActionError> {
    let requested_at = data
        .registration
        .as_ref()
        .map_or(ctx.now, |r| r.requested_at);
    data.registration = Some(Registration {
        requested_at,
        registered_at: Some(ctx.now),
    });
    Ok(())
}
