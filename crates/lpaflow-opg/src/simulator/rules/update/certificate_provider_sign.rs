//! `CERTIFICATE_PROVIDER_SIGN` (`lambda/update/certificate_provider_sign.go`): `signedAt` required; an
//! address (if any change touches it: `line1`, `town` and a valid `country` required), language, email and
//! channel optional; every value starts from the stored certificate provider. No second signature.

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{Address, Channel, FieldError, Lang, Lpa, go_time};

use super::{Applyable, Parsed, parsed, pointer_to, value_of};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::parse::{Opts, Parser};
use crate::simulator::rules::refuse;
use crate::simulator::rules::validate::{
    GoTime, country, not_empty_text, not_empty_time, valid_pointer,
};

struct CertificateProviderSign {
    address: Address,
    signed_at: GoTime,
    contact_language_preference: Lang,
    email: String,
    channel: Channel,
}

impl Applyable for CertificateProviderSign {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        let cp = &mut lpa.fields.certificate_provider;
        if go_time::is_set(&cp.signed_at) {
            return refuse("/type", "certificate provider cannot sign again");
        }
        cp.address = self.address.clone();
        cp.signed_at = pointer_to(self.signed_at);
        cp.contact_language_preference = self.contact_language_preference.clone();
        cp.email.clone_from(&self.email);
        cp.channel = self.channel.clone();
        Vec::new()
    }
}

pub fn parse(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    let cp = &lpa.fields.certificate_provider;
    let mut data = CertificateProviderSign {
        address: cp.address.clone(),
        signed_at: value_of(&cp.signed_at),
        contact_language_preference: cp.contact_language_preference.clone(),
        email: cp.email.clone(),
        channel: cp.channel.clone(),
    };
    let address = &mut data.address;
    let errors = Parser::new(changes)
        .prefix("/certificateProvider/address", true, |p| {
            p.field("/line1", &mut address.line1, Opts::required())
                .field("/line2", &mut address.line2, Opts::optional())
                .field("/line3", &mut address.line3, Opts::optional())
                .field("/town", &mut address.town, Opts::required())
                .field("/postcode", &mut address.postcode, Opts::optional())
                .field(
                    "/country",
                    &mut address.country,
                    Opts::required().validate(country),
                )
                .consumed();
        })
        .field(
            "/certificateProvider/signedAt",
            &mut data.signed_at,
            Opts::required().validate(not_empty_time),
        )
        .field(
            "/certificateProvider/contactLanguagePreference",
            &mut data.contact_language_preference,
            Opts::optional().validate(valid_pointer),
        )
        .field(
            "/certificateProvider/email",
            &mut data.email,
            Opts::optional().validate(not_empty_text),
        )
        .field(
            "/certificateProvider/channel",
            &mut data.channel,
            Opts::optional().validate(valid_pointer),
        )
        .consumed()
        .finish();
    parsed(data, errors)
}

#[cfg(test)]
mod tests {
    //! lambda/update/certificate_provider_sign_test.go
    use super::super::test_support::*;
    use lpaflow_lpa::lpa_store::{Address, CertificateProvider, Channel, Lang, Lpa};
    use serde_json::{Value, json};

    fn with_cp(cp: CertificateProvider) -> Lpa {
        let mut lpa = Lpa::default();
        lpa.fields.certificate_provider = cp;
        lpa
    }

    fn basics() -> Vec<crate::simulator::requests::SentChange> {
        vec![
            ch(
                "/certificateProvider/address/line1",
                Value::Null,
                json!("123 Main St"),
            ),
            ch(
                "/certificateProvider/address/town",
                Value::Null,
                json!("Homeland"),
            ),
            ch(
                "/certificateProvider/address/country",
                Value::Null,
                json!("GB"),
            ),
            ch(
                "/certificateProvider/signedAt",
                Value::Null,
                json!("2024-01-13T22:00:00Z"),
            ),
            ch(
                "/certificateProvider/contactLanguagePreference",
                Value::Null,
                json!("cy"),
            ),
        ]
    }

    #[test]
    fn apply_signs_once() {
        // TestCertificateProviderSignApply, TestCertificateProviderSignApplyWhenAlreadySigned
        let after = run("CERTIFICATE_PROVIDER_SIGN", basics(), &Lpa::default()).expect("signs");
        let cp = &after.fields.certificate_provider;
        assert_eq!(cp.address.line1, "123 Main St");
        assert_eq!(cp.signed_at, Some(t("2024-01-13T22:00:00Z")));
        assert_eq!(cp.contact_language_preference, Lang::Cy);
        let signed = with_cp(CertificateProvider {
            signed_at: Some(t("2024-01-01T00:00:00Z")),
            ..CertificateProvider::default()
        });
        let again = run(
            "CERTIFICATE_PROVIDER_SIGN",
            vec![ch(
                "/certificateProvider/signedAt",
                json!("2024-01-01T00:00:00Z"),
                json!("2024-01-13T22:00:00Z"),
            )],
            &signed,
        );
        assert_eq!(
            again,
            Err(vec![e("/type", "certificate provider cannot sign again")])
        );
    }

