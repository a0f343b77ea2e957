//! The actions of `workflows/lpa.toml`: each reads the stored data, checks what it needs, changes the data and
//! ends with [`finish`], which recomputes the derived parts (fee amounts, deadlines, findings), records any
//! change of LPA Store status and turns deadline changes into timers. Every action is a function of the
//! context alone: no clock but `ctx.now`, no randomness.
//!
//! Refusals that do not depend on the payload are *preconditions* ([`preconditions`]): the action checks them
//! first, and `explain` shows them for events that cannot be fired now.

use crate::application::Application;
use crate::assignment;
use crate::casework;
use crate::data::LpaData;
use crate::deadlines;
use crate::drafting;
use crate::error::Error;
use crate::fee_actions;
use crate::fields::{Obj, Problems, payload};
use crate::objections::{self, StatusChange};
use crate::paper;
use crate::signing;
use crate::states::LpaState;
use crate::trust_corporations;
use lpaflow_core::{ActionError, ActionOutcome, Context, PayloadProblem, Reading, Unmet};

/// Every action name the LPA rules implement.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum Action {
    /// Builds the data from the application.
    #[strum(serialize = "lpa.create")]
    Create,
    /// Records the submission.
    #[strum(serialize = "lpa.submit")]
    Submit,
    /// Applies a JSON merge patch to the application.
    #[strum(serialize = "lpa.update_application")]
    UpdateApplication,
    /// The donor confirms they are not related to a certificate provider who shares a last name.
    #[strum(serialize = "lpa.confirm_not_related")]
    ConfirmNotRelated,
    /// A caseworker accepts a finding.
    #[strum(serialize = "lpa.accept_finding")]
    AcceptFinding,
    /// A caseworker resolves a finding.
    #[strum(serialize = "lpa.resolve_finding")]
    ResolveFinding,
    /// A caseworker judges a finding fatal.
    #[strum(serialize = "lpa.reject_finding")]
    RejectFinding,
    /// Evidence for a claimed reduction.
    #[strum(serialize = "lpa.provide_fee_evidence")]
    ProvideFeeEvidence,
    /// A caseworker decides a claimed reduction.
    #[strum(serialize = "lpa.decide_fee")]
    DecideFee,
    /// A payment or a refund paid out.
    #[strum(serialize = "lpa.record_payment")]
    RecordPayment,
    /// The donor's identity check.
    #[strum(serialize = "lpa.confirm_donor_identity")]
    ConfirmDonorIdentity,
    /// The certificate provider's identity check.
    #[strum(serialize = "lpa.confirm_certificate_provider_identity")]
    ConfirmCertificateProviderIdentity,
    /// The donor signs.
    #[strum(serialize = "lpa.sign_as_donor")]
    SignAsDonor,
    /// The certificate provider signs.
    #[strum(serialize = "lpa.sign_as_certificate_provider")]
    SignAsCertificateProvider,
    /// An attorney signs.
    #[strum(serialize = "lpa.sign_as_attorney")]
    SignAsAttorney,
    /// A trust corporation signs.
    #[strum(serialize = "lpa.sign_as_trust_corporation")]
    SignAsTrustCorporation,
    /// The certificate provider opts out.
    #[strum(serialize = "lpa.certificate_provider_opt_out")]
    CertificateProviderOptOut,
    /// An attorney opts out.
    #[strum(serialize = "lpa.attorney_opt_out")]
    AttorneyOptOut,
    /// A trust corporation opts out.
    #[strum(serialize = "lpa.trust_corporation_opt_out")]
    TrustCorporationOptOut,
    /// The waiting period starts.
    #[strum(serialize = "lpa.enter_waiting_period")]
    EnterWaitingPeriod,
    /// The waiting period's 28 days are over.
    #[strum(serialize = "lpa.waiting_period_elapsed")]
    WaitingPeriodElapsed,
    /// An objection is raised.
    #[strum(serialize = "lpa.raise_objection")]
    RaiseObjection,
    /// An objection is dismissed.
    #[strum(serialize = "lpa.dismiss_objection")]
    DismissObjection,
    /// An objection is upheld.
    #[strum(serialize = "lpa.uphold_objection")]
    UpholdObjection,
    /// Registration is requested from OPG.
    #[strum(serialize = "lpa.request_registration")]
    RequestRegistration,
    /// OPG confirmed the registration.
    #[strum(serialize = "lpa.registration_confirmed")]
    RegistrationConfirmed,
    /// A status change with a reason (withdrawal, caseworker decisions, no attorney left).
    #[strum(serialize = "lpa.change_status")]
    ChangeStatus,
    /// A deadline timer fired.
    #[strum(serialize = "lpa.deadline_passed")]
    DeadlinePassed,
    /// The OPG sync worker reports a problem.
    #[strum(serialize = "lpa.record_sync_problem")]
    RecordSyncProblem,
    /// A caseworker claims the case or gives it to a colleague.
    #[strum(serialize = "lpa.assign_case")]
    AssignCase,
    /// The case goes back to the queue.
    #[strum(serialize = "lpa.release_case")]
    ReleaseCase,
}

