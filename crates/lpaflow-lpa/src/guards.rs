//! The guards of `workflows/lpa.toml`. Each lists every unmet condition with a stable code and a sentence
//! that names roles, uids, ids and amounts, never personal data. Guards about findings look at the findings
//! as they are *now* (re-evaluated at `ctx.now`), so a condition that cleared with time does not wait for the
//! next change to stop blocking.

use crate::data::{AttorneyStatus, LpaData};
use crate::findings::{RuleId, blocking};
use crate::objections::open_objections;
use lpaflow_core::{Context, Unmet};
use serde::Serialize;

/// Every guard name the LPA rules implement.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum Guard {
    /// No blocking finding is undecided.
    NoBlockingFindings,
    /// Some blocking finding is undecided.
    HasBlockingFindings,
    /// The donor has not signed (the application may still change).
    DonorNotSigned,
    /// Any claimed reduction is decided and nothing is left to pay.
    FeeSettled,
    /// Donor, certificate provider and every attorney not removed have signed.
    AllSignaturesPresent,
    /// The 28 days are over.
    WaitingPeriodElapsed,
    /// No objection is open.
    NoOpenObjections,
    /// Registration has not been requested yet.
    RegistrationNotRequested,
    /// No registration request is on its way to OPG: none is awaited, or OPG refused the awaited one.
    RegistrationNotPending,
    /// Attorneys opted out and no one is left to act.
    NoActiveAttorneys,
}

/// A signature the LPA still needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingSignature {
    /// `donor`, `certificateProvider`, `attorney` or `trustCorporation`.
    pub role: &'static str,
    /// The attorney's or trust corporation's uid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

impl MissingSignature {
    fn unmet(&self) -> Unmet {
        let who = match (&self.uid, self.role) {
            (Some(uid), "trustCorporation") => format!("trust corporation {uid}"),
            (Some(uid), _) => format!("attorney {uid}"),
            (None, "donor") => "the donor".to_owned(),
            (None, _) => "the certificate provider".to_owned(),
        };
        Unmet::new("missing_signature", format!("{who} has not signed"))
    }
}

/// Every signature still missing, in signing order.
pub fn missing_signatures(data: &LpaData) -> Vec<MissingSignature> {
    let mut out = Vec::new();
    if data.signatures.donor.is_none() {
        out.push(MissingSignature {
            role: "donor",
            uid: None,
        });
    }
    if data.signatures.certificate_provider.is_none() {
        out.push(MissingSignature {
            role: "certificateProvider",
            uid: None,
        });
    }
    for uid in crate::signing::attorneys_to_sign(data) {
        out.push(MissingSignature {
            role: "attorney",
            uid: Some(uid),
        });
    }
    for uid in crate::trust_corporations::trust_corporations_to_sign(data) {
        out.push(MissingSignature {
            role: "trustCorporation",
            uid: Some(uid),
        });
    }
    out
}

/// The unmet conditions of `guard` for `ctx`.
pub fn check(guard: Guard, ctx: &Context<'_>) -> Vec<Unmet> {
    match &*LpaData::read(&ctx.instance.data, ctx.reading) {
        Ok(data) => check_data(guard, ctx, data),
        Err(e) => vec![e.unmet()],
    }
}

