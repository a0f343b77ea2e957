//! The safeguarding rules of `shared/DOMAIN.md` section 3, each a small pure function with a stable rule id
//! ([`RuleId`]). They run on creation and after every change ([`crate::data::LpaData::refresh`]) and return
//! what they detect now; [`crate::findings::reconcile`] turns that into findings. Details name roles and
//! uids, never names, dates of birth or addresses.
//!
//! Ages and windows are taken on the reference date: the donor's signing date, or today while the donor has
//! not signed. Attorneys who opted out are no longer part of the LPA and are not checked.

use crate::application::{Application, Attorney, Person, Relationship};
use crate::data::{AttorneyStatus, LpaData};
use crate::dates::Day;
use crate::dates::{age_on, last_day_within_months};
use crate::deadlines::{DeadlineName, DeadlineStatus};
use crate::findings::{Hit, RuleId};
use chrono::{Months, NaiveDate};
use lpaflow_core::{BusinessZone, PayloadProblem};
use std::collections::BTreeMap;

/// Adults are 18 or over.
pub const ADULT_AGE_YEARS: i32 = 18;
/// A date of birth more than this many years ago is a warning.
pub const IMPLAUSIBLE_AGE_YEARS: u32 = 100;
/// A personal certificate provider has known the donor for at least this long.
pub const KNOWN_FOR_MIN_YEARS: i64 = 2;

/// What the rules look at.
pub struct Input<'a> {
    /// The typed application.
    pub app: &'a Application,
    /// The rest of the data (signatures, confirmations, deadlines).
    pub data: &'a LpaData,
    /// Problems of the application's data.
    pub problems: &'a [PayloadProblem],
    /// The reference date for ages and windows.
    pub on: NaiveDate,
    /// Today (for deadlines still open).
    pub today: NaiveDate,
    /// The zone instants become dates in.
    pub zone: BusinessZone,
}

/// One rule: what it detects in `input`.
pub type Rule = fn(&Input<'_>) -> Vec<Hit>;

/// Every rule, in a stable order.
pub const RULES: &[Rule] = &[
    application_invalid,
    received_date_missing,
    attorney_age,
    person_over_100,
    certificate_provider_under_18,
    certificate_provider_is_attorney,
    certificate_provider_known_too_briefly,
    same_last_name,
    same_names,
    certificate_provider_at_donor_address,
    missed_deadlines,
];

/// Everything the rules detect now.
pub fn evaluate(input: &Input<'_>) -> Vec<Hit> {
    RULES.iter().flat_map(|rule| rule(input)).collect()
}

/// The attorneys still part of the LPA, with their 1-based position.
fn attorneys<'a>(input: &'a Input<'_>) -> impl Iterator<Item = (usize, &'a Attorney)> {
    input
        .app
        .attorneys
        .iter()
        .enumerate()
        .filter(|(_, a)| input.data.attorney_status(&a.uid) != Some(AttorneyStatus::Removed))
        .map(|(i, a)| (i + 1, a))
}

fn attorney_subject(a: &Attorney) -> String {
    format!("attorney:{}", a.uid)
}

/// Each problem of the application's data (paper applications are accepted with them).
pub fn application_invalid(input: &Input<'_>) -> Vec<Hit> {
    input
        .problems
        .iter()
        .map(|p| {
            let at = if p.pointer.is_empty() {
                "/"
            } else {
                &p.pointer
            };
            Hit::new(RuleId::ApplicationInvalid, at, format!("{at} {}", p.detail))
        })
        .collect()
}

/// A paper application says when the OPG received it: its fee is the one of that day. Without it the fee is
/// taken on the day it was keyed in, which may be days later and after a change of fee.
pub fn received_date_missing(input: &Input<'_>) -> Vec<Hit> {
    if !input.app.is_paper() || input.app.received_at.is_some() {
        return Vec::new();
    }
    vec![Hit::new(
        RuleId::ApplicationReceivedDateMissing,
        "/receivedAt",
        format!(
            "the date the OPG received this paper application is not recorded; the fee is taken on the day it was keyed in ({})",
            crate::dates::Day(input.data.fee.fee_date)
        ),
    )]
}

/// Born before this day: more than 100 years before the reference date.
fn oldest_plausible_birth(on: NaiveDate) -> NaiveDate {
    on.checked_sub_months(Months::new(IMPLAUSIBLE_AGE_YEARS * 12))
        .unwrap_or(NaiveDate::MIN)
}

