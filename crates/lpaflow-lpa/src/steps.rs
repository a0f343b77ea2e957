//! OPG step payloads (`docs/opg-api.md`), built when a transition commits:
//! `opg.create` -> `{"uid", "lpa": <LPA document>}`; `opg.update:<T>` -> `{"uid", "type", "changes"}`.
//!
//! Steps are declined (`None`, not enqueued) while the LPA has not been submitted, since OPG does not hold it
//! yet (the `submit` action records `submittedAt`, so the create it enqueues is the first step that goes).
//! An update whose changes turn out empty is declined too: OPG refuses a redundant change. (Data that cannot be
//! read as LPA data, which only the rules write, also declines: there is nothing sound to send.)

use crate::catalog::{OPG_CREATE_STEP, OPG_UPDATE_PREFIX};
use crate::data::LpaData;
use crate::document::{DocumentChange, changes, document};
use crate::states::LpaState;
use lpaflow_core::{Context, StepName};
use serde_json::{Value, json};

/// The OPG update types (`POST /lpas/{uid}/updates`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum OpgUpdateType {
    /// lpaflow extension: the donor's signature (`/signedAt`).
    DonorSign,
    /// Keys under `/certificateProvider/`.
    CertificateProviderSign,
    /// Keys under `/attorneys/{i}/`.
    AttorneySign,
    /// Keys under `/trustCorporations/{i}/`.
    TrustCorporationSign,
    /// `/donor/identityCheck/...`.
    DonorConfirmIdentity,
    /// `/certificateProvider/identityCheck/...`.
    CertificateProviderConfirmIdentity,
    /// No changes; status `cannot-register`.
    CertificateProviderOptOut,
    /// `/attorneys/{i}/status` -> `removed`, for the one attorney who opted out.
    AttorneyOptOut,
    /// No changes; status `withdrawn`.
    DonorWithdrawLpa,
    /// No changes; status `statutory-waiting-period`.
    StatutoryWaitingPeriod,
    /// No changes; status `registered`.
    Register,
    /// `/status`.
    OpgStatusChange,
    /// Keys under `/attorneys` other than an opt-out's removal (a replacement stepping in).
    ChangeAttorneys,
    /// `/restrictionsAndConditions`.
    SeverRestrictionsAndConditions,
    /// Any application key.
    Correction,
    /// lpaflow extension: keys under `/fee/`.
    FeeDecision,
}

/// Which document keys an update of this type carries.
enum Keys {
    /// None: the type's effect is a status.
    Nothing,
    /// Keys equal to or under one of these pointers.
    Under(&'static [&'static str]),
    /// The changes this predicate keeps.
    Matching(fn(&DocumentChange) -> bool),
    /// Application keys (not signatures, identity checks, statuses or fee decisions).
    Application,
    /// `/status`, from the state before to the state after.
    Status,
}

impl OpgUpdateType {
    fn keys(self) -> Keys {
        match self {
            OpgUpdateType::DonorSign => Keys::Under(&["/signedAt"]),
            OpgUpdateType::CertificateProviderSign => Keys::Under(&["/certificateProvider"]),
            OpgUpdateType::AttorneySign => Keys::Under(&["/attorneys"]),
            OpgUpdateType::AttorneyOptOut => Keys::Matching(is_removal),
            OpgUpdateType::ChangeAttorneys => {
                Keys::Matching(|c| under(&c.key, &["/attorneys"]) && !is_removal(c))
            }
            OpgUpdateType::TrustCorporationSign => Keys::Under(&["/trustCorporations"]),
            OpgUpdateType::DonorConfirmIdentity => Keys::Under(&["/donor/identityCheck"]),
            OpgUpdateType::CertificateProviderConfirmIdentity => {
                Keys::Under(&["/certificateProvider/identityCheck"])
            }
            OpgUpdateType::SeverRestrictionsAndConditions => {
                Keys::Under(&["/restrictionsAndConditions"])
            }
            OpgUpdateType::FeeDecision => Keys::Under(&["/fee"]),
            OpgUpdateType::CertificateProviderOptOut
            | OpgUpdateType::DonorWithdrawLpa
            | OpgUpdateType::StatutoryWaitingPeriod
            | OpgUpdateType::Register => Keys::Nothing,
            OpgUpdateType::OpgStatusChange => Keys::Status,
            OpgUpdateType::Correction => Keys::Application,
        }
    }
}