/// Runs `action` for `ctx`.
pub fn apply(action: Action, ctx: &Context<'_>) -> Result<ActionOutcome, ActionError> {
    if action == Action::Create {
        return drafting::create(ctx);
    }
    let read = LpaData::read(&ctx.instance.data, ctx.reading);
    let before = read
        .as_ref()
        .as_ref()
        .map_err(|e| ActionError::from(e.clone()))?;
    // Decide on the data as it is now (a finding may have appeared or cleared with time), so that finding
    // ids match what guards and explanations show.
    let mut data = before.clone();
    let app = data.application(ctx.now, ctx.zone);
    data.refresh_read(&app, ctx.now, ctx.zone);
    refuse(preconditions(action, ctx, &data))?;
    run(action, ctx, &mut data, &app.0)?;
    // Most actions leave the application as it was: its reading then serves the refresh after them too.
    let unchanged = data.application == before.application;
    finish_read(ctx, Some(before), data, unchanged.then_some(app))
}

/// Runs `action` on `data`, whose application `app` is, as read for this command (read once: the actions that
/// look at it take it from here).
fn run(
    action: Action,
    ctx: &Context<'_>,
    data: &mut LpaData,
    app: &Application,
) -> Result<(), ActionError> {
    match action {
        Action::Create => Ok(()),
        Action::Submit => drafting::submit(ctx, data),
        Action::UpdateApplication => drafting::update_application(ctx, data),
        Action::ConfirmNotRelated => drafting::confirm_not_related(ctx, data),
        Action::AcceptFinding => casework::accept_finding(ctx, data),
        Action::ResolveFinding => casework::resolve_finding(ctx, data),
        Action::RejectFinding => casework::reject_finding(ctx, data),
        Action::ProvideFeeEvidence => fee_actions::provide_evidence(ctx, data, app),
        Action::DecideFee => fee_actions::decide(ctx, data),
        Action::RecordPayment => fee_actions::record_payment(ctx, data, app),
        Action::ConfirmDonorIdentity => signing::confirm_donor_identity(ctx, data),
        Action::ConfirmCertificateProviderIdentity => {
            signing::confirm_certificate_provider_identity(ctx, data)
        }
        Action::SignAsDonor => signing::sign_as_donor(ctx, data),
        Action::SignAsCertificateProvider => signing::sign_as_certificate_provider(ctx, data),
        Action::SignAsAttorney => signing::sign_as_attorney(ctx, data),
        Action::SignAsTrustCorporation => trust_corporations::sign(ctx, data),
        Action::CertificateProviderOptOut => signing::certificate_provider_opt_out(ctx, data),
        Action::AttorneyOptOut => signing::attorney_opt_out(ctx, data),
        Action::TrustCorporationOptOut => trust_corporations::opt_out(ctx, data),
        Action::EnterWaitingPeriod => objections::enter_waiting_period(ctx, data),
        Action::WaitingPeriodElapsed => objections::waiting_period_elapsed(ctx, data),
        Action::RaiseObjection => objections::raise(ctx, data),
        Action::DismissObjection => objections::dismiss(ctx, data),
        Action::UpholdObjection => objections::uphold(ctx, data),
        Action::RequestRegistration => objections::request_registration(ctx, data),
        Action::RegistrationConfirmed => objections::registration_confirmed(ctx, data),
        Action::ChangeStatus => casework::change_status(ctx, data),
        Action::DeadlinePassed => casework::deadline_passed(ctx, data),
        Action::RecordSyncProblem => casework::record_sync_problem(ctx, data),
        Action::AssignCase => assignment::assign(ctx, data),
        Action::ReleaseCase => assignment::release(ctx, data),
    }
}