    #[test]
    fn validate() {
        // TestValidateUpdateCertificateProviderSign
        let mut all = basics();
        all.push(ch(
            "/certificateProvider/email",
            Value::Null,
            json!("b@example.com"),
        ));
        all.push(ch(
            "/certificateProvider/channel",
            Value::Null,
            json!("online"),
        ));
        assert_eq!(
            errors_of(parse("CERTIFICATE_PROVIDER_SIGN", all, &Lpa::default())),
            vec![]
        );
        // valid - with previous values
        let previous = with_cp(CertificateProvider {
            address: Address {
                line1: "Line 1".into(),
                line2: "Line 2".into(),
                line3: "Line 3".into(),
                town: "Town".into(),
                postcode: "ABC 123".into(),
                country: "GB".into(),
            },
            signed_at: Some(t("2024-01-01T00:00:00Z")),
            contact_language_preference: Lang::En,
            email: "a@example.com".into(),
            channel: Channel::Online,
            ..CertificateProvider::default()
        });
        let changes = vec![
            ch(
                "/certificateProvider/address/line1",
                json!("Line 1"),
                json!("New Line 1"),
            ),
            ch(
                "/certificateProvider/address/line2",
                json!("Line 2"),
                json!("New Line 2"),
            ),
            ch(
                "/certificateProvider/address/line3",
                json!("Line 3"),
                json!("New Line 3"),
            ),
            ch(
                "/certificateProvider/address/town",
                json!("Town"),
                json!("New Town"),
            ),
            ch(
                "/certificateProvider/address/country",
                json!("GB"),
                json!("FR"),
            ),
            ch(
                "/certificateProvider/signedAt",
                json!("2024-01-01T00:00:00Z"),
                json!("2024-01-13T22:00:00Z"),
            ),
            ch(
                "/certificateProvider/contactLanguagePreference",
                json!("en"),
                json!("cy"),
            ),
            ch(
                "/certificateProvider/email",
                json!("a@example.com"),
                json!("b@example.com"),
            ),
            ch(
                "/certificateProvider/channel",
                json!("online"),
                json!("paper"),
            ),
        ];
        assert_eq!(
            errors_of(parse("CERTIFICATE_PROVIDER_SIGN", changes, &previous)),
            vec![]
        );
        // missing all
        assert_eq!(
            errors_of(parse("CERTIFICATE_PROVIDER_SIGN", vec![], &Lpa::default())),
            vec![e("/changes", "missing /certificateProvider/signedAt")]
        );
        // bad address: errors in the order the fields are asked for
        let changes = vec![
            ch("/certificateProvider/address/line3", Value::Null, json!(1)),
            ch(
                "/certificateProvider/address/country",
                Value::Null,
                json!("x"),
            ),
        ];
        assert_eq!(
            errors_of(parse("CERTIFICATE_PROVIDER_SIGN", changes, &Lpa::default())),
            vec![
                e("/changes", "missing /certificateProvider/address/line1"),
                e("/changes/0/new", "unexpected type"),
                e("/changes", "missing /certificateProvider/address/town"),
                e("/changes/1/new", "must be a valid ISO-3166-1 country code"),
                e("/changes", "missing /certificateProvider/signedAt"),
            ]
        );
        // extra fields
        let mut extra = basics();
        extra.insert(2, ch("/donor/firstNames", Value::Null, json!("John")));
        assert_eq!(
            errors_of(parse("CERTIFICATE_PROVIDER_SIGN", extra, &Lpa::default())),
            vec![e("/changes/2", "unexpected change provided")]
        );
        // invalid contact language
        let mut bad = basics();
        bad[4] = ch(
            "/certificateProvider/contactLanguagePreference",
            Value::Null,
            json!("xy"),
        );
        assert_eq!(
            errors_of(parse("CERTIFICATE_PROVIDER_SIGN", bad, &Lpa::default())),
            vec![e("/changes/4/new", "invalid value")]
        );
    }

    #[test]
    fn a_null_new_keeps_the_stored_value() {
        // docs/certificate-provider-sign.json sends country null over "GB": the stored country stays.
        let stored = with_cp(CertificateProvider {
            address: Address {
                line1: "122111 Zonnington Way".into(),
                town: "Mahhhhhhhhhh".into(),
                country: "GB".into(),
                ..Address::default()
            },
            ..CertificateProvider::default()
        });
        let changes = vec![
            ch(
                "/certificateProvider/address/line1",
                json!("122111 Zonnington Way"),
                json!("98 CVVVV"),
            ),
            ch(
                "/certificateProvider/address/town",
                json!("Mahhhhhhhhhh"),
                json!("Murkkkk Town"),
            ),
            ch(
                "/certificateProvider/address/country",
                json!("GB"),
                Value::Null,
            ),
            ch(
                "/certificateProvider/signedAt",
                Value::Null,
                json!("2024-01-13T22:00:00Z"),
            ),
        ];
        let after = run("CERTIFICATE_PROVIDER_SIGN", changes, &stored).expect("signs");
        assert_eq!(after.fields.certificate_provider.address.country, "GB");
    }
}