/// The donor, the certificate provider and each person to notify born more than 100 years before the
/// reference date (a warning: most likely a mistyped year).
pub fn person_over_100(input: &Input<'_>) -> Vec<Hit> {
    let oldest = oldest_plausible_birth(input.on);
    let app = input.app;
    let people = [
        ("donor".to_owned(), "the donor", &app.donor.person),
        (
            "certificateProvider".to_owned(),
            "the certificate provider",
            &app.certificate_provider.person,
        ),
    ]
    .into_iter()
    .chain(app.people_to_notify.iter().map(|p| {
        (
            format!("personToNotify:{}", p.uid),
            "a person to notify",
            &p.person,
        )
    }));
    people
        .filter(|(_, _, person)| person.date_of_birth.is_some_and(|born| born < oldest))
        .map(|(subject, who, _)| {
            Hit::new(
                RuleId::PersonOver100,
                subject,
                format!(
                    "{who} was born more than {IMPLAUSIBLE_AGE_YEARS} years before {}",
                    Day(input.on)
                ),
            )
        })
        .collect()
}

/// Attorneys under 18 (blocking) or born more than 100 years ago (warning) on the reference date.
pub fn attorney_age(input: &Input<'_>) -> Vec<Hit> {
    let mut out = Vec::new();
    let oldest = oldest_plausible_birth(input.on);
    for (n, a) in attorneys(input) {
        let Some(born) = a.person.date_of_birth else {
            continue;
        };
        if age_on(born, input.on) < ADULT_AGE_YEARS {
            out.push(Hit::new(
                RuleId::AttorneyUnder18,
                attorney_subject(a),
                format!(
                    "attorney {n} is under {ADULT_AGE_YEARS} on {}",
                    Day(input.on)
                ),
            ));
        }
        if born < oldest {
            out.push(Hit::new(
                RuleId::AttorneyOver100,
                attorney_subject(a),
                format!(
                    "attorney {n} was born more than {IMPLAUSIBLE_AGE_YEARS} years before {}",
                    Day(input.on)
                ),
            ));
        }
    }
    out
}

/// The certificate provider is under 18 on the reference date.
pub fn certificate_provider_under_18(input: &Input<'_>) -> Vec<Hit> {
    let cp = &input.app.certificate_provider.person;
    match cp.date_of_birth {
        Some(born) if age_on(born, input.on) < ADULT_AGE_YEARS => vec![Hit::new(
            RuleId::CertificateProviderUnder18,
            "certificateProvider",
            format!(
                "the certificate provider is under {ADULT_AGE_YEARS} on {}",
                Day(input.on)
            ),
        )],
        Some(_) | None => Vec::new(),
    }
}

/// The certificate provider is also an attorney or replacement attorney.
pub fn certificate_provider_is_attorney(input: &Input<'_>) -> Vec<Hit> {
    let cp = &input.app.certificate_provider.person;
    attorneys(input)
        .filter(|(_, a)| cp.same_name(&a.person))
        .map(|(n, a)| {
            Hit::new(
                RuleId::CertificateProviderIsAttorney,
                attorney_subject(a),
                format!("the certificate provider has the same name as attorney {n}"),
            )
        })
        .collect()
}

/// A personal certificate provider must have known the donor for at least 2 years.
pub fn certificate_provider_known_too_briefly(input: &Input<'_>) -> Vec<Hit> {
    let cp = &input.app.certificate_provider;
    match cp.relationship {
        Some(Relationship::Personal) if cp.known_for_years.unwrap_or(0) < KNOWN_FOR_MIN_YEARS => {
            vec![Hit::new(
                RuleId::CertificateProviderKnownTooBriefly,
                "certificateProvider",
                format!(
                    "a personal certificate provider must have known the donor for at least {KNOWN_FOR_MIN_YEARS} years"
                ),
            )]
        }
        Some(Relationship::Personal | Relationship::Professional) | None => Vec::new(),
    }
}

/// The last names the not-related confirmation covers: the donor's, the certificate provider's and each
/// attorney's, as written.
pub fn last_names(app: &Application) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("donor".to_owned(), app.donor.person.last_name.clone());
    out.insert(
        "certificateProvider".to_owned(),
        app.certificate_provider.person.last_name.clone(),
    );
    for a in &app.attorneys {
        out.insert(attorney_subject(a), a.person.last_name.clone());
    }
    out
}

/// Who shares a part of their last name with the certificate provider (`donor`, `attorney n`).
pub fn sharing_last_name(input: &Input<'_>) -> Vec<String> {
    let cp: Vec<String> = input.app.certificate_provider.person.last_name_parts();
    let shares = |p: &Person| p.last_name_parts().iter().any(|part| cp.contains(part));
    let mut who = Vec::new();
    if shares(&input.app.donor.person) {
        who.push("the donor".to_owned());
    }
    for (n, a) in attorneys(input) {
        if shares(&a.person) {
            who.push(format!("attorney {n}"));
        }
    }
    who
}

