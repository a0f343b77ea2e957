//! Findings: what the safeguarding rules, the deadlines and the OPG sync worker flag for a caseworker.
//!
//! Rule findings are *progressive*: every change re-runs the rules ([`crate::safeguarding`]) and
//! [`reconcile`] merges what they detect now into what is stored. A finding keeps its id for life; one that no
//! longer applies resolves itself; one that comes back after resolving is detected again. A caseworker's
//! acceptance or resolution holds while the condition persists, and lapses once it has cleared (so a later
//! recurrence is looked at again). Fatal findings never change. Sync findings are not rule output: only a
//! caseworker closes them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

macro_rules! snake_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize,
            strum::EnumString, strum::IntoStaticStr, strum::Display, strum::VariantNames,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }
    };
}

snake_enum!(
    /// How much a finding matters: blocking findings stop `submit`, hold the LPA in safeguarding and stop
    /// registration until a caseworker decides them.
    Severity {
        /// For information.
        Warning,
        /// Stops progress until decided.
        Blocking,
    }
);

snake_enum!(
    /// Where a finding is in its life.
    FindingStatus {
        /// Found and not decided.
        Detected,
        /// A caseworker accepted it: it no longer blocks.
        Accepted,
        /// A caseworker judged it fatal: the LPA cannot be registered.
        Fatal,
        /// It no longer applies, or a caseworker resolved it.
        Resolved,
    }
);

snake_enum!(
    /// Who closed a finding.
    ResolvedBy {
        /// The rules: the condition no longer holds.
        NoLongerApplies,
        /// A caseworker.
        Caseworker,
    }
);

/// The stable ids of everything that raises findings. Never rename one: stored findings name them.
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
    strum::EnumIter,
)]
pub enum RuleId {
    /// A field of a paper application is missing or invalid.
    #[serde(rename = "application.invalid")]
    #[strum(serialize = "application.invalid")]
    ApplicationInvalid,
    /// An attorney is under 18 on the reference date.
    #[serde(rename = "attorney.under_18")]
    #[strum(serialize = "attorney.under_18")]
    AttorneyUnder18,
    /// An attorney's date of birth is more than 100 years ago.
    #[serde(rename = "attorney.over_100")]
    #[strum(serialize = "attorney.over_100")]
    AttorneyOver100,
    /// The donor's, the certificate provider's or a person to notify's date of birth is more than 100 years
    /// ago (attorneys have [`RuleId::AttorneyOver100`]).
    #[serde(rename = "person.over_100")]
    #[strum(serialize = "person.over_100")]
    PersonOver100,
    /// A paper application without the date the OPG received it (the fee is taken on the day it was keyed in).
    #[serde(rename = "application.received_date_missing")]
    #[strum(serialize = "application.received_date_missing")]
    ApplicationReceivedDateMissing,
    /// The certificate provider is under 18.
    #[serde(rename = "certificate_provider.under_18")]
    #[strum(serialize = "certificate_provider.under_18")]
    CertificateProviderUnder18,
    /// The certificate provider is also an attorney or replacement attorney.
    #[serde(rename = "certificate_provider.is_attorney")]
    #[strum(serialize = "certificate_provider.is_attorney")]
    CertificateProviderIsAttorney,
    /// A personal certificate provider has known the donor for less than 2 years (or did not say).
    #[serde(rename = "certificate_provider.known_too_briefly")]
    #[strum(serialize = "certificate_provider.known_too_briefly")]
    CertificateProviderKnownTooBriefly,
    /// The certificate provider shares a last name with the donor or an attorney, unconfirmed.
    #[serde(rename = "certificate_provider.same_last_name")]
    #[strum(serialize = "certificate_provider.same_last_name")]
    CertificateProviderSameLastName,
    /// The certificate provider lives at the donor's address.
    #[serde(rename = "certificate_provider.at_donor_address")]
    #[strum(serialize = "certificate_provider.at_donor_address")]
    CertificateProviderAtDonorAddress,
    /// Two people of the LPA have the same name.
    #[serde(rename = "people.same_name")]
    #[strum(serialize = "people.same_name")]
    PeopleSameName,
    /// The donor's identity check and signature are more than 6 months apart.
    #[serde(rename = "deadline.donor_signature")]
    #[strum(serialize = "deadline.donor_signature")]
    DeadlineDonorSignature,
    /// The certificate provider did not act within 6 months of the donor signing.
    #[serde(rename = "deadline.certificate_provider_acts")]
    #[strum(serialize = "deadline.certificate_provider_acts")]
    DeadlineCertificateProviderActs,
    /// The certificate provider did not sign within 2 years less a day of the donor.
    #[serde(rename = "deadline.certificate_provider_signature")]
    #[strum(serialize = "deadline.certificate_provider_signature")]
    DeadlineCertificateProviderSignature,
    /// An attorney did not sign within 2 years less a day of the donor.
    #[serde(rename = "deadline.attorney_signature")]
    #[strum(serialize = "deadline.attorney_signature")]
    DeadlineAttorneySignature,
    /// OPG refused a step.
    #[serde(rename = "sync.failed")]
    #[strum(serialize = "sync.failed")]
    SyncFailed,
    /// OPG accepted a step but reads back different data.
    #[serde(rename = "sync.readback_mismatch")]
    #[strum(serialize = "sync.readback_mismatch")]
    SyncReadbackMismatch,
    /// OPG holds neither the old nor the new value of a step.
    #[serde(rename = "sync.conflict")]
    #[strum(serialize = "sync.conflict")]
    SyncConflict,
}

