//! Making the application: creation, changes (a JSON merge patch, until the donor signs), the donor's
//! not-related confirmation and submission.
//!
//! Online applications must be valid: a create or change that leaves problems is refused with every problem.
//! Paper applications are accepted as OPG accepts them, and their problems become findings. Some fields lock:
//! the channel never changes, the donor's date of birth is locked by the identity check, and the fee claim by
//! the caseworker's fee decision. A receipt date given once the donor's identity check is recorded cannot be
//! before the UK day of that check ([`received_before_identity`]).

use crate::actions::{finish, read_payload};
use crate::application::Application;
use crate::data::{LpaData, NotRelatedConfirmation};
use crate::fields::{Obj, Problems};
use crate::safeguarding::{self, last_names, sharing_last_name};
use crate::validation::{online_receipt_problems, read_application};
use chrono::{DateTime, SecondsFormat, Utc};
use lpaflow_core::json::merge_patch;
use lpaflow_core::{ActionError, ActionOutcome, BusinessZone, Context, PayloadProblem, Unmet};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A stable, unique uid for an actor the service sent without one: UUID-shaped (version 8), derived from
/// the LPA uid, the revision the command produces, the actor's kind (`attorney`, `donor`, ...) and its index.
/// Rules are pure, so the same command always yields the same uid, and a later revision never repeats an
/// earlier one. The LPA Store requires a UUID for every actor of an online LPA.
pub fn actor_uid(lpa_uid: &str, revision: u64, kind: &str, index: usize) -> String {
    let digest = Sha256::digest(format!("lpaflow:{kind}:{lpa_uid}:{revision}:{index}"));
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The uid an attorney sent without one gets ([`actor_uid`] of kind `attorney`).
pub fn attorney_uid(lpa_uid: &str, revision: u64, index: usize) -> String {
    actor_uid(lpa_uid, revision, "attorney", index)
}

/// Gives a uid to the object at `obj` if it has none.
fn fill_uid(obj: Option<&mut Value>, ctx: &Context<'_>, kind: &str, index: usize) {
    let Some(obj) = obj.and_then(Value::as_object_mut) else {
        return;
    };
    let has_uid = obj
        .get("uid")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty());
    if !has_uid {
        let uid = actor_uid(
            ctx.instance.id.as_str(),
            ctx.instance.revision + 1,
            kind,
            index,
        );
        obj.insert("uid".into(), Value::String(uid));
    }
}

/// Every actor of the application gets a uid: the donor, the certificate provider, each attorney, trust
/// corporation and person to notify.
fn assign_actor_uids(application: &mut Value, ctx: &Context<'_>) {
    fill_uid(application.get_mut("donor"), ctx, "donor", 0);
    fill_uid(
        application.get_mut("certificateProvider"),
        ctx,
        "certificateProvider",
        0,
    );
    for (key, kind) in [
        ("attorneys", "attorney"),
        ("trustCorporations", "trustCorporation"),
        ("peopleToNotify", "personToNotify"),
    ] {
        if let Some(list) = application.get_mut(key).and_then(Value::as_array_mut) {
            for (i, item) in list.iter_mut().enumerate() {
                fill_uid(Some(item), ctx, kind, i);
            }
        }
    }
}

fn must_be_object(value: &Value, what: &str) -> Result<(), ActionError> {
    match value {
        Value::Object(_) => Ok(()),
        _ => Err(ActionError::Invalid(vec![PayloadProblem::new(
            "",
            format!("must be an object: {what}"),
        )])),
    }
}

/// `lpa.create`: the payload is the application.
pub(crate) fn create(ctx: &Context<'_>) -> Result<ActionOutcome, ActionError> {
    must_be_object(ctx.payload, "the application")?;
    let mut application = ctx.payload.clone();
    assign_actor_uids(&mut application, ctx);
    let (app, mut problems) = read_application(&application, ctx.now, ctx.zone);
    problems.extend(online_receipt_problems(&app, ctx.now));
    if !app.is_paper() && !problems.is_empty() {
        return Err(ActionError::Invalid(problems));
    }
    if !app.is_paper() && app.received_at.is_none() {
        received_now(&mut application, ctx.now);
    }
    let mut data = LpaData::new(application, ctx.today());
    data.sync_attorneys(&app);
    finish(ctx, None, data)
}

