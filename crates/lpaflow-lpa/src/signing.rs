//! Identity checks, signatures and opt-outs (`shared/DOMAIN.md` section 2 and 3).
//!
//! Everyone signs once ("cannot sign again"); the certificate provider and the attorneys sign after the donor;
//! an attorney declares, when signing, that they are not bankrupt or subject to a debt relief order. The
//! certificate provider may opt out only before signing (the LPA then cannot be registered); an attorney who
//! opts out before signing is removed, and if they were acting, the first waiting replacement attorney steps
//! in.
//!
//! The donor's signature, witnessed by the certificate provider, is when the LPA goes to OPG: the LPA Store
//! receives the LPA as the donor executed it ([`crate::data::OpgCreate`]). Once OPG holds an identity check,
//! lpaflow does not replace it: the store takes a check's type and time together and refuses a repeated type
//! as a redundant change. Trust corporations are in [`crate::trust_corporations`].

use crate::actions::read_payload;
use crate::application::Lang;
use crate::data::{
    AttorneyStatus, IdentityCheck, IdentityMethod, LpaData, OpgCreate, OptOut, Signature,
};
use chrono::{DateTime, Utc};
use lpaflow_core::{ActionError, BusinessZone, Context, PayloadProblem, Unmet};

fn read_identity(ctx: &Context<'_>) -> Result<IdentityCheck, ActionError> {
    let (method, checked_at) = read_payload(ctx, &["type", "checkedAt"], |o, p| {
        (
            o.req_enum::<IdentityMethod>("type", p),
            o.req_time_not_after("checkedAt", ctx.now, p),
        )
    })?;
    let (Some(method), Some(checked_at)) = (method, checked_at) else {
        return Err(ActionError::Invalid(vec![PayloadProblem::new(
            "",
            "type and checkedAt are required",
        )]));
    };
    crate::paper::caseworker_identity_method(ctx, method)?;
    Ok(IdentityCheck {
        method,
        checked_at,
        recorded_at: ctx.now,
        recorded_by: ctx.actor.to_string(),
    })
}

/// Once OPG holds `who`'s identity check, it is not replaced.
fn check_held_by_opg(
    data: &LpaData,
    check: &Option<IdentityCheck>,
    who: &str,
    zone: BusinessZone,
) -> Vec<Unmet> {
    match (check, &data.opg_create) {
        (Some(c), Some(_)) => vec![Unmet::new(
            "identity_check_held_by_opg",
            format!(
                "OPG holds {who}'s identity check of {}; it cannot be replaced there",
                crate::dates::Day(zone.date_of(c.checked_at))
            ),
        )],
        (None, _) | (Some(_), None) => Vec::new(),
    }
}

/// What stops the donor's identity being confirmed.
pub(crate) fn can_confirm_donor_identity(data: &LpaData, zone: BusinessZone) -> Vec<Unmet> {
    check_held_by_opg(data, &data.identity.donor, "the donor", zone)
}

/// `lpa.confirm_donor_identity`: `{type, checkedAt}`; before the LPA goes to OPG a later check replaces an
/// earlier one.
pub(crate) fn confirm_donor_identity(
    ctx: &Context<'_>,
    data: &mut LpaData,
) -> Result<(), ActionError> {
    data.identity.donor = Some(read_identity(ctx)?);
    Ok(())
}

/// What stops the certificate provider's identity being confirmed.
pub(crate) fn can_confirm_certificate_provider_identity(
    data: &LpaData,
    zone: BusinessZone,
) -> Vec<Unmet> {
    if data.signatures.certificate_provider.is_some() {
        return vec![Unmet::new(
            "certificate_provider_signed",
            "the certificate provider has signed; their identity check is locked",
        )];
    }
    check_held_by_opg(
        data,
        &data.identity.certificate_provider,
        "the certificate provider",
        zone,
    )
}

/// `lpa.confirm_certificate_provider_identity`: `{type, checkedAt}`.
pub(crate) fn confirm_certificate_provider_identity(
    ctx: &Context<'_>,
    data: &mut LpaData,
) -> Result<(), ActionError> {
    data.identity.certificate_provider = Some(read_identity(ctx)?);
    Ok(())
}

fn signature(ctx: &Context<'_>, signed_at: Option<DateTime<Utc>>) -> Signature {
    Signature::new(signed_at.unwrap_or(ctx.now), ctx.now, ctx.actor.to_string())
}

fn cannot_sign_again(who: &str) -> Unmet {
    Unmet::new(
        "already_signed",
        format!("{who} has signed; cannot sign again"),
    )
}

pub(crate) fn donor_first(data: &LpaData, who: &str) -> Vec<Unmet> {
    if data.signatures.donor.is_none() {
        vec![Unmet::new(
            "donor_not_signed_yet",
            format!("{who} signs after the donor, who has not signed"),
        )]
    } else {
        Vec::new()
    }
}