impl RuleId {
    /// How much a finding of this rule matters.
    pub fn severity(self) -> Severity {
        match self {
            RuleId::AttorneyOver100
            | RuleId::PersonOver100
            | RuleId::ApplicationReceivedDateMissing
            | RuleId::CertificateProviderAtDonorAddress
            | RuleId::PeopleSameName
            | RuleId::DeadlineCertificateProviderActs
            | RuleId::SyncReadbackMismatch => Severity::Warning,
            RuleId::ApplicationInvalid
            | RuleId::AttorneyUnder18
            | RuleId::CertificateProviderUnder18
            | RuleId::CertificateProviderIsAttorney
            | RuleId::CertificateProviderKnownTooBriefly
            | RuleId::CertificateProviderSameLastName
            | RuleId::DeadlineDonorSignature
            | RuleId::DeadlineCertificateProviderSignature
            | RuleId::DeadlineAttorneySignature
            | RuleId::SyncFailed
            | RuleId::SyncConflict => Severity::Blocking,
        }
    }

    /// True for findings the rules re-evaluate on every change (all but the sync worker's).
    pub fn re_evaluated(self) -> bool {
        match self {
            RuleId::SyncFailed | RuleId::SyncReadbackMismatch | RuleId::SyncConflict => false,
            RuleId::ApplicationInvalid
            | RuleId::AttorneyUnder18
            | RuleId::AttorneyOver100
            | RuleId::PersonOver100
            | RuleId::ApplicationReceivedDateMissing
            | RuleId::CertificateProviderUnder18
            | RuleId::CertificateProviderIsAttorney
            | RuleId::CertificateProviderKnownTooBriefly
            | RuleId::CertificateProviderSameLastName
            | RuleId::CertificateProviderAtDonorAddress
            | RuleId::PeopleSameName
            | RuleId::DeadlineDonorSignature
            | RuleId::DeadlineCertificateProviderActs
            | RuleId::DeadlineCertificateProviderSignature
            | RuleId::DeadlineAttorneySignature => true,
        }
    }
}

/// What a rule detects now: which rule, about whom, and a sentence (no personal data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The rule.
    pub rule: RuleId,
    /// `donor`, `certificateProvider`, `attorney:<uid>`, a JSON pointer, or a step name.
    pub subject: String,
    /// Plain words for the caseworker.
    pub detail: String,
}

impl Hit {
    /// A hit of `rule` about `subject`.
    pub fn new(rule: RuleId, subject: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            rule,
            subject: subject.into(),
            detail: detail.into(),
        }
    }
}

/// A caseworker's decision on a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingDecision {
    /// The status it gave.
    pub status: FindingStatus,
    /// Who.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// `F1`, `F2`, ... in order of first detection; never reused.
    pub id: String,
    /// The rule that raised it.
    pub rule: RuleId,
    /// Whom it is about.
    pub subject: String,
    /// Warning or blocking.
    pub severity: Severity,
    /// Where it is in its life.
    pub status: FindingStatus,
    /// Plain words (no personal data).
    pub detail: String,
    /// When it was (last) detected.
    pub detected_at: DateTime<Utc>,
    /// When it was resolved, and by whom.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub resolved_by: Option<ResolvedBy>,
    /// When it changed status last.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// The latest caseworker decision.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decision: Option<FindingDecision>,
    /// For sync findings: the differences OPG reported.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub differences: Option<serde_json::Value>,
}

impl Finding {
    /// Detected or accepted: not closed.
    pub fn is_open(&self) -> bool {
        match self.status {
            FindingStatus::Detected | FindingStatus::Accepted => true,
            FindingStatus::Fatal | FindingStatus::Resolved => false,
        }
    }

    /// A blocking finding nobody has decided yet.
    pub fn blocks(&self) -> bool {
        self.severity == Severity::Blocking && self.status == FindingStatus::Detected
    }

    pub(crate) fn new(id: String, hit: &Hit, now: DateTime<Utc>) -> Self {
        Self {
            id,
            rule: hit.rule,
            subject: hit.subject.clone(),
            severity: hit.rule.severity(),
            status: FindingStatus::Detected,
            detail: hit.detail.clone(),
            detected_at: now,
            resolved_by: None,
            resolved_at: None,
            decision: None,
            differences: None,
        }
    }
}

/// The next unused finding id.
pub fn next_id(findings: &[Finding]) -> String {
    let highest = findings
        .iter()
        .filter_map(|f| f.id.strip_prefix('F').and_then(|n| n.parse::<u64>().ok()))
        .max()
        .unwrap_or(0);
    format!("F{}", highest + 1)
}

