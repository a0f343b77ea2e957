//! OPG step payloads (`docs/opg-api.md`, "Mapping"), built when a transition commits:
//! `opg.create` -> `{"uid", "lpa": <create body>}`; `opg.update:<T>` -> `{"uid", "type", "changes",
//! "author"?}` with exactly the keys the LPA Store takes for that type (`lambda/update/*.go`).
//!
//! The LPA exists in OPG from the donor's signature on: `sign_as_donor` records [`crate::data::OpgCreate`]
//! and enqueues the create, which carries everything recorded until then. Before it, every step is declined
//! (`None`, not enqueued): progressive approval (safeguarding, fees, identity) runs locally. An update whose
//! changes turn out empty is declined too: the store refuses a redundant change.
//!
//! Updates that change values are the difference between [`crate::document::expected`] before and after the
//! transition, with actors addressed by uid (`/attorneys/<uid>/signedAt`, which the store resolves like an
//! index) so a key never depends on list order. Opt-outs carry no changes: the store identifies the actor
//! from the token's subject, so the payload names it as `author`.

use crate::catalog::{OPG_CREATE_STEP, OPG_UPDATE_PREFIX};
use crate::data::{AttorneyStatus, LpaData};
use crate::document::{changes, create_body, expected, to_json};
use crate::lpa_store::{Change, UpdateType, makeregister_author};
use crate::states::LpaState;
use chrono::{DateTime, Utc};
use lpaflow_core::{BusinessZone, Context, Reading, StepName};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The outbox payload of `opg.create`: the LPA's uid and the create body as it is sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateStep {
    /// `M-XXXX-XXXX-XXXX`.
    pub uid: String,
    /// The body of `PUT /lpas/{uid}` ([`crate::lpa_store::LpaInit`] as JSON, sent byte for byte).
    pub lpa: Value,
}

/// The outbox payload of `opg.update:<TYPE>`: the update and, for opt-outs, the actor the store takes from
/// the token's subject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpdateStep {
    /// `M-XXXX-XXXX-XXXX`.
    pub uid: String,
    /// The update type (the step name says it too).
    #[serde(rename = "type")]
    pub kind: UpdateType,
    /// The changes, with `old` as the store holds it.
    #[serde(default)]
    pub changes: Vec<Change>,
    /// A URN that becomes the token's `sub`, when the store identifies the actor by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// The update types lpaflow sends, each from the transitions of `workflows/lpa.toml` that name it.
pub const SENT_UPDATE_TYPES: &[UpdateType] = &[
    UpdateType::CertificateProviderSign,
    UpdateType::AttorneySign,
    UpdateType::TrustCorporationSign,
    UpdateType::DonorConfirmIdentity,
    UpdateType::CertificateProviderConfirmIdentity,
    UpdateType::CertificateProviderOptOut,
    UpdateType::AttorneyOptOut,
    UpdateType::TrustCorporationOptOut,
    UpdateType::ChangeAttorneys,
    UpdateType::DonorWithdrawLpa,
    UpdateType::StatutoryWaitingPeriod,
    UpdateType::Register,
    UpdateType::OpgStatusChange,
];

/// The first version of `workflows/lpa.toml` whose LPAs go to OPG as the LPA Store expects them (the create
/// when the donor signs). A version-1 LPA sent its create at submit in a shape the store refuses, and the
/// rules it runs now would send updates for an LPA the store never received: its steps are all declined.
pub const FIRST_VERSION_SENT: u32 = 2;

