//! Updates (`POST /lpas/{uid}/updates`, `internal/shared/update.go`) and the change log that records them
//! (`GET /lpas/{uid}/updates`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One change: the value at `key` goes from `old` to `new`. Keys address actors by index or by uid
/// (`/attorneys/0/signedAt`, `/attorneys/<uuid>/signedAt`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// A JSON pointer into the LPA.
    pub key: String,
    /// What the store holds now (`null`, `""` and absent are the same for text).
    #[serde(default)]
    pub old: Value,
    /// What it will hold.
    #[serde(default)]
    pub new: Value,
}

impl Change {
    /// A change of `key` from `old` to `new`.
    pub fn new(key: impl Into<String>, old: impl Into<Value>, new: impl Into<Value>) -> Self {
        Self {
            key: key.into(),
            old: old.into(),
            new: new.into(),
        }
    }
}

/// Every update type the store handles (`lambda/update/validate.go`). `POST_REGISTRATION_CORRECTION` is
/// handled although the published OpenAPI enum lacks it; `PERFECT` is handled as `STATUTORY_WAITING_PERIOD`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::EnumIter,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum UpdateType {
    /// An attorney signs: keys under one `/attorneys/{index or uid}/`.
    AttorneySign,
    /// The certificate provider opts out: no changes; status `cannot-register`.
    CertificateProviderOptOut,
    /// The certificate provider signs: keys under `/certificateProvider/`.
    CertificateProviderSign,
    /// Alias of `STATUTORY_WAITING_PERIOD`.
    Perfect,
    /// No changes; status `statutory-waiting-period` once everyone signed.
    StatutoryWaitingPeriod,
    /// No changes; status `registered` from the waiting period.
    Register,
    /// `/status` to `cannot-register`, `cancelled`, `do-not-register` or `expired`.
    OpgStatusChange,
    /// A trust corporation signs: keys under one `/trustCorporations/{index or uid}/`.
    TrustCorporationSign,
    /// `/donor/identityCheck/{type,checkedAt}`.
    DonorConfirmIdentity,
    /// `/certificateProvider/identityCheck/{type,checkedAt}`.
    CertificateProviderConfirmIdentity,
    /// No changes; status `withdrawn`.
    DonorWithdrawLpa,
    /// No changes; the attorney is the token's subject; status `removed`.
    AttorneyOptOut,
    /// No changes; the trust corporation is the token's subject; status `removed`.
    TrustCorporationOptOut,
    /// Corrections before registration.
    Correction,
    /// `/attorneys/{key}/status` for any number of attorneys.
    ChangeAttorneys,
    /// `/attorneys/{key}/cannotMakeJointDecisions`.
    AttorneyDecisions,
    /// `/restrictionsAndConditions`.
    SeverRestrictionsAndConditions,
    /// `/certificateProvider/email` of a paper certificate provider.
    PaperCertificateProviderAccessOnline,
    /// `/attorneys/{key}/email` of a paper attorney.
    PaperAttorneyAccessOnline,
    /// Corrections after registration.
    PostRegistrationCorrection,
}

impl UpdateType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The body of `POST /lpas/{uid}/updates`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Update {
    /// The update type.
    #[serde(rename = "type")]
    pub kind: UpdateType,
    /// The changes (always written, `[]` when none).
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// One entry of `GET /lpas/{uid}/updates` (newest first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeLogEntry {
    /// A UUID.
    #[serde(default)]
    pub id: String,
    /// The LPA.
    #[serde(default)]
    pub uid: String,
    /// When, RFC 3339 to the second.
    #[serde(default)]
    pub applied: String,
    /// The token's subject (a URN).
    #[serde(default)]
    pub author: String,
    /// The update type (any text: the store may have types lpaflow does not know).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The changes as sent.
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// The parts of an author URN the store reads (`URN.Details`): `urn:opg:poas:<service>:users:<uid>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorDetails {
    /// The actor's uid (an attorney's or trust corporation's UUID for an opt-out).
    pub uid: String,
    /// The service (`makeregister`, `sirius`, `use`).
    pub service: String,
}

/// Reads an author URN as the store does: six `:`-separated parts with the fourth and sixth non-empty;
/// anything else has no details.
pub fn author_details(urn: &str) -> AuthorDetails {
    let parts: Vec<&str> = urn.split(':').collect();
    if parts.len() != 6 || parts[3].is_empty() || parts[5].is_empty() {
        return AuthorDetails::default();
    }
    AuthorDetails {
        uid: parts[5].to_owned(),
        service: parts[3].to_owned(),
    }
}

/// The author URN of an actor of the "make and register" service, as the store expects for opt-outs.
pub fn makeregister_author(actor_uid: &str) -> String {
    format!("urn:opg:poas:makeregister:users:{actor_uid}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn update_types_round_trip_through_their_wire_names() {
        for t in UpdateType::iter() {
            let json = serde_json::to_value(t).expect("json");
            assert_eq!(json, Value::from(t.as_str()));
            assert_eq!(t.as_str().parse::<UpdateType>().ok(), Some(t));
        }
        assert_eq!(UpdateType::iter().count(), 20);
        assert_eq!(
            UpdateType::PostRegistrationCorrection.as_str(),
            "POST_REGISTRATION_CORRECTION"
        );
    }

    #[test]
    fn author_details_need_six_parts() {
        let d =
            author_details("urn:opg:poas:makeregister:users:9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d");
        assert_eq!(d.uid, "9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d");
        assert_eq!(d.service, "makeregister");
        assert_eq!(
            author_details("urn:opg:poas:sirius:users"),
            AuthorDetails::default()
        );
        assert_eq!(author_details("urn:opg:poas::users:1").uid, "");
    }
}
