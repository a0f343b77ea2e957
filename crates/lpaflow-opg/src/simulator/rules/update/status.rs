//! The status updates:
//! - `STATUTORY_WAITING_PERIOD` and its alias `PERFECT` (`lambda/update/statutory_waiting_period.go`): from
//!   `in-progress`, once the donor, the certificate provider, every attorney not removed and every signatory
//!   of a trust corporation not removed signed; the first missing one is the error.
//! - `REGISTER` (`register.go`): from `statutory-waiting-period`; sets `registrationDate` to now.
//! - `DONOR_WITHDRAW_LPA` (`donor_withdraw_lpa.go`): not when withdrawn, registered or cannot-register.
//! - `OPG_STATUS_CHANGE` (`opg_change_status.go`): `/status` (old from the stored status) to one of the
//!   four statuses a caseworker may set, each from the statuses its rule allows.

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{AttorneyStatus, FieldError, Lpa, LpaStatus, go_time};

use super::{Applyable, Parsed, expect_no_changes, parsed};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::parse::{Opts, Parser};
use crate::simulator::rules::refuse;
use crate::simulator::rules::validate::{time_is_zero, valid_pointer};

struct StatutoryWaitingPeriod;

impl Applyable for StatutoryWaitingPeriod {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        if lpa.status != LpaStatus::InProgress {
            return refuse(
                "/type",
                "status must be in-progress to enter statutory-waiting-period",
            );
        }
        if time_is_zero(&lpa.fields.signed_at) {
            return refuse("/type", "lpa must be signed");
        }
        if !go_time::is_set(&lpa.fields.certificate_provider.signed_at) {
            return refuse("/type", "lpa must have a certificate");
        }
        let unsigned_attorney = lpa
            .fields
            .attorneys
            .iter()
            .any(|a| a.status != AttorneyStatus::Removed && !go_time::is_set(&a.signed_at));
        if unsigned_attorney {
            return refuse("/type", "lpa must be signed by attorneys");
        }
        let unsigned_signatory = lpa.fields.trust_corporations.iter().any(|t| {
            t.status != AttorneyStatus::Removed
                && t.signatories.iter().any(|s| time_is_zero(&s.signed_at))
        });
        if unsigned_signatory {
            return refuse("/type", "lpa must be signed by trust corporations");
        }
        lpa.status = LpaStatus::StatutoryWaitingPeriod;
        Vec::new()
    }
}

struct Register;

impl Applyable for Register {
    fn apply(&self, lpa: &mut Lpa, now: DateTime<Utc>) -> Vec<FieldError> {
        if lpa.status != LpaStatus::StatutoryWaitingPeriod {
            return refuse(
                "/type",
                "status must be statutory-waiting-period to register",
            );
        }
        lpa.registration_date = Some(go_time::from_utc(now));
        lpa.status = LpaStatus::Registered;
        Vec::new()
    }
}

struct DonorWithdrawLpa;

impl Applyable for DonorWithdrawLpa {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        match lpa.status {
            LpaStatus::Withdrawn => refuse("/type", "lpa has already been withdrawn"),
            LpaStatus::Registered => refuse("/type", "cannot withdraw a registered lpa"),
            LpaStatus::CannotRegister => refuse("/type", "cannot withdraw an unregisterable lpa"),
            _ => {
                lpa.status = LpaStatus::Withdrawn;
                Vec::new()
            }
        }
    }
}

struct OpgChangeStatus {
    status: LpaStatus,
}

impl Applyable for OpgChangeStatus {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        use LpaStatus as S;
        let (to, from) = (&self.status, &lpa.status);
        let refusal = if !matches!(
            to,
            S::CannotRegister | S::Cancelled | S::DoNotRegister | S::Expired
        ) {
            Some("Lpa cannot be manually updated to this status")
        } else if *to == S::CannotRegister && *from == S::Registered {
            Some("Lpa status cannot be registered while changing to cannot register")
        } else if *to == S::CannotRegister && *from == S::Cancelled {
            Some("Lpa status cannot be cancelled while changing to cannot register")
        } else if *to == S::Cancelled && *from != S::Registered {
            Some("Lpa status has to be registered while changing to cancelled")
        } else if *to == S::DoNotRegister && *from != S::StatutoryWaitingPeriod {
            Some("Lpa status has to be statutory waiting period while changing to do not register")
        } else if *to == S::Expired
            && !matches!(
                from,
                S::InProgress | S::StatutoryWaitingPeriod | S::DoNotRegister
            )
        {
            Some(
                "Lpa status has to be in progress, statutory waiting period or do not register while changing to expired",
            )
        } else {
            None
        };
        if let Some(detail) = refusal {
            return refuse("/status", detail);
        }
        lpa.status = self.status.clone();
        Vec::new()
    }
}

pub fn parse_statutory_waiting_period(changes: &[SentChange]) -> Parsed {
    expect_no_changes(changes)?;
    Ok(Box::new(StatutoryWaitingPeriod))
}

pub fn parse_register(changes: &[SentChange]) -> Parsed {
    expect_no_changes(changes)?;
    Ok(Box::new(Register))
}

pub fn parse_donor_withdraw(changes: &[SentChange]) -> Parsed {
    expect_no_changes(changes)?;
    Ok(Box::new(DonorWithdrawLpa))
}

pub fn parse_opg_change_status(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    let mut data = OpgChangeStatus {
        status: lpa.status.clone(),
    };
    let errors = Parser::new(changes)
        .field(
            "/status",
            &mut data.status,
            Opts::required().validate(valid_pointer),
        )
        .consumed()
        .finish();
    parsed(data, errors)
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