/// The payload of `step` for the transition in `ctx` that leaves the data as `data_after`.
pub fn step_payload(
    step: &StepName,
    ctx: &Context<'_>,
    data_after: &lpaflow_core::Data,
    reading_after: &Reading,
) -> Option<Value> {
    if ctx.instance.workflow.version < FIRST_VERSION_SENT {
        return None;
    }
    let read_after = LpaData::read(data_after, reading_after);
    let after = read_after.as_ref().as_ref().ok()?;
    after.opg_create.as_ref()?;
    let uid = ctx.instance.id.as_str();
    if step.as_str() == OPG_CREATE_STEP {
        let lpa = serde_json::to_value(create_body(after, ctx.now, ctx.zone)).ok()?;
        return serde_json::to_value(CreateStep {
            uid: uid.to_owned(),
            lpa,
        })
        .ok();
    }
    let kind: UpdateType = step
        .as_str()
        .strip_prefix(OPG_UPDATE_PREFIX)?
        .parse()
        .ok()
        .filter(|t| SENT_UPDATE_TYPES.contains(t))?;
    let read_before = LpaData::read(&ctx.instance.data, ctx.reading);
    let before = read_before.as_ref().as_ref().ok()?;
    // Created by this very transition: its create carries everything.
    before.opg_create.as_ref()?;
    let pair = Pair {
        before,
        after,
        now: ctx.now,
        zone: ctx.zone,
    };
    let (list, author) = match kind {
        UpdateType::CertificateProviderOptOut
        | UpdateType::DonorWithdrawLpa
        | UpdateType::StatutoryWaitingPeriod
        | UpdateType::Perfect
        | UpdateType::Register => (Vec::new(), None),
        UpdateType::AttorneyOptOut => (Vec::new(), Some(pair.removed_attorney()?)),
        UpdateType::TrustCorporationOptOut => (Vec::new(), Some(pair.removed_trust_corporation()?)),
        UpdateType::OpgStatusChange => (vec![status_change(ctx)?], None),
        UpdateType::CertificateProviderSign => (
            pair.changes_under(&[
                "/certificateProvider/signedAt",
                "/certificateProvider/contactLanguagePreference",
            ])?,
            None,
        ),
        UpdateType::AttorneySign => (pair.attorney_sign()?, None),
        UpdateType::TrustCorporationSign => (pair.trust_corporation_sign()?, None),
        UpdateType::DonorConfirmIdentity => (pair.identity("/donor/identityCheck")?, None),
        UpdateType::CertificateProviderConfirmIdentity => {
            (pair.identity("/certificateProvider/identityCheck")?, None)
        }
        UpdateType::ChangeAttorneys => (pair.change_attorneys()?, None),
        UpdateType::Correction
        | UpdateType::AttorneyDecisions
        | UpdateType::SeverRestrictionsAndConditions
        | UpdateType::PaperCertificateProviderAccessOnline
        | UpdateType::PaperAttorneyAccessOnline
        | UpdateType::PostRegistrationCorrection => return None,
    };
    serde_json::to_value(UpdateStep {
        uid: uid.to_owned(),
        kind,
        changes: list,
        author,
    })
    .ok()
}

/// The data before and after one transition.
struct Pair<'a> {
    before: &'a LpaData,
    after: &'a LpaData,
    now: DateTime<Utc>,
    zone: BusinessZone,
}

