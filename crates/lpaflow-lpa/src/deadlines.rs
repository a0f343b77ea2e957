//! Signing deadlines (`shared/DOMAIN.md` section 5), known from the data: the donor signs within 6 months of
//! the identity check; the certificate provider acts within 6 months of the donor signing; the certificate
//! provider and each attorney sign within 2 years less a day of the donor.
//!
//! Each deadline is a fact computed from dates ([`compute`]); a missed one becomes a finding through the
//! safeguarding rules, and an open one is a timer that fires `deadline_passed` when its window closes, so the
//! finding appears on time even if nothing else happens. Timers run only before the waiting period.

use crate::application::Application;
use crate::data::{AttorneyStatus, LpaData, Signature};
use crate::dates::{last_day_two_years_less_a_day, last_day_within_months};
use crate::states::LpaState;
use chrono::{DateTime, NaiveDate, Utc};
use lpaflow_core::{BusinessZone, EventName, TimerName, TimerSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The event a deadline timer fires.
pub const DEADLINE_EVENT: &str = "deadline_passed";

/// The deadlines lpaflow tracks.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DeadlineName {
    /// The donor signs within 6 months of the identity check.
    DonorSignature,
    /// The certificate provider acts (confirms identity or signs) within 6 months of the donor signing.
    CertificateProviderActs,
    /// The certificate provider signs within 2 years less a day of the donor.
    CertificateProviderSignature,
    /// Each attorney signs within 2 years less a day of the donor.
    AttorneySignatures,
}

/// Where a deadline stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DeadlineStatus {
    /// Not done yet, and there is still time.
    Open,
    /// Done in time.
    Met,
    /// Done late, or not done and the window has closed.
    Missed,
}

/// One deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deadline {
    /// Which.
    pub name: DeadlineName,
    /// Whose act it waits for (`donor`, `certificateProvider`, `attorney:<uid>`).
    pub subject: String,
    /// The day the window opened.
    pub starts_on: NaiveDate,
    /// The last day to act in time.
    pub last_day: NaiveDate,
    /// The day the act happened, if it has.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub met_on: Option<NaiveDate>,
}

impl Deadline {
    /// Where it stands on `today`.
    pub fn status(&self, today: NaiveDate) -> DeadlineStatus {
        match self.met_on {
            Some(d) if d <= self.last_day => DeadlineStatus::Met,
            Some(_) => DeadlineStatus::Missed,
            None if today > self.last_day => DeadlineStatus::Missed,
            None => DeadlineStatus::Open,
        }
    }

    /// When its timer fires: local midnight at the end of the last day (GMT or BST as that date requires).
    pub fn fires_at(&self, zone: BusinessZone) -> DateTime<Utc> {
        zone.end_of(self.last_day)
    }
}

/// Every deadline the data implies, in a stable order, with days taken in `zone`.
pub fn compute(data: &LpaData, app: &Application, zone: BusinessZone) -> Vec<Deadline> {
    let mut out = Vec::new();
    let date = |s: &Option<Signature>| s.as_ref().map(|s| s.date(zone));
    if let Some(check) = &data.identity.donor {
        let start = zone.date_of(check.checked_at);
        out.push(Deadline {
            name: DeadlineName::DonorSignature,
            subject: "donor".into(),
            starts_on: start,
            last_day: last_day_within_months(start, 6),
            met_on: date(&data.signatures.donor),
        });
    }
    let Some(donor_signed) = date(&data.signatures.donor) else {
        return out;
    };
    let cp_signed = date(&data.signatures.certificate_provider);
    let cp_checked = data
        .identity
        .certificate_provider
        .as_ref()
        .map(|c| zone.date_of(c.checked_at));
    out.push(Deadline {
        name: DeadlineName::CertificateProviderActs,
        subject: "certificateProvider".into(),
        starts_on: donor_signed,
        last_day: last_day_within_months(donor_signed, 6),
        met_on: [cp_signed, cp_checked].into_iter().flatten().min(),
    });
    let two_years = last_day_two_years_less_a_day(donor_signed);
    out.push(Deadline {
        name: DeadlineName::CertificateProviderSignature,
        subject: "certificateProvider".into(),
        starts_on: donor_signed,
        last_day: two_years,
        met_on: cp_signed,
    });
    for a in &app.attorneys {
        if data.attorney_status(&a.uid) == Some(AttorneyStatus::Removed) {
            continue;
        }
        out.push(Deadline {
            name: DeadlineName::AttorneySignatures,
            subject: format!("attorney:{}", a.uid),
            starts_on: donor_signed,
            last_day: two_years,
            met_on: data.signatures.attorneys.get(&a.uid).map(|s| s.date(zone)),
        });
    }
    out
}

/// The timer of a deadline.
pub fn timer_name(name: DeadlineName) -> TimerName {
    TimerName::new(format!("deadline.{}", <&str>::from(name)))
}

/// The timers open deadlines need in `state`: one per deadline name, at the earliest end.
fn wanted(
    deadlines: &[Deadline],
    state: Option<LpaState>,
    zone: BusinessZone,
) -> BTreeMap<DeadlineName, DateTime<Utc>> {
    let mut out: BTreeMap<DeadlineName, DateTime<Utc>> = BTreeMap::new();
    if !state.is_some_and(LpaState::before_waiting_period) {
        return out;
    }
    for d in deadlines.iter().filter(|d| d.met_on.is_none()) {
        let at = d.fires_at(zone);
        out.entry(d.name)
            .and_modify(|t| *t = (*t).min(at))
            .or_insert(at);
    }
    out
}

/// Timers to set and cancel when the deadlines go from `before` (in `from`) to `after` (in `to`). Timers
/// already due are not set: the finding is raised by the same change.
pub fn timer_changes(
    before: (&[Deadline], Option<LpaState>),
    after: (&[Deadline], Option<LpaState>),
    now: DateTime<Utc>,
    zone: BusinessZone,
) -> (Vec<TimerSet>, Vec<TimerName>) {
    let old = wanted(before.0, before.1, zone);
    let new = wanted(after.0, after.1, zone);
    let set = new
        .iter()
        .filter(|(name, at)| **at > now && old.get(*name) != Some(*at))
        .map(|(name, at)| TimerSet {
            name: timer_name(*name),
            fire_at: *at,
            event: EventName::new(DEADLINE_EVENT),
            payload: serde_json::json!({ "deadline": name }),
        })
        .collect();
    let cancel = old
        .keys()
        .filter(|name| !new.contains_key(*name))
        .map(|name| timer_name(*name))
        .collect();
    (set, cancel)
}