fn under(key: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| {
        key == *p
            || key
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// An attorney's status becoming `removed`: what `ATTORNEY_OPT_OUT` carries. A replacement stepping in at the
/// same time goes in a `CHANGE_ATTORNEYS` step of the same transition (OPG takes one attorney per opt-out).
fn is_removal(c: &DocumentChange) -> bool {
    c.key.starts_with("/attorneys/") && c.key.ends_with("/status") && c.new == "removed"
}

fn application_key(key: &str) -> bool {
    let rules_owned = key == "/uid"
        || key == "/status"
        || key == "/registrationDate"
        || key.ends_with("/signedAt")
        || key == "/signedAt"
        || key.contains("/identityCheck")
        || key == "/fee/approvedType"
        || (key.starts_with("/attorneys/") && key.ends_with("/status"));
    !rules_owned
}

/// The payload of `step` for the transition in `ctx` that leaves the data as `data_after`.
pub fn step_payload(step: &StepName, ctx: &Context<'_>, data_after: &Value) -> Option<Value> {
    let after = LpaData::load(data_after).ok()?;
    after.submitted_at?;
    let uid = ctx.instance.id.as_str();
    if step.as_str() == OPG_CREATE_STEP {
        return Some(json!({ "uid": uid, "lpa": document(&after) }));
    }
    let kind: OpgUpdateType = step
        .as_str()
        .strip_prefix(OPG_UPDATE_PREFIX)?
        .parse()
        .ok()?;
    let list = match kind.keys() {
        Keys::Nothing => Vec::new(),
        Keys::Status => vec![status_change(ctx)?],
        Keys::Under(prefixes) => document_changes(ctx, &after, |c| under(&c.key, prefixes))?,
        Keys::Matching(keep) => document_changes(ctx, &after, keep)?,
        Keys::Application => document_changes(ctx, &after, |c| application_key(&c.key))?,
    };
    Some(json!({ "uid": uid, "type": <&str>::from(kind), "changes": list }))
}

fn document_changes(
    ctx: &Context<'_>,
    after: &LpaData,
    keep: impl Fn(&DocumentChange) -> bool,
) -> Option<Vec<DocumentChange>> {
    let before = LpaData::load(&ctx.instance.data).ok()?;
    let list: Vec<DocumentChange> = changes(&document(&before), &document(after))
        .into_iter()
        .filter(|c| keep(c))
        .collect();
    (!list.is_empty()).then_some(list)
}

fn status_change(ctx: &Context<'_>) -> Option<DocumentChange> {
    let from = LpaState::of(&ctx.instance.state)?.store_status();
    let to = LpaState::of(ctx.to)?.store_status();
    (from != to).then(|| DocumentChange {
        key: "/status".into(),
        old: json!(from),
        new: json!(to),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn the_catalog_names_every_update_type() {
        let names: Vec<&str> = OpgUpdateType::iter().map(<&str>::from).collect();
        assert_eq!(names, crate::catalog::OPG_UPDATE_TYPES);
    }

    #[test]
    fn key_filters_match_whole_segments() {
        assert!(under(
            "/certificateProvider/signedAt",
            &["/certificateProvider"]
        ));
        assert!(!under("/certificateProviderX", &["/certificateProvider"]));
        assert!(application_key("/donor/lastName"));
        assert!(!application_key("/attorneys/0/status"));
        assert!(!application_key("/donor/identityCheck/type"));
    }
}
