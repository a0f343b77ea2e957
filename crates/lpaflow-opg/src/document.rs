//! The wire types of the OPG API (`docs/opg-api.md`): updates and their changes, the update types with what
//! the LPA Store knows about each (target status, whether it takes changes, whether it is a signature), LPA
//! statuses, the problem body and the change log. Shared by client, comparison and simulator so the three
//! cannot drift apart.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use strum::{EnumIter, EnumString, IntoStaticStr};

/// One change of an update: the value at JSON pointer `key` goes from `old` to `new` (absent equals `null`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub key: String,
    #[serde(default)]
    pub old: Value,
    #[serde(default)]
    pub new: Value,
}

/// The body of `POST /lpas/{uid}/updates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    #[serde(rename = "type")]
    pub kind: UpdateType,
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// The update types lpaflow sends. `DONOR_SIGN` and `FEE_DECISION` are lpaflow's own extensions.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    EnumIter,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum UpdateType {
    DonorSign,
    CertificateProviderSign,
    AttorneySign,
    TrustCorporationSign,
    DonorConfirmIdentity,
    CertificateProviderConfirmIdentity,
    CertificateProviderOptOut,
    AttorneyOptOut,
    DonorWithdrawLpa,
    StatutoryWaitingPeriod,
    Register,
    OpgStatusChange,
    ChangeAttorneys,
    SeverRestrictionsAndConditions,
    Correction,
    FeeDecision,
}

impl UpdateType {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The status an update without changes moves the LPA to; how the client tells it took effect.
    pub fn target_status(self) -> Option<LpaStatus> {
        match self {
            Self::CertificateProviderOptOut => Some(LpaStatus::CannotRegister),
            Self::DonorWithdrawLpa => Some(LpaStatus::Withdrawn),
            Self::StatutoryWaitingPeriod => Some(LpaStatus::StatutoryWaitingPeriod),
            Self::Register => Some(LpaStatus::Registered),
            Self::DonorSign
            | Self::CertificateProviderSign
            | Self::AttorneySign
            | Self::TrustCorporationSign
            | Self::DonorConfirmIdentity
            | Self::CertificateProviderConfirmIdentity
            | Self::AttorneyOptOut
            | Self::OpgStatusChange
            | Self::ChangeAttorneys
            | Self::SeverRestrictionsAndConditions
            | Self::Correction
            | Self::FeeDecision => None,
        }
    }

    /// Whether the update carries changes (every type but the four status-only ones).
    pub fn takes_changes(self) -> bool {
        self.target_status().is_none()
    }

    /// Signatures may be given once only ("cannot sign again").
    pub fn is_signature(self) -> bool {
        matches!(
            self,
            Self::DonorSign
                | Self::CertificateProviderSign
                | Self::AttorneySign
                | Self::TrustCorporationSign
        )
    }
}

/// LPA statuses as the LPA Store spells them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    EnumIter,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum LpaStatus {
    InProgress,
    StatutoryWaitingPeriod,
    Registered,
    CannotRegister,
    Withdrawn,
    Cancelled,
    DoNotRegister,
    Expired,
}

impl LpaStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The status of a stored LPA document, if it has a known one.
    pub fn of(doc: &Value) -> Option<Self> {
        doc.get("status")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
    }
}

/// One problem in an error body: `source` is a JSON pointer into the request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub source: String,
    pub detail: String,
}

impl FieldError {
    pub fn new(source: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            detail: detail.into(),
        }
    }
}

/// The LPA Store's error body `{code, detail, errors}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub code: String,
    pub detail: String,
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

/// One entry of `GET /lpas/{uid}/updates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeLogEntry {
    pub id: String,
    pub uid: String,
    pub applied: String,
    pub author: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub changes: Vec<Change>,
}

/// Whether `uid` has the shape `M-XXXX-XXXX-XXXX` (upper-case letters and digits). Deliberately wider than the
/// LPA Store's alphabet (`346789QWERTYUPADFGHJKLXCVBNM`) so the benchmark's `M-0000-0000-0042` ids pass; it
/// still keeps anything that is not a plain path segment out of URLs and the database.
pub fn is_valid_uid(uid: &str) -> bool {
    let bytes = uid.as_bytes();
    bytes.len() == 16
        && bytes.starts_with(b"M-")
        && bytes[2..].iter().enumerate().all(|(i, b)| {
            if i % 5 == 4 {
                *b == b'-'
            } else {
                b.is_ascii_uppercase() || b.is_ascii_digit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_shape() {
        assert!(is_valid_uid("M-7QQX-4DFG-9HJK"));
        assert!(is_valid_uid("M-0000-0001-2345"));
        for bad in [
            "M-0000-0001-234",
            "X-0000-0001-2345",
            "M-0000/0001-2345",
            "m-0000-0001-2345",
            "",
        ] {
            assert!(!is_valid_uid(bad), "{bad}");
        }
    }

    #[test]
    fn update_types_round_trip_through_their_wire_names() {
        use strum::IntoEnumIterator;
        for t in UpdateType::iter() {
            let json = serde_json::to_value(t).expect("serialize");
            assert_eq!(json, Value::String(t.as_str().to_owned()));
            assert_eq!(t.as_str().parse::<UpdateType>().expect("parse"), t);
        }
        assert_eq!(UpdateType::DonorWithdrawLpa.as_str(), "DONOR_WITHDRAW_LPA");
        assert_eq!(
            LpaStatus::StatutoryWaitingPeriod.as_str(),
            "statutory-waiting-period"
        );
    }
}