/// Merges what the rules detect now (`hits`) into the stored findings (see the module docs).
pub fn reconcile(stored: &[Finding], hits: &[Hit], now: DateTime<Utc>) -> Vec<Finding> {
    let mut out: Vec<Finding> = stored.to_vec();
    for f in out.iter_mut().filter(|f| f.rule.re_evaluated()) {
        let hit = hits
            .iter()
            .find(|h| h.rule == f.rule && h.subject == f.subject);
        update_one(f, hit, now);
    }
    for hit in hits {
        let known = out
            .iter()
            .any(|f| f.rule == hit.rule && f.subject == hit.subject);
        if !known {
            let id = next_id(&out);
            out.push(Finding::new(id, hit, now));
        }
    }
    out
}

fn update_one(f: &mut Finding, hit: Option<&Hit>, now: DateTime<Utc>) {
    match (f.status, hit) {
        (FindingStatus::Fatal, _) => {}
        (FindingStatus::Detected | FindingStatus::Accepted, Some(h)) => {
            f.detail.clone_from(&h.detail)
        }
        (FindingStatus::Resolved, Some(h)) => {
            if f.resolved_by == Some(ResolvedBy::NoLongerApplies) {
                f.status = FindingStatus::Detected;
                f.detail.clone_from(&h.detail);
                f.detected_at = now;
                f.resolved_by = None;
                f.resolved_at = None;
            }
        }
        (FindingStatus::Detected | FindingStatus::Accepted, None) => {
            f.status = FindingStatus::Resolved;
            f.resolved_by = Some(ResolvedBy::NoLongerApplies);
            f.resolved_at = Some(now);
        }
        (FindingStatus::Resolved, None) => {
            // A caseworker's resolution lapses once the condition has cleared.
            f.resolved_by = Some(ResolvedBy::NoLongerApplies);
        }
    }
}

/// Findings that block progress.
pub fn blocking(findings: &[Finding]) -> impl Iterator<Item = &Finding> {
    findings.iter().filter(|f| f.blocks())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn t(day: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_600_000, 0).expect("valid") + TimeDelta::days(day)
    }

    fn hit(subject: &str) -> Hit {
        Hit::new(RuleId::AttorneyUnder18, subject, "under 18")
    }

    #[track_caller]
    fn check(stored: &[Finding], hits: &[Hit], expect: &[(&str, FindingStatus)]) -> Vec<Finding> {
        let got = reconcile(stored, hits, t(1));
        let summary: Vec<(&str, FindingStatus)> =
            got.iter().map(|f| (f.id.as_str(), f.status)).collect();
        assert_eq!(summary, expect);
        got
    }

    #[test]
    fn findings_appear_resolve_themselves_and_come_back() {
        let one = check(
            &[],
            &[hit("attorney:a")],
            &[("F1", FindingStatus::Detected)],
        );
        assert!(one[0].blocks());
        let gone = check(&one, &[], &[("F1", FindingStatus::Resolved)]);
        assert_eq!(gone[0].resolved_by, Some(ResolvedBy::NoLongerApplies));
        check(
            &gone,
            &[hit("attorney:a")],
            &[("F1", FindingStatus::Detected)],
        );
        check(
            &one,
            &[hit("attorney:a"), hit("attorney:b")],
            &[
                ("F1", FindingStatus::Detected),
                ("F2", FindingStatus::Detected),
            ],
        );
    }

    #[test]
    fn caseworker_decisions_hold_while_the_condition_persists() {
        let mut accepted = reconcile(&[], &[hit("x")], t(0));
        accepted[0].status = FindingStatus::Accepted;
        check(&accepted, &[hit("x")], &[("F1", FindingStatus::Accepted)]);
        check(&accepted, &[], &[("F1", FindingStatus::Resolved)]);

        let mut resolved = accepted.clone();
        resolved[0].status = FindingStatus::Resolved;
        resolved[0].resolved_by = Some(ResolvedBy::Caseworker);
        check(&resolved, &[hit("x")], &[("F1", FindingStatus::Resolved)]);
        let cleared = check(&resolved, &[], &[("F1", FindingStatus::Resolved)]);
        check(&cleared, &[hit("x")], &[("F1", FindingStatus::Detected)]);

        let mut fatal = accepted;
        fatal[0].status = FindingStatus::Fatal;
        check(&fatal, &[], &[("F1", FindingStatus::Fatal)]);
    }

    #[test]
    fn sync_findings_are_left_to_caseworkers() {
        let mut f = reconcile(
            &[],
            &[Hit::new(RuleId::SyncFailed, "opg.create", "refused")],
            t(0),
        );
        f[0].status = FindingStatus::Detected;
        check(&f, &[], &[("F1", FindingStatus::Detected)]);
        assert_eq!(RuleId::SyncFailed.to_string(), "sync.failed");
        assert_eq!(next_id(&f), "F2");
    }
}