impl Pair<'_> {
    /// Every change between the two documents, with actors addressed by uid.
    fn all_changes(&self) -> Vec<Change> {
        let old = to_json(&expected(self.before, self.now, self.zone));
        let new = to_json(&expected(self.after, self.now, self.zone));
        changes(&old, &new)
            .into_iter()
            .map(|c| by_uid(c, &new))
            .collect()
    }

    /// The changes at these keys; `None` when there are none.
    fn changes_under(&self, keys: &[&str]) -> Option<Vec<Change>> {
        let list: Vec<Change> = self
            .all_changes()
            .into_iter()
            .filter(|c| keys.contains(&c.key.as_str()))
            .collect();
        (!list.is_empty()).then_some(list)
    }

    /// The attorney who signed in this transition: their signature and what they gave with it.
    fn attorney_sign(&self) -> Option<Vec<Change>> {
        let uid = self
            .after
            .signatures
            .attorneys
            .keys()
            .find(|u| !self.before.signatures.attorneys.contains_key(*u))?;
        let keys = ["signedAt", "mobile", "contactLanguagePreference"]
            .map(|k| format!("/attorneys/{uid}/{k}"));
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.changes_under(&keys)
    }

    /// The trust corporation that signed in this transition. The store compares `mobile`,
    /// `contactLanguagePreference` and the signatories with empty values and requires every one of them
    /// (`trust_corporation_sign.go`), so they are listed leaf by leaf from empty.
    fn trust_corporation_sign(&self) -> Option<Vec<Change>> {
        let (uid, signed) = self
            .after
            .signatures
            .trust_corporations
            .iter()
            .find(|(u, _)| !self.before.signatures.trust_corporations.contains_key(*u))?;
        let at = |k: &str| format!("/trustCorporations/{uid}/{k}");
        let mut list = vec![
            change(at("mobile"), Value::Null, json!(signed.mobile)),
            change(
                at("contactLanguagePreference"),
                Value::Null,
                json!(signed.contact_language_preference.as_str()),
            ),
            // The create never carries the company number (the store wants it when the corporation signs).
            change(
                at("companyNumber"),
                Value::Null,
                json!(signed.company_number),
            ),
        ];
        for (i, s) in signed.signatories.iter().enumerate() {
            let at = |k: &str| format!("/trustCorporations/{uid}/signatories/{i}/{k}");
            list.push(change(at("firstNames"), Value::Null, json!(s.first_names)));
            list.push(change(at("lastName"), Value::Null, json!(s.last_name)));
            list.push(change(
                at("professionalTitle"),
                Value::Null,
                json!(s.professional_title),
            ));
            list.push(change(
                at("signedAt"),
                Value::Null,
                json!(crate::lpa_store::go_time::format(
                    &s.signed_at.fixed_offset()
                )),
            ));
        }
        Some(list)
    }

    /// An identity check recorded after the create: both keys, which the store requires together
    /// (`confirm_identity.go`).
    fn identity(&self, prefix: &str) -> Option<Vec<Change>> {
        let keys = [format!("{prefix}/type"), format!("{prefix}/checkedAt")];
        let new = to_json(&expected(self.after, self.now, self.zone));
        let old = to_json(&expected(self.before, self.now, self.zone));
        let list: Vec<Change> = keys
            .iter()
            .map(|k| {
                change(
                    k.clone(),
                    old.pointer(k).cloned().unwrap_or(Value::Null),
                    new.pointer(k).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        list.iter().all(|c| c.old != c.new).then_some(list)
    }

    /// Replacements stepping in (`inactive` -> `active`); an opt-out's own removal goes with the opt-out.
    fn change_attorneys(&self) -> Option<Vec<Change>> {
        let list: Vec<Change> = self
            .all_changes()
            .into_iter()
            .filter(|c| {
                c.key.starts_with("/attorneys/")
                    && c.key.ends_with("/status")
                    && c.new != json!("removed")
            })
            .collect();
        (!list.is_empty()).then_some(list)
    }

    fn removed_attorney(&self) -> Option<String> {
        removed(&self.before.attorneys, &self.after.attorneys).map(|uid| makeregister_author(&uid))
    }

    fn removed_trust_corporation(&self) -> Option<String> {
        removed(
            &self.before.trust_corporations,
            &self.after.trust_corporations,
        )
        .map(|uid| makeregister_author(&uid))
    }
}

/// The uid whose record became `removed` between `before` and `after`.
fn removed(
    before: &std::collections::BTreeMap<String, crate::data::AttorneyRecord>,
    after: &std::collections::BTreeMap<String, crate::data::AttorneyRecord>,
) -> Option<String> {
    after
        .iter()
        .find(|(uid, r)| {
            r.status == AttorneyStatus::Removed
                && before.get(*uid).map(|b| b.status) != Some(AttorneyStatus::Removed)
        })
        .map(|(uid, _)| uid.clone())
}

fn change(key: String, old: Value, new: Value) -> Change {
    Change::new(key, old, new)
}

/// `/attorneys/<index>/...` and `/trustCorporations/<index>/...` with the index replaced by that actor's
/// uid in `document`.
fn by_uid(mut c: Change, document: &Value) -> Change {
    for list in ["attorneys", "trustCorporations"] {
        let prefix = format!("/{list}/");
        let Some(rest) = c.key.strip_prefix(&prefix) else {
            continue;
        };
        let (index, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let uid = index
            .parse::<usize>()
            .ok()
            .and_then(|i| document.get(list)?.get(i)?.get("uid")?.as_str());
        if let Some(uid) = uid.filter(|u| !u.is_empty()) {
            c.key = if tail.is_empty() {
                format!("{prefix}{uid}")
            } else {
                format!("{prefix}{uid}/{tail}")
            };
        }
    }
    c
}

fn status_change(ctx: &Context<'_>) -> Option<Change> {
    let from = LpaState::of(&ctx.instance.state)?.store_status();
    let to = LpaState::of(ctx.to)?.store_status();
    (from != to).then(|| Change {
        key: "/status".into(),
        old: json!(from.as_str()),
        new: json!(to.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_names_every_sent_update_type() {
        let names: Vec<&str> = SENT_UPDATE_TYPES.iter().map(|t| t.as_str()).collect();
        assert_eq!(names, crate::catalog::OPG_UPDATE_TYPES);
    }

    #[test]
    fn actors_are_addressed_by_uid() {
        let doc = json!({"attorneys": [{"uid": "a-1"}, {"uid": "a-2"}], "trustCorporations": [{"uid": "t-1"}]});
        let key = |k: &str| by_uid(change(k.into(), Value::Null, Value::Null), &doc).key;
        assert_eq!(key("/attorneys/1/signedAt"), "/attorneys/a-2/signedAt");
        assert_eq!(
            key("/trustCorporations/0/mobile"),
            "/trustCorporations/t-1/mobile"
        );
        assert_eq!(key("/attorneys/5/signedAt"), "/attorneys/5/signedAt");
        assert_eq!(key("/donor/firstNames"), "/donor/firstNames");
    }
}
