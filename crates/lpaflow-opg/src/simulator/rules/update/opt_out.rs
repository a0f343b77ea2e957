//! The opt-outs, which carry no changes:
//! - `ATTORNEY_OPT_OUT` (`lambda/update/attorney_opt_out.go`) and `TRUST_CORPORATION_OPT_OUT`
//!   (`trust_corporation_opt_out.go`): the actor is the JWT subject's uid (`urn:...:users:<uuid>`); it is
//!   removed unless it signed.
//! - `CERTIFICATE_PROVIDER_OPT_OUT` (`certificate_provider_opt_out.go`): the LPA cannot be registered
//!   unless the certificate provider already provided the certificate.

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{AttorneyStatus, FieldError, Lpa, LpaStatus, author_details, go_time};

use super::{Applyable, Parsed, expect_no_changes};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::validate::uuid;
use crate::simulator::rules::{Refusal, refuse};

struct AttorneyOptOut {
    attorney_uid: String,
}

impl Applyable for AttorneyOptOut {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        let Some(attorney) = lpa
            .fields
            .attorneys
            .iter_mut()
            .find(|a| a.uid == self.attorney_uid)
        else {
            return refuse("/type", "attorney not found");
        };
        if go_time::is_set(&attorney.signed_at) {
            return refuse("/type", "attorney cannot opt out after signing");
        }
        attorney.status = AttorneyStatus::Removed;
        Vec::new()
    }
}

struct TrustCorporationOptOut {
    trust_corporation_uid: String,
}

impl Applyable for TrustCorporationOptOut {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        let Some(tc) = lpa
            .fields
            .trust_corporations
            .iter_mut()
            .find(|t| t.uid == self.trust_corporation_uid)
        else {
            return refuse("/type", "trust corporation not found");
        };
        if tc
            .signatories
            .first()
            .is_some_and(|s| s.signed_at.is_some())
        {
            return refuse("/type", "trust corporation cannot opt out after signing");
        }
        tc.status = AttorneyStatus::Removed;
        Vec::new()
    }
}

struct CertificateProviderOptOut;

impl Applyable for CertificateProviderOptOut {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        if go_time::is_set(&lpa.fields.certificate_provider.signed_at) {
            return refuse(
                "/type",
                "certificate provider cannot opt out after providing certificate",
            );
        }
        lpa.status = LpaStatus::CannotRegister;
        Vec::new()
    }
}

/// The actor's uid from the author URN, which must be a UUID (source `/author`).
fn author_uid(author: &str) -> Result<String, Refusal> {
    let uid = author_details(author).uid;
    match uuid(&uid) {
        Some(detail) => Err(Refusal::Invalid(refuse("/author", detail))),
        None => Ok(uid),
    }
}

pub fn parse_attorney(changes: &[SentChange], author: &str) -> Parsed {
    expect_no_changes(changes)?;
    Ok(Box::new(AttorneyOptOut {
        attorney_uid: author_uid(author)?,
    }))
}

pub fn parse_trust_corporation(changes: &[SentChange], author: &str) -> Parsed {
    expect_no_changes(changes)?;
    Ok(Box::new(TrustCorporationOptOut {
        trust_corporation_uid: author_uid(author)?,
    }))
}

pub fn parse_certificate_provider(changes: &[SentChange]) -> Parsed {
    expect_no_changes(changes)?;
    Ok(Box::new(CertificateProviderOptOut))
}

#[cfg(test)]
mod tests {
    //! attorney_opt_out_test.go, trust_corporation_opt_out_test.go, certificate_provider_opt_out_test.go
    use super::super::test_support::*;
    use super::super::validate_update;
    use super::*;
    use lpaflow_lpa::lpa_store::{Attorney, Signatory, TrustCorporation};
    use serde_json::{Value, json};

    const UID: &str = "9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d";