/// What stops `action` now, whatever its payload (empty: nothing does).
pub fn preconditions(action: Action, ctx: &Context<'_>, data: &LpaData) -> Vec<Unmet> {
    let paper = paper::caseworker_preconditions(action, ctx, data);
    if !paper.is_empty() {
        return paper;
    }
    match action {
        Action::ConfirmNotRelated => drafting::can_confirm_not_related(ctx, data),
        Action::ConfirmDonorIdentity => signing::can_confirm_donor_identity(data, ctx.zone),
        Action::AcceptFinding | Action::ResolveFinding | Action::RejectFinding => {
            casework::can_decide_finding(data)
        }
        Action::DecideFee => fee_actions::can_decide(data, ctx.zone),
        Action::ProvideFeeEvidence => fee_actions::can_provide_evidence(data, ctx.zone),
        Action::SignAsDonor => signing::can_sign_as_donor(data),
        Action::SignAsCertificateProvider => signing::can_sign_as_certificate_provider(data),
        Action::SignAsAttorney => signing::can_sign_as_attorney(data),
        Action::SignAsTrustCorporation => trust_corporations::can_sign(data),
        Action::TrustCorporationOptOut => trust_corporations::can_opt_out(data),
        Action::CertificateProviderOptOut => signing::can_certificate_provider_opt_out(data),
        Action::AttorneyOptOut => signing::can_attorney_opt_out(data),
        Action::ConfirmCertificateProviderIdentity => {
            signing::can_confirm_certificate_provider_identity(data, ctx.zone)
        }
        Action::DismissObjection | Action::UpholdObjection => objections::can_decide(data),
        Action::ReleaseCase => assignment::can_release(data),
        Action::Create
        | Action::Submit
        | Action::UpdateApplication
        | Action::RecordPayment
        | Action::EnterWaitingPeriod
        | Action::WaitingPeriodElapsed
        | Action::RaiseObjection
        | Action::RequestRegistration
        | Action::RegistrationConfirmed
        | Action::ChangeStatus
        | Action::DeadlinePassed
        | Action::RecordSyncProblem
        | Action::AssignCase => Vec::new(),
    }
}

/// Refuses with `unmet` unless it is empty.
pub(crate) fn refuse(unmet: Vec<Unmet>) -> Result<(), ActionError> {
    if unmet.is_empty() {
        Ok(())
    } else {
        Err(ActionError::Refused(unmet))
    }
}

/// Reads the command's payload with `read`; any problem refuses it as invalid.
pub(crate) fn read_payload<T>(
    ctx: &Context<'_>,
    known: &[&str],
    read: impl FnOnce(&Obj<'_>, &mut Problems) -> T,
) -> Result<T, ActionError> {
    let mut p = Problems::default();
    let value = payload(ctx.payload, &mut p).map(|o| {
        o.no_other_keys(known, &mut p);
        read(&o, &mut p)
    });
    match value {
        Some(v) if p.is_empty() => Ok(v),
        Some(_) | None => Err(ActionError::Invalid(p.0)),
    }
}

/// Ends every action: refresh the derived parts for the state the LPA goes to, record a change of LPA Store
/// status, and set or cancel deadline timers.
pub(crate) fn finish(
    ctx: &Context<'_>,
    before: Option<&LpaData>,
    data: LpaData,
) -> Result<ActionOutcome, ActionError> {
    finish_read(ctx, before, data, None)
}

/// [`finish`] with the application of `data` already read at `ctx.now`, if the caller has it.
fn finish_read(
    ctx: &Context<'_>,
    before: Option<&LpaData>,
    mut data: LpaData,
    app: Option<(Application, Vec<PayloadProblem>)>,
) -> Result<ActionOutcome, ActionError> {
    let from = before.and(LpaState::of(&ctx.instance.state));
    let to = LpaState::of(ctx.to);
    if let (Some(from), Some(to)) = (from, to)
        && from.store_status() != to.store_status()
    {
        data.status_changes
            .push(StatusChange::new(ctx, to.store_status()));
    }
    match app {
        Some(app) => data.refresh_read(&app, ctx.now, ctx.zone),
        None => data.refresh(ctx.now, ctx.zone),
    }
    let no_deadlines = Vec::new();
    let old = before.map_or(&no_deadlines, |b| &b.deadlines);
    let (set_timers, cancel_timers) =
        deadlines::timer_changes((old, from), (&data.deadlines, to), ctx.now, ctx.zone);
    let shared = data.to_data().map_err(ActionError::from)?;
    debug_assert_eq!(
        LpaData::load(&shared).ok().as_ref(),
        Some(&data),
        "the reading an action hands over is what reading its data back gives"
    );
    debug_assert_eq!(
        data.to_value().ok().as_ref(),
        Some(&shared.to_value()),
        "the data an action hands over is its typed data written whole"
    );
    Ok(ActionOutcome {
        data: shared,
        set_timers,
        cancel_timers,
        reading: Reading::of(Ok::<LpaData, Error>(data)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn the_catalog_names_every_action_and_nothing_else() {
        let names: Vec<&str> = Action::iter().map(<&str>::from).collect();
        assert_eq!(names, crate::catalog::ACTIONS);
    }
}
