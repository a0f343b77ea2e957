//! `DONOR_CONFIRM_IDENTITY` and `CERTIFICATE_PROVIDER_CONFIRM_IDENTITY`
//! (`lambda/update/confirm_identity.go`): `<actor>/identityCheck/type` (valid) and `/checkedAt` (not empty),
//! both required, starting from the stored identity check (so a second confirmation must give the first
//! one's values as `old`). The check replaces the actor's.

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{FieldError, IdentityCheck, Lpa};

use super::{Applyable, Parsed, parsed};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::parse::{Opts, Parser};
use crate::simulator::rules::validate::{not_empty_time, valid_pointer};

#[derive(Clone, Copy)]
enum Actor {
    Donor,
    CertificateProvider,
}

struct IdCheckComplete {
    actor: Actor,
    identity_check: IdentityCheck,
}

impl Applyable for IdCheckComplete {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        let check = Some(self.identity_check.clone());
        match self.actor {
            Actor::Donor => lpa.fields.donor.identity_check = check,
            Actor::CertificateProvider => lpa.fields.certificate_provider.identity_check = check,
        }
        Vec::new()
    }
}

fn parse_for(
    prefix: &str,
    actor: Actor,
    stored: Option<&IdentityCheck>,
    changes: &[SentChange],
) -> Parsed {
    let mut check = stored.cloned().unwrap_or_default();
    let errors = Parser::new(changes)
        .prefix(prefix, false, |p| {
            p.field(
                "/type",
                &mut check.kind,
                Opts::required().validate(valid_pointer),
            )
            .field(
                "/checkedAt",
                &mut check.checked_at,
                Opts::required().validate(not_empty_time),
            )
            .consumed();
        })
        .consumed()
        .finish();
    parsed(
        IdCheckComplete {
            actor,
            identity_check: check,
        },
        errors,
    )
}

pub fn parse_donor(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    parse_for(
        "/donor/identityCheck",
        Actor::Donor,
        lpa.fields.donor.identity_check.as_ref(),
        changes,
    )
}

pub fn parse_certificate_provider(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    parse_for(
        "/certificateProvider/identityCheck",
        Actor::CertificateProvider,
        lpa.fields.certificate_provider.identity_check.as_ref(),
        changes,
    )
}

#[cfg(test)]
mod tests {
    //! lambda/update/confirm_identity_test.go
    use super::super::test_support::*;
    use lpaflow_lpa::lpa_store::{IdentityCheck, IdentityCheckType, Lpa};
    use serde_json::{Value, json};

    #[test]
    fn identity_checks_are_recorded() {
        // TestIdCheckCompleteApply*, TestValidateUpdateDonorConfirmIdentity
        for (kind, actor) in [
            ("DONOR_CONFIRM_IDENTITY", "donor"),
            (
                "CERTIFICATE_PROVIDER_CONFIRM_IDENTITY",
                "certificateProvider",
            ),
        ] {
            let k = |f: &str| format!("/{actor}/identityCheck/{f}");
            let changes = vec![
                ch(&k("checkedAt"), Value::Null, json!("2024-01-13T22:00:00Z")),
                ch(&k("type"), Value::Null, json!("one-login")),
            ];
            let after = run(kind, changes, &Lpa::default()).expect("confirmed");
            let check = if actor == "donor" {
                after.fields.donor.identity_check
            } else {
                after.fields.certificate_provider.identity_check
            };
            assert_eq!(
                check,
                Some(IdentityCheck {
                    checked_at: Some(t("2024-01-13T22:00:00Z")),
                    kind: IdentityCheckType::OneLogin
                })
            );
            // missing all / invalid type / missing checkedAt
            assert_eq!(
                errors_of(parse(kind, vec![], &Lpa::default())),
                vec![e(
                    "/changes",
                    &format!("missing /{actor}/identityCheck/...")
                )]
            );
            let changes = vec![ch(&k("type"), Value::Null, json!("not-a-type"))];
            assert_eq!(
                errors_of(parse(kind, changes, &Lpa::default())),
                vec![
                    e("/changes/0/new", "invalid value"),
                    e(
                        "/changes",
                        &format!("missing /{actor}/identityCheck/checkedAt")
                    )
                ]
            );
            let changes = vec![
                ch(&k("type"), Value::Null, json!("opg-paper-id")),
                ch(&k("checkedAt"), Value::Null, json!("2024-01-13T22:00:00Z")),
                ch(&k("other"), Value::Null, json!("x")),
            ];
            assert_eq!(
                errors_of(parse(kind, changes, &Lpa::default())),
                vec![e("/changes/2", "unexpected change provided")]
            );
        }
    }

    #[test]
    fn bad_fields_fail() {
        // TestConfirmIdentityDonorBadFieldsFails
        let changes = vec![
            ch("/irrelevant", Value::Null, json!("2024-01-13T22:00:00Z")),
            ch(
                "/donor/identityCheck/irrelevant",
                Value::Null,
                json!("2024-01-13T22:00:00Z"),
            ),
            ch(
                "/donor/identityCheck/type",
                Value::Null,
                json!("rinky-dink-login-system"),
            ),
        ];
        assert_eq!(
            errors_of(parse("DONOR_CONFIRM_IDENTITY", changes, &Lpa::default())),
            vec![
                e("/changes/2/new", "invalid value"),
                e("/changes", "missing /donor/identityCheck/checkedAt"),
                e("/changes/1", "unexpected change provided"),
                e("/changes/0", "unexpected change provided"),
            ]
        );
    }

    #[test]
    fn a_second_check_starts_from_the_first() {
        // TestConfirmIdentityDonorMismatchWithExistingLpaFails
        let mut lpa = Lpa::default();
        lpa.fields.donor.identity_check = Some(IdentityCheck {
            checked_at: Some(t("2024-01-01T00:00:00Z")),
            kind: IdentityCheckType::OneLogin,
        });
        let changes = vec![
            ch(
                "/donor/identityCheck/checkedAt",
                Value::Null,
                json!("2024-01-13T22:00:00Z"),
            ),
            ch(
                "/donor/identityCheck/type",
                json!("one-login"),
                json!("opg-paper-id"),
            ),
        ];
        assert_eq!(
            errors_of(parse("DONOR_CONFIRM_IDENTITY", changes, &lpa)),
            vec![e("/changes/0/old", "does not match existing value")]
        );
    }
}