    fn as_actor(kind: &str, author: &str, lpa: &Lpa) -> Result<Lpa, Vec<FieldError>> {
        match validate_update(&update(kind, vec![]), author, lpa) {
            Ok(p) => {
                let mut after = lpa.clone();
                let errors = p.apply(&mut after, now());
                if errors.is_empty() {
                    Ok(after)
                } else {
                    Err(errors)
                }
            }
            Err(Refusal::Invalid(errors)) => Err(errors),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_attorney_opts_out_as_the_token_subject() {
        // TestAttorneyOptOutApply, TestAttorneyOptOutApplyWhenSigned, TestAttorneyOptOutApplyWhenNotFound,
        // TestValidateAttorneyOptOut*
        let mut lpa = Lpa::default();
        lpa.fields.attorneys = vec![
            Attorney {
                uid: "other".into(),
                ..Attorney::default()
            },
            Attorney {
                uid: UID.into(),
                ..Attorney::default()
            },
        ];
        let author = format!("urn:opg:poas:makeregister:users:{UID}");
        let after = as_actor("ATTORNEY_OPT_OUT", &author, &lpa).expect("opts out");
        assert_eq!(after.fields.attorneys[1].status, AttorneyStatus::Removed);
        assert_eq!(after.fields.attorneys[0].status, AttorneyStatus::Unset);
        lpa.fields.attorneys[1].signed_at = Some(t("2024-01-01T00:00:00Z"));
        assert_eq!(
            as_actor("ATTORNEY_OPT_OUT", &author, &lpa),
            Err(vec![e("/type", "attorney cannot opt out after signing")])
        );
        let stranger = "urn:opg:poas:makeregister:users:5b3f6a2e-1c1d-4d0e-9a9b-0c1d2e3f4a5b";
        assert_eq!(
            as_actor("ATTORNEY_OPT_OUT", stranger, &lpa),
            Err(vec![e("/type", "attorney not found")])
        );
        assert_eq!(
            as_actor("ATTORNEY_OPT_OUT", "urn:opg:poas:sirius:users:34", &lpa),
            Err(vec![e("/author", "invalid format")])
        );
        assert_eq!(
            as_actor("ATTORNEY_OPT_OUT", "urn:opg:poas:sirius", &lpa),
            Err(vec![e("/author", "field is required")])
        );
        assert_eq!(
            errors_of(validate_update(
                &update("ATTORNEY_OPT_OUT", vec![ch("/a", Value::Null, json!("x"))]),
                &author,
                &lpa
            )),
            vec![e("/changes", "expected empty")]
        );
    }

    #[test]
    fn a_trust_corporation_opts_out_as_the_token_subject() {
        // trust_corporation_opt_out_test.go
        let mut lpa = Lpa::default();
        lpa.fields.trust_corporations = vec![TrustCorporation {
            uid: UID.into(),
            ..TrustCorporation::default()
        }];
        let author = format!("urn:opg:poas:makeregister:users:{UID}");
        let after = as_actor("TRUST_CORPORATION_OPT_OUT", &author, &lpa).expect("opts out");
        assert_eq!(
            after.fields.trust_corporations[0].status,
            AttorneyStatus::Removed
        );
        lpa.fields.trust_corporations[0].signatories = vec![Signatory {
            signed_at: Some(t("2024-01-01T00:00:00Z")),
            ..Signatory::default()
        }];
        assert_eq!(
            as_actor("TRUST_CORPORATION_OPT_OUT", &author, &lpa),
            Err(vec![e(
                "/type",
                "trust corporation cannot opt out after signing"
            )])
        );
        lpa.fields.trust_corporations.clear();
        assert_eq!(
            as_actor("TRUST_CORPORATION_OPT_OUT", &author, &lpa),
            Err(vec![e("/type", "trust corporation not found")])
        );
    }

    #[test]
    fn a_certificate_provider_opts_out_before_the_certificate() {
        // certificate_provider_opt_out_test.go
        let after =
            as_actor("CERTIFICATE_PROVIDER_OPT_OUT", AUTHOR, &Lpa::default()).expect("opts out");
        assert_eq!(after.status, LpaStatus::CannotRegister);
        let mut signed = Lpa::default();
        signed.fields.certificate_provider.signed_at = Some(t("2024-01-01T00:00:00Z"));
        assert_eq!(
            as_actor("CERTIFICATE_PROVIDER_OPT_OUT", AUTHOR, &signed),
            Err(vec![e(
                "/type",
                "certificate provider cannot opt out after providing certificate"
            )])
        );
        assert_eq!(
            errors_of(parse(
                "CERTIFICATE_PROVIDER_OPT_OUT",
                vec![ch("/a", Value::Null, json!(1))],
                &signed
            )),
            vec![e("/changes", "expected empty")]
        );
    }
}
