//! Trust corporations appointed as attorneys: their signature and their opt-out.
//!
//! A trust corporation signs after the donor, through one or two signatories, and gives then what the LPA
//! Store requires with the signature (`lambda/update/trust_corporation_sign.go`): a mobile number, a contact
//! language and its company number (each may come from the application instead). It may opt out before
//! signing (`trust_corporation_opt_out.go`); if it was acting, the first waiting replacement attorney steps in.

use crate::actions::read_payload;
use crate::application::Lang;
use crate::data::{AttorneyStatus, LpaData, SignatoryRecord, TrustCorporationSignature};
use crate::fields::{Obj, Problems, child};
use crate::signing::{donor_first, not_before_donor, step_in_first_replacement};
use chrono::{DateTime, Utc};
use lpaflow_core::{ActionError, Context, PayloadProblem, Unmet};

/// The most people who sign for one trust corporation (the store keeps two).
pub const SIGNATORIES_MAX: usize = 2;

/// Trust corporations still to sign (not removed, not signed), by uid.
pub fn trust_corporations_to_sign(data: &LpaData) -> Vec<String> {
    data.trust_corporations
        .iter()
        .filter(|(uid, r)| {
            r.status != AttorneyStatus::Removed
                && !data.signatures.trust_corporations.contains_key(*uid)
        })
        .map(|(uid, _)| uid.clone())
        .collect()
}

/// What stops any trust corporation signing.
pub(crate) fn can_sign(data: &LpaData) -> Vec<Unmet> {
    let mut out = donor_first(data, "a trust corporation");
    if trust_corporations_to_sign(data).is_empty() {
        out.push(Unmet::new(
            "no_trust_corporation_to_sign",
            "no trust corporation is left to sign",
        ));
    }
    out
}

/// What stops any trust corporation opting out.
pub(crate) fn can_opt_out(data: &LpaData) -> Vec<Unmet> {
    if trust_corporations_to_sign(data).is_empty() {
        vec![Unmet::new(
            "no_trust_corporation_may_opt_out",
            "only a trust corporation that has not signed and is not removed may opt out",
        )]
    } else {
        Vec::new()
    }
}

/// The trust corporation `uid` exists, is not removed and has not signed.
fn may_act(data: &LpaData, uid: &str, what: &str) -> Result<(), ActionError> {
    match data.trust_corporation_status(uid) {
        None => Err(ActionError::Invalid(vec![PayloadProblem::new(
            "/uid",
            "no trust corporation has this uid",
        )])),
        Some(AttorneyStatus::Removed) => Err(ActionError::Refused(vec![Unmet::new(
            "trust_corporation_removed",
            format!("trust corporation {uid} was removed and cannot {what}"),
        )])),
        Some(AttorneyStatus::Active | AttorneyStatus::Inactive) => {
            if data.signatures.trust_corporations.contains_key(uid) {
                Err(ActionError::Refused(vec![Unmet::new(
                    "already_signed",
                    format!("trust corporation {uid} has signed; cannot {what}"),
                )]))
            } else {
                Ok(())
            }
        }
    }
}

fn read_signatories(
    o: &Obj<'_>,
    now: DateTime<Utc>,
    p: &mut Problems,
) -> Vec<(String, String, String, Option<DateTime<Utc>>)> {
    let Some(items) = o.opt_array("signatories", p) else {
        p.add("/signatories", "is required: one or two people sign");
        return Vec::new();
    };
    if items.is_empty() || items.len() > SIGNATORIES_MAX {
        p.add("/signatories", "must name one or two people");
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ptr = child("/signatories", &i.to_string());
        if let Some(s) = Obj::of(item, &ptr, p) {
            s.no_other_keys(
                &["firstNames", "lastName", "professionalTitle", "signedAt"],
                p,
            );
            out.push((
                s.req_text("firstNames", p),
                s.req_text("lastName", p),
                s.req_text("professionalTitle", p),
                s.opt_time_not_after("signedAt", now, p),
            ));
        }
    }
    out
}

/// What the payload of `sign_as_trust_corporation` says.
struct Signing {
    uid: String,
    signatories: Vec<(String, String, String, Option<DateTime<Utc>>)>,
    company_number: Option<String>,
    mobile: Option<String>,
    language: Option<Lang>,
}

/// `lpa.sign_as_trust_corporation`: `{uid, signatories: [{firstNames, lastName, professionalTitle,
/// signedAt?}], companyNumber?, mobile?, contactLanguagePreference?}`; the last three default to the
/// application's and are required one way or the other.
pub(crate) fn sign(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    let keys = [
        "uid",
        "signatories",
        "companyNumber",
        "mobile",
        "contactLanguagePreference",
    ];
    let given = read_payload(ctx, &keys, |o, p| Signing {
        uid: o.req_text("uid", p),
        signatories: read_signatories(o, ctx.now, p),
        company_number: o.opt_text("companyNumber", p),
        mobile: o.opt_text("mobile", p),
        language: o.opt_wire::<Lang>("contactLanguagePreference", p),
    })?;
    may_act(data, &given.uid, "sign")?;
    for (_, _, _, signed_at) in &given.signatories {
        not_before_donor(data, *signed_at)?;
    }
    let (app, _) = data.application(ctx.now, ctx.zone);
    crate::paper::caseworker_may_sign_for(ctx, &app, &given.uid)?;
    let listed = app.trust_corporation(&given.uid);
    let mut missing = Vec::new();
    let mut need = |value: Option<String>, key: &str| {
        if value.is_none() {
            missing.push(PayloadProblem::new(
                format!("/{key}"),
                "is required: the application does not give it and the LPA Store needs it when a trust corporation signs",
            ));
        }
        value.unwrap_or_default()
    };
    let company_number = need(
        given
            .company_number
            .or_else(|| listed.and_then(|t| t.company_number.clone())),
        "companyNumber",
    );
    let mobile = need(
        given
            .mobile
            .or_else(|| listed.and_then(|t| t.contact.phone.clone())),
        "mobile",
    );
    let language = given
        .language
        .or_else(|| listed.and_then(|t| t.contact.language.clone()));
    if language.is_none() {
        missing.push(PayloadProblem::new(
            "/contactLanguagePreference",
            "is required: the application does not give it and the LPA Store needs it when a trust corporation signs",
        ));
    }
    if !missing.is_empty() {
        return Err(ActionError::Invalid(missing));
    }
    let signatories = given
        .signatories
        .into_iter()
        .map(
            |(first_names, last_name, professional_title, signed_at)| SignatoryRecord {
                first_names,
                last_name,
                professional_title,
                signed_at: signed_at.unwrap_or(ctx.now),
            },
        )
        .collect();
    data.signatures.trust_corporations.insert(
        given.uid,
        TrustCorporationSignature {
            signatories,
            company_number,
            mobile,
            contact_language_preference: language.unwrap_or_default(),
            recorded_at: ctx.now,
            recorded_by: ctx.actor.to_string(),
        },
    );
    Ok(())
}

/// `lpa.trust_corporation_opt_out`: `{uid}`. It is removed; if it was acting, the first replacement attorney
/// still waiting steps in.
pub(crate) fn opt_out(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    let uid = read_payload(ctx, &["uid"], |o, p| o.req_text("uid", p))?;
    may_act(data, &uid, "opt out")?;
    let was_active = data.trust_corporation_status(&uid) == Some(AttorneyStatus::Active);
    if let Some(r) = data.trust_corporations.get_mut(&uid) {
        r.status = AttorneyStatus::Removed;
        r.opted_out_at = Some(ctx.now);
    }
    if was_active {
        step_in_first_replacement(ctx, data);
    }
    Ok(())
}