/// An online application is received when it is made: its `receivedAt` defaults to `now`.
fn received_now(application: &mut Value, now: DateTime<Utc>) {
    if let Value::Object(o) = application {
        o.insert(
            "receivedAt".to_owned(),
            Value::String(now.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        );
    }
}

/// `lpa.update_application`: the payload is a JSON merge patch of the application.
pub(crate) fn update_application(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    must_be_object(ctx.payload, "a JSON merge patch of the application")?;
    let mut application = Value::clone(&data.application);
    merge_patch(&mut application, ctx.payload);
    assign_actor_uids(&mut application, ctx);
    let (app, mut problems) = read_application(&application, ctx.now, ctx.zone);
    problems.extend(online_receipt_problems(&app, ctx.instance.created_at));
    let locked = locked_changes(data, &application, ctx.zone);
    if !locked.is_empty() {
        return Err(ActionError::Refused(locked));
    }
    if let Some(problem) = received_before_identity(data, &application, &app, ctx.zone) {
        return Err(ActionError::Invalid(vec![problem]));
    }
    let (old_app, _) = data.application(ctx.now, ctx.zone);
    if app.channel != old_app.channel {
        return Err(ActionError::Invalid(vec![PayloadProblem::new(
            "/channel",
            "cannot change once the application is made",
        )]));
    }
    if !app.is_paper() && !problems.is_empty() {
        return Err(ActionError::Invalid(problems));
    }
    data.application = application.into();
    data.sync_attorneys(&app);
    Ok(())
}

/// A receipt date given (or changed) once the donor's identity check is recorded may not be before the UK day
/// of that check (issue 14: "not before the donor's identity date where that applies"): the date is keyed in
/// with the check on record, and an earlier one is refused as a contradiction (a mistyped year, a wrong form) in
/// either channel, not turned into a paper finding. Recording an identity check after the receipt is not
/// refused: online applications are received when they are made, before the donor proves their identity.
pub(crate) fn received_before_identity(
    data: &LpaData,
    new: &Value,
    app: &Application,
    zone: BusinessZone,
) -> Option<PayloadProblem> {
    if data.application.get("receivedAt") == new.get("receivedAt") {
        return None;
    }
    let checked_on = zone.date_of(data.identity.donor.as_ref()?.checked_at);
    let received_on = zone.date_of(app.received_at?);
    (received_on < checked_on).then(|| {
        PayloadProblem::new(
            "/receivedAt",
            format!(
                "is before the day the donor's identity was checked ({})",
                crate::dates::Day(checked_on)
            ),
        )
    })
}

fn locked_changes(data: &LpaData, new: &Value, zone: BusinessZone) -> Vec<Unmet> {
    let mut out = Vec::new();
    let dob = |v: &Value| v.pointer("/donor/dateOfBirth").cloned();
    if data.identity.donor.is_some() && dob(&data.application) != dob(new) {
        out.push(Unmet::new(
            "date_of_birth_locked",
            "the donor's date of birth is locked by the identity check",
        ));
    }
    if let Some(d) = &data.fee.decision {
        let decided_on = crate::dates::Day(zone.date_of(d.decided_at));
        if data.application.get("fee") != new.get("fee") {
            out.push(Unmet::new(
                "fee_decided",
                format!("the fee claim cannot change: it was decided on {decided_on}"),
            ));
        }
        if data.application.get("receivedAt") != new.get("receivedAt") {
            out.push(Unmet::new(
                "received_date_locked",
                format!(
                    "the date the application was received cannot change: the fee taken on it was decided on {decided_on}"
                ),
            ));
        }
    }
    out
}

/// `lpa.submit`: records when the application was submitted for checks (it goes to OPG when the donor
/// signs).
pub(crate) fn submit(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    read_payload(ctx, &[], |_: &Obj<'_>, _: &mut Problems| ())?;
    data.submitted_at = Some(ctx.now);
    Ok(())
}

/// What stops the donor confirming they are not related.
pub(crate) fn can_confirm_not_related(ctx: &Context<'_>, data: &LpaData) -> Vec<Unmet> {
    if data.signatures.donor.is_some() {
        return vec![Unmet::new(
            "donor_signed",
            "the donor confirms this before signing; the LPA as signed has gone to OPG",
        )];
    }
    let today = ctx.today();
    let (app, _) = data.application(ctx.now, ctx.zone);
    let input = safeguarding::Input {
        app: &app,
        data,
        problems: &[],
        on: data.reference_date(today, ctx.zone),
        today,
        zone: ctx.zone,
    };
    if sharing_last_name(&input).is_empty() {
        return vec![Unmet::new(
            "nothing_to_confirm",
            "the certificate provider shares no last name with the donor or an attorney",
        )];
    }
    if data.not_related.as_ref().is_some_and(|c| c.holds(&app)) {
        return vec![Unmet::new(
            "already_confirmed",
            "the donor has already confirmed this for the names as they are",
        )];
    }
    Vec::new()
}

/// `lpa.confirm_not_related`: the donor's confirmation, for the last names as they are now.
pub(crate) fn confirm_not_related(
    ctx: &Context<'_>,
    data: &mut LpaData,
) -> Result<(), ActionError> {
    read_payload(ctx, &[], |_: &Obj<'_>, _: &mut Problems| ())?;
    let (app, _) = data.application(ctx.now, ctx.zone);
    data.not_related = Some(NotRelatedConfirmation {
        confirmed_at: ctx.now,
        confirmed_by: ctx.actor.to_string(),
        last_names: last_names(&app),
        lapsed_at: None,
    });
    Ok(())
}