/// What stops the donor signing.
pub(crate) fn can_sign_as_donor(data: &LpaData) -> Vec<Unmet> {
    match data.signatures.donor {
        Some(_) => vec![cannot_sign_again("the donor")],
        None => Vec::new(),
    }
}

pub(crate) fn not_before_donor(
    data: &LpaData,
    signed_at: Option<DateTime<Utc>>,
) -> Result<(), ActionError> {
    let donor = data.signatures.donor.as_ref().map(|s| s.signed_at);
    match (donor, signed_at) {
        (Some(d), Some(t)) if t < d => Err(ActionError::Invalid(vec![PayloadProblem::new(
            "/signedAt",
            "must not be before the donor signed",
        )])),
        _ => Ok(()),
    }
}

/// `lpa.sign_as_donor`: `{signedAt?, witnessedByCertificateProviderAt?}` (default: now, and the certificate
/// provider witnesses when the donor signs). Locks the application and sends the LPA to OPG.
pub(crate) fn sign_as_donor(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    let (signed_at, witnessed_at) = read_payload(
        ctx,
        &["signedAt", "witnessedByCertificateProviderAt"],
        |o, p| {
            (
                o.opt_time_not_after("signedAt", ctx.now, p),
                o.opt_time_not_after("witnessedByCertificateProviderAt", ctx.now, p),
            )
        },
    )?;
    let mut s = signature(ctx, signed_at);
    s.witnessed_by_certificate_provider_at = Some(witnessed_at.unwrap_or(s.signed_at));
    data.signatures.donor = Some(s);
    let statuses = data
        .attorneys
        .iter()
        .chain(&data.trust_corporations)
        .map(|(uid, r)| (uid.clone(), r.status))
        .collect();
    data.opg_create = Some(OpgCreate {
        at: ctx.now,
        statuses,
    });
    Ok(())
}

/// What stops the certificate provider signing.
pub(crate) fn can_sign_as_certificate_provider(data: &LpaData) -> Vec<Unmet> {
    let mut out = donor_first(data, "the certificate provider");
    if data.signatures.certificate_provider.is_some() {
        out.push(cannot_sign_again("the certificate provider"));
    }
    out
}

/// `lpa.sign_as_certificate_provider`: `{signedAt?, contactLanguagePreference?}`.
pub(crate) fn sign_as_certificate_provider(
    ctx: &Context<'_>,
    data: &mut LpaData,
) -> Result<(), ActionError> {
    let (signed_at, language) =
        read_payload(ctx, &["signedAt", "contactLanguagePreference"], |o, p| {
            (
                o.opt_time_not_after("signedAt", ctx.now, p),
                o.opt_wire::<Lang>("contactLanguagePreference", p),
            )
        })?;
    not_before_donor(data, signed_at)?;
    let mut s = signature(ctx, signed_at);
    s.contact_language_preference = language;
    data.signatures.certificate_provider = Some(s);
    Ok(())
}

/// Attorneys still to sign (not removed, not signed), by uid.
pub fn attorneys_to_sign(data: &LpaData) -> Vec<String> {
    data.attorneys
        .iter()
        .filter(|(uid, r)| {
            r.status != AttorneyStatus::Removed && !data.signatures.attorneys.contains_key(*uid)
        })
        .map(|(uid, _)| uid.clone())
        .collect()
}

/// What stops any attorney signing.
pub(crate) fn can_sign_as_attorney(data: &LpaData) -> Vec<Unmet> {
    let mut out = donor_first(data, "an attorney");
    if attorneys_to_sign(data).is_empty() {
        out.push(Unmet::new(
            "no_attorney_to_sign",
            "every attorney has signed or been removed",
        ));
    }
    out
}

/// The attorney `uid` may act on their own part of the LPA: they exist, are not removed, have not signed.
fn attorney_may_act(data: &LpaData, uid: &str, what: &str) -> Result<(), ActionError> {
    match data.attorney_status(uid) {
        None => Err(ActionError::Invalid(vec![PayloadProblem::new(
            "/uid",
            "no attorney has this uid",
        )])),
        Some(AttorneyStatus::Removed) => Err(ActionError::Refused(vec![Unmet::new(
            "attorney_removed",
            format!("attorney {uid} was removed and cannot {what}"),
        )])),
        Some(AttorneyStatus::Active | AttorneyStatus::Inactive) => {
            if data.signatures.attorneys.contains_key(uid) {
                Err(ActionError::Refused(vec![cannot_sign_again(&format!(
                    "attorney {uid}"
                ))]))
            } else {
                Ok(())
            }
        }
    }
}

/// What an attorney gives when signing.
struct AttorneySigning {
    uid: String,
    not_bankrupt: Option<bool>,
    signed_at: Option<DateTime<Utc>>,
    mobile: Option<String>,
    language: Option<Lang>,
}