/// The certificate provider shares a last name (any part of a double-barrelled one) with the donor or an
/// attorney, and the donor has not confirmed, for the names as they are now, that they are not related.
pub fn same_last_name(input: &Input<'_>) -> Vec<Hit> {
    let who = sharing_last_name(input);
    let confirmed = input
        .data
        .not_related
        .as_ref()
        .is_some_and(|c| c.holds(input.app));
    if who.is_empty() || confirmed {
        return Vec::new();
    }
    vec![Hit::new(
        RuleId::CertificateProviderSameLastName,
        "certificateProvider",
        format!(
            "the certificate provider shares a last name with {}; the donor must confirm they are not related",
            who.join(" and ")
        ),
    )]
}

/// Two people with the same name: the donor and an attorney, the donor and the certificate provider, two
/// attorneys (the certificate provider and an attorney is [`certificate_provider_is_attorney`]).
pub fn same_names(input: &Input<'_>) -> Vec<Hit> {
    let donor = &input.app.donor.person;
    let mut by_subject: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if donor.same_name(&input.app.certificate_provider.person) {
        by_subject
            .entry("certificateProvider".into())
            .or_default()
            .push("the donor and the certificate provider have the same name".into());
    }
    let listed: Vec<(usize, &Attorney)> = attorneys(input).collect();
    for (i, (n, a)) in listed.iter().enumerate() {
        if donor.same_name(&a.person) {
            by_subject
                .entry(attorney_subject(a))
                .or_default()
                .push(format!("the donor and attorney {n} have the same name"));
        }
        for (m, earlier) in &listed[..i] {
            if earlier.person.same_name(&a.person) {
                by_subject
                    .entry(attorney_subject(a))
                    .or_default()
                    .push(format!("attorneys {m} and {n} have the same name"));
            }
        }
    }
    by_subject
        .into_iter()
        .map(|(subject, why)| Hit::new(RuleId::PeopleSameName, subject, why.join("; ")))
        .collect()
}

/// The certificate provider lives at the donor's address.
pub fn certificate_provider_at_donor_address(input: &Input<'_>) -> Vec<Hit> {
    let donor = input.app.donor.person.address.as_ref();
    let cp = input.app.certificate_provider.person.address.as_ref();
    match donor.zip(cp) {
        Some((d, c)) if d.same_place(c) => vec![Hit::new(
            RuleId::CertificateProviderAtDonorAddress,
            "certificateProvider",
            "the certificate provider lives at the donor's address",
        )],
        Some(_) | None => Vec::new(),
    }
}

/// Deadlines missed (acted late, or not at all and the window has closed); and an identity check made more
/// than 6 months after the donor signed.
pub fn missed_deadlines(input: &Input<'_>) -> Vec<Hit> {
    let mut out: Vec<Hit> = input
        .data
        .deadlines
        .iter()
        .filter(|d| d.status(input.today) == DeadlineStatus::Missed)
        .map(|d| {
            let (rule, what) = match d.name {
                DeadlineName::DonorSignature => (
                    RuleId::DeadlineDonorSignature,
                    "the donor did not sign within 6 months of the identity check",
                ),
                DeadlineName::CertificateProviderActs => (
                    RuleId::DeadlineCertificateProviderActs,
                    "the certificate provider did not act within 6 months of the donor signing",
                ),
                DeadlineName::CertificateProviderSignature => (
                    RuleId::DeadlineCertificateProviderSignature,
                    "the certificate provider did not sign within 2 years less a day of the donor",
                ),
                DeadlineName::AttorneySignatures => (
                    RuleId::DeadlineAttorneySignature,
                    "the attorney did not sign within 2 years less a day of the donor",
                ),
            };
            Hit::new(
                rule,
                d.subject.clone(),
                format!("{what} (last day {})", Day(d.last_day)),
            )
        })
        .collect();
    let signed = input
        .data
        .signatures
        .donor
        .as_ref()
        .map(|s| s.date(input.zone));
    let checked = input
        .data
        .identity
        .donor
        .as_ref()
        .map(|c| input.zone.date_of(c.checked_at));
    if let Some((signed, checked)) = signed.zip(checked)
        && checked > last_day_within_months(signed, 6)
    {
        out.push(Hit::new(
            RuleId::DeadlineDonorSignature,
            "donor",
            "the donor's identity was checked more than 6 months after the donor signed",
        ));
    }
    out
}

#[cfg(test)]
#[path = "safeguarding_tests.rs"]
mod tests;