fn check_data(guard: Guard, ctx: &Context<'_>, data: &LpaData) -> Vec<Unmet> {
    match guard {
        Guard::NoBlockingFindings => {
            let findings = data.current_findings(ctx.now, ctx.zone);
            blocking(&findings)
                .map(|f| {
                    Unmet::new(
                        "blocking_finding",
                        format!(
                            "finding {} ({}, {}) is open: {}",
                            f.id, f.rule, f.subject, f.detail
                        ),
                    )
                })
                .collect()
        }
        Guard::HasBlockingFindings => {
            let findings = data.current_findings(ctx.now, ctx.zone);
            if blocking(&findings).next().is_some() {
                Vec::new()
            } else {
                vec![Unmet::new(
                    "no_blocking_finding",
                    "no blocking finding is open",
                )]
            }
        }
        Guard::DonorNotSigned => match &data.signatures.donor {
            Some(s) => vec![Unmet::new(
                "donor_signed",
                format!(
                    "the donor signed on {}; the application can no longer change",
                    crate::dates::Day(s.date(ctx.zone))
                ),
            )],
            None => Vec::new(),
        },
        Guard::FeeSettled => fee_settled(data),
        Guard::AllSignaturesPresent => missing_signatures(data)
            .iter()
            .map(MissingSignature::unmet)
            .collect(),
        Guard::WaitingPeriodElapsed => match &data.waiting_period {
            Some(w) if w.elapsed(ctx.now) => Vec::new(),
            Some(w) => vec![Unmet::new(
                "waiting_period_running",
                format!(
                    "the waiting period ends at {}",
                    crate::dates::moment(w.ends_at, ctx.zone)
                ),
            )],
            None => vec![Unmet::new(
                "waiting_period_not_started",
                "the waiting period has not started",
            )],
        },
        Guard::NoOpenObjections => open_objections(data)
            .map(|o| Unmet::new("objection_open", format!("objection {} is open", o.id)))
            .collect(),
        Guard::RegistrationNotRequested => match &data.registration {
            Some(r) => vec![Unmet::new(
                "registration_requested",
                format!(
                    "registration was requested at {}",
                    r.requested_at.to_rfc3339()
                ),
            )],
            None => Vec::new(),
        },
        Guard::RegistrationNotPending => registration_not_pending(ctx, data),
        Guard::NoActiveAttorneys => no_active_attorneys(data),
    }
}

/// A status change queued behind an awaited `REGISTER` would reach OPG after it, when the store refuses
/// every manual status but `cancelled` for a registered LPA (`lambda/update/opg_change_status.go`): lpaflow
/// would show the new status and OPG a registered LPA. So the change waits for OPG's answer, unless OPG
/// already refused the request for good (a `sync.failed` or `sync.conflict` finding on it since the wait
/// began), when nothing is on its way and the change is the way out.
fn registration_not_pending(ctx: &Context<'_>, data: &LpaData) -> Vec<Unmet> {
    let Some(awaiting) = &ctx.instance.awaiting else {
        return Vec::new();
    };
    let refused = data.findings.iter().any(|f| {
        matches!(f.rule, RuleId::SyncFailed | RuleId::SyncConflict)
            && f.subject == awaiting.step.as_str()
            && f.detected_at >= awaiting.since
    });
    if refused {
        return Vec::new();
    }
    vec![Unmet::new(
        "registration_pending",
        format!(
            "{} is on its way to OPG, which would register the LPA before this change: wait for OPG's \
             answer (then cancel the registered LPA if need be)",
            awaiting.step
        ),
    )]
}

fn fee_settled(data: &LpaData) -> Vec<Unmet> {
    let a = &data.fee.amounts;
    let mut out = Vec::new();
    if a.reduction_pending {
        out.push(Unmet::new(
            "fee_reduction_undecided",
            "a claimed fee reduction waits for a caseworker's decision",
        ));
    }
    if a.balance_pence > 0 {
        out.push(Unmet::new(
            "fee_due",
            format!("{} pence are left to pay", a.balance_pence),
        ));
    }
    out
}

fn no_active_attorneys(data: &LpaData) -> Vec<Unmet> {
    let statuses = || {
        data.attorneys
            .values()
            .chain(data.trust_corporations.values())
            .map(|r| r.status)
    };
    let any_removed = statuses().any(|s| s == AttorneyStatus::Removed);
    let active = statuses().filter(|s| *s == AttorneyStatus::Active).count();
    if !any_removed {
        vec![Unmet::new(
            "no_attorney_opted_out",
            "no attorney has opted out",
        )]
    } else if active > 0 {
        vec![Unmet::new(
            "attorneys_remaining",
            format!("{active} attorney(s) can still act"),
        )]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn the_catalog_names_every_guard_and_nothing_else() {
        let names: Vec<&str> = Guard::iter().map(<&str>::from).collect();
        assert_eq!(names, crate::catalog::GUARDS);
    }
}