/// `lpa.sign_as_attorney`: `{uid, confirmedNotBankrupt: true, signedAt?, mobile?, contactLanguagePreference?}`.
pub(crate) fn sign_as_attorney(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    let keys = [
        "uid",
        "confirmedNotBankrupt",
        "signedAt",
        "mobile",
        "contactLanguagePreference",
    ];
    let AttorneySigning {
        uid,
        not_bankrupt,
        signed_at,
        mobile,
        language,
    } = read_payload(ctx, &keys, |o, p| {
        if o.get("confirmedNotBankrupt").is_none() {
            p.add("/confirmedNotBankrupt", "is required");
        }
        AttorneySigning {
            uid: o.req_text("uid", p),
            not_bankrupt: o.opt_bool("confirmedNotBankrupt", p),
            signed_at: o.opt_time_not_after("signedAt", ctx.now, p),
            mobile: o.opt_text("mobile", p),
            language: o.opt_wire::<Lang>("contactLanguagePreference", p),
        }
    })?;
    not_before_donor(data, signed_at)?;
    attorney_may_act(data, &uid, "sign")?;
    crate::paper::caseworker_may_sign_for(ctx, &data.application(ctx.now, ctx.zone).0, &uid)?;
    if not_bankrupt != Some(true) {
        return Err(ActionError::Refused(vec![Unmet::new(
            "bankruptcy_declaration_missing",
            "an attorney must declare they are not bankrupt or subject to a debt relief order",
        )]));
    }
    let mut s = signature(ctx, signed_at);
    s.confirmed_not_bankrupt = not_bankrupt;
    s.mobile = mobile;
    s.contact_language_preference = language;
    data.signatures.attorneys.insert(uid, s);
    Ok(())
}

/// What stops the certificate provider opting out.
pub(crate) fn can_certificate_provider_opt_out(data: &LpaData) -> Vec<Unmet> {
    match data.signatures.certificate_provider {
        Some(_) => vec![Unmet::new(
            "certificate_provider_signed",
            "the certificate provider has signed and can no longer opt out",
        )],
        None => Vec::new(),
    }
}

/// `lpa.certificate_provider_opt_out`: `{}` (the transition goes to `cannot_register`).
pub(crate) fn certificate_provider_opt_out(
    ctx: &Context<'_>,
    data: &mut LpaData,
) -> Result<(), ActionError> {
    read_payload(ctx, &["reason"], |o, p| {
        o.opt_long_text("reason", p);
    })?;
    data.certificate_provider_opt_out = Some(OptOut {
        at: ctx.now,
        by: ctx.actor.to_string(),
    });
    Ok(())
}

/// What stops any attorney opting out.
pub(crate) fn can_attorney_opt_out(data: &LpaData) -> Vec<Unmet> {
    if attorneys_to_sign(data).is_empty() {
        vec![Unmet::new(
            "no_attorney_may_opt_out",
            "only an attorney who has not signed and is not removed may opt out",
        )]
    } else {
        Vec::new()
    }
}

/// `lpa.attorney_opt_out`: `{uid}`. The attorney is removed; if they were acting, the first replacement
/// attorney still waiting (in application order) steps in.
pub(crate) fn attorney_opt_out(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    let uid = read_payload(ctx, &["uid"], |o, p| o.req_text("uid", p))?;
    attorney_may_act(data, &uid, "opt out").map_err(|e| match e {
        ActionError::Refused(mut u) => {
            u.iter_mut()
                .filter(|u| u.code == "already_signed")
                .for_each(|u| {
                    u.detail = format!("attorney {uid} has signed and can no longer opt out")
                });
            ActionError::Refused(u)
        }
        other @ ActionError::Invalid(_) => other,
    })?;
    let was_active = data.attorney_status(&uid) == Some(AttorneyStatus::Active);
    if let Some(r) = data.attorneys.get_mut(&uid) {
        r.status = AttorneyStatus::Removed;
        r.opted_out_at = Some(ctx.now);
    }
    if was_active {
        step_in_first_replacement(ctx, data);
    }
    Ok(())
}

/// The first replacement attorney still waiting, in application order, becomes active. Replacement trust
/// corporations do not step in automatically: the LPA Store has no update that activates one
/// (`CHANGE_ATTORNEYS` addresses attorneys only).
pub(crate) fn step_in_first_replacement(ctx: &Context<'_>, data: &mut LpaData) {
    let (app, _) = data.application(ctx.now, ctx.zone);
    let next = app
        .attorneys
        .iter()
        .find(|a| data.attorney_status(&a.uid) == Some(AttorneyStatus::Inactive))
        .map(|a| a.uid.clone());
    if let Some(r) = next.and_then(|uid| data.attorneys.get_mut(&uid)) {
        r.status = AttorneyStatus::Active;
        r.stepped_in_at = Some(ctx.now);
    }
}
