//! The dates the rules used for one LPA, so a caseworker can see why a fee, an age or a window came out as it
//! did: every calendar rule is about a UK local date (`shared/DOMAIN.md` section 5), and an instant near
//! midnight, or a paper application keyed in days after it arrived, can move a rule to another day.

use crate::application::Application;
use crate::data::LpaData;
use crate::dates::last_day_within_months;
use crate::fees::REPEAT_WINDOW_MONTHS;
use chrono::{DateTime, NaiveDate, Utc};
use lpaflow_core::BusinessZone;
use serde::Serialize;
use std::fmt;

/// Where a date came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "camelCase")]
#[strum(serialize_all = "camelCase")]
pub enum DateSource {
    /// The day the OPG received the application (`application.receivedAt`).
    Received,
    /// The day the application was keyed in (no receipt date recorded).
    KeyedIn,
    /// The day the donor signed.
    DonorSignature,
    /// Today: the donor has not signed yet.
    Today,
}

/// A date and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourcedDate {
    /// The local date.
    pub date: NaiveDate,
    /// Where it came from.
    pub source: DateSource,
}

/// The repeat-application window the fee assessment measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepeatWindow {
    /// The earlier application's date.
    pub previous_application_on: NaiveDate,
    /// The last day an application counts as a repeat (3 calendar months on).
    pub last_day: NaiveDate,
    /// The fee date falls inside it.
    pub inside: bool,
}

/// The waiting period in local terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingPeriodDates {
    /// The local day it began (day 1 of 28).
    pub first_day: NaiveDate,
    /// Its last local day.
    pub last_day: NaiveDate,
    /// The instant it ends: local midnight after the last day, with its UK offset.
    pub ends_at_local: String,
}

/// Every date the rules used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleDates {
    /// The zone instants became dates in (`Europe/London`).
    pub time_zone: String,
    /// Today in that zone.
    pub today: NaiveDate,
    /// Ages (18 or over, more than 100 years) and the attorneys' and certificate provider's checks.
    pub reference_date: SourcedDate,
    /// The fee and its band (the fee rise of 19 September 2025, the repeat window).
    pub fee_date: SourcedDate,
    /// The repeat-application window, if the claim names an earlier application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_window: Option<RepeatWindow>,
    /// The statutory waiting period, once it began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_period: Option<WaitingPeriodDates>,
}

/// The dates the rules use for `data` at `now`.
pub fn rule_dates(
    data: &LpaData,
    app: &Application,
    now: DateTime<Utc>,
    zone: BusinessZone,
) -> RuleDates {
    let today = zone.date_of(now);
    let reference_date = match &data.signatures.donor {
        Some(s) => SourcedDate {
            date: s.date(zone),
            source: DateSource::DonorSignature,
        },
        None => SourcedDate {
            date: today,
            source: DateSource::Today,
        },
    };
    let fee_date = SourcedDate {
        date: data.fee.fee_date,
        source: if data.fee.received_on.is_some() {
            DateSource::Received
        } else {
            DateSource::KeyedIn
        },
    };
    let repeat_window = app
        .fee
        .as_ref()
        .and_then(|f| f.previous_application.as_ref())
        .and_then(|p| p.date)
        .map(|earlier| {
            let last_day = last_day_within_months(earlier, REPEAT_WINDOW_MONTHS);
            RepeatWindow {
                previous_application_on: earlier,
                last_day,
                inside: earlier <= fee_date.date && fee_date.date <= last_day,
            }
        });
    let waiting_period = data.waiting_period.as_ref().map(|w| WaitingPeriodDates {
        first_day: zone.date_of(w.started_at),
        last_day: zone.date_of(w.ends_at - chrono::TimeDelta::microseconds(1)),
        ends_at_local: zone.rfc3339(w.ends_at),
    });
    RuleDates {
        time_zone: zone.name().to_owned(),
        today,
        reference_date,
        fee_date,
        repeat_window,
        waiting_period,
    }
}

impl fmt::Display for RuleDates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = |s: DateSource| -> &'static str { s.into() };
        writeln!(
            f,
            "Dates ({}): today {}; ages on {} ({}); fee on {} ({})",
            self.time_zone,
            self.today,
            self.reference_date.date,
            source(self.reference_date.source),
            self.fee_date.date,
            source(self.fee_date.source)
        )?;
        if let Some(r) = &self.repeat_window {
            writeln!(
                f,
                "  repeat window: {} to {} ({})",
                r.previous_application_on,
                r.last_day,
                if r.inside { "inside" } else { "outside" }
            )?;
        }
        if let Some(w) = &self.waiting_period {
            writeln!(
                f,
                "  waiting period: {} to {}, ends {}",
                w.first_day, w.last_day, w.ends_at_local
            )?;
        }
        Ok(())
    }
}
