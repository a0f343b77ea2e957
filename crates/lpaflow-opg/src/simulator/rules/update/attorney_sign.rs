//! `ATTORNEY_SIGN` (`lambda/update/attorney_sign.go`): one attorney, by index or uid, signs. `signedAt` is
//! required; `mobile`, `contactLanguagePreference`, `channel` and `email` are optional; every value starts
//! from the attorney's stored one. An attorney who signed cannot sign again.

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{Channel, FieldError, Lang, Lpa, go_time};

use super::{Applyable, Parsed, attorney_index, parsed, pointer_to, slice_index, value_of};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::parse::{Opts, Parser};
use crate::simulator::rules::validate::{GoTime, not_empty_time, valid_pointer};
use crate::simulator::rules::{GoPanic, refuse};

#[derive(Default)]
struct AttorneySign {
    index: Option<usize>,
    mobile: String,
    signed_at: GoTime,
    contact_language_preference: Lang,
    channel: Channel,
    email: String,
}

impl Applyable for AttorneySign {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        let Some(attorney) = self.index.and_then(|i| lpa.fields.attorneys.get_mut(i)) else {
            return Vec::new();
        };
        if go_time::is_set(&attorney.signed_at) {
            return refuse("/type", "attorney cannot sign again");
        }
        attorney.mobile.clone_from(&self.mobile);
        attorney.signed_at = pointer_to(self.signed_at);
        attorney.contact_language_preference = self.contact_language_preference.clone();
        attorney.channel = self.channel.clone();
        attorney.email.clone_from(&self.email);
        Vec::new()
    }
}

pub fn parse(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    let mut data = AttorneySign::default();
    let mut chosen: Option<i64> = None;
    let errors = Parser::new(changes)
        .prefix("/attorneys", false, |p| {
            p.each_key(|key, p| {
                let found = attorney_index(lpa, key);
                let Some(i) = found.filter(|i| chosen.is_none_or(|c| c == *i)) else {
                    p.out_of_range();
                    return;
                };
                chosen = Some(i);
                let attorney = match slice_index(i).map(|i| (i, lpa.fields.attorneys.get(i))) {
                    Ok((i, Some(a))) => {
                        data.index = Some(i);
                        a
                    }
                    _ => return p.panic(GoPanic("index out of range")),
                };
                attorney.mobile.clone_into(&mut data.mobile);
                data.contact_language_preference = attorney.contact_language_preference.clone();
                data.channel = attorney.channel.clone();
                attorney.email.clone_into(&mut data.email);
                data.signed_at = value_of(&attorney.signed_at);
                p.field("/mobile", &mut data.mobile, Opts::optional())
                    .field(
                        "/signedAt",
                        &mut data.signed_at,
                        Opts::required().validate(not_empty_time),
                    )
                    .field(
                        "/contactLanguagePreference",
                        &mut data.contact_language_preference,
                        Opts::optional().validate(valid_pointer),
                    )
                    .field(
                        "/channel",
                        &mut data.channel,
                        Opts::optional().validate(valid_pointer),
                    )
                    .field("/email", &mut data.email, Opts::optional())
                    .consumed();
            })
            .consumed();
        })
        .consumed()
        .finish();
    parsed(data, errors)
}

#[cfg(test)]
mod tests {
    //! lambda/update/attorney_sign_test.go
    use super::super::test_support::*;
    use lpaflow_lpa::lpa_store::{Attorney, Channel, Lang, Lpa};
    use serde_json::{Value, json};

    const UID: &str = "9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d";

    fn lpa(attorneys: Vec<Attorney>) -> Lpa {
        let mut lpa = Lpa::default();
        lpa.fields.attorneys = attorneys;
        lpa
    }

    fn signed_paper(uid: &str) -> Attorney {
        Attorney {
            uid: uid.to_owned(),
            channel: Channel::Paper,
            email: "a@example.com".into(),
            mobile: "06666".into(),
            signed_at: Some(t("2024-01-01T00:00:00Z")),
            ..Attorney::default()
        }
    }

    #[test]
    fn apply_signs_and_refuses_a_second_signature() {
        // TestAttorneySignApply, TestAttorneySignApplyWhenAlreadySigned
        let before = lpa(vec![Attorney::default(), Attorney::default()]);
        let changes = vec![
            ch("/attorneys/1/mobile", Value::Null, json!("0777")),
            ch(
                "/attorneys/1/signedAt",
                Value::Null,
                json!("2024-01-13T22:00:00Z"),
            ),
            ch(
                "/attorneys/1/contactLanguagePreference",
                Value::Null,
                json!("cy"),
            ),
            ch("/attorneys/1/channel", Value::Null, json!("online")),
        ];
        let after = run("ATTORNEY_SIGN", changes, &before).expect("signs");
        let a = &after.fields.attorneys[1];
        assert_eq!(a.mobile, "0777");
        assert_eq!(a.signed_at, Some(t("2024-01-13T22:00:00Z")));
        assert_eq!(a.contact_language_preference, Lang::Cy);
        assert_eq!(a.channel, Channel::Online);
        let again = run(
            "ATTORNEY_SIGN",
            vec![ch(
                "/attorneys/0/signedAt",
                json!("2024-01-01T00:00:00Z"),
                json!("2024-01-13T22:00:00Z"),
            )],
            &lpa(vec![signed_paper("")]),
        );
        assert_eq!(again, Err(vec![e("/type", "attorney cannot sign again")]));
    }

    #[test]
    fn validate_by_index_and_by_uid() {
        // TestValidateUpdateAttorneySign, TestValidateUpdateAttorneySignActorUID
        for key in ["0", UID] {
            let k = |f: &str| format!("/attorneys/{key}/{f}");
            let fresh = lpa(vec![Attorney {
                uid: UID.into(),
                ..Attorney::default()
            }]);
            // valid - no previous values
            let ok = parse(
                "ATTORNEY_SIGN",
                vec![ch(
                    &k("signedAt"),
                    Value::Null,
                    json!("2024-01-13T22:00:00Z"),
                )],
                &fresh,
            );
            assert_eq!(errors_of(ok), vec![]);
            // valid - with previous values
            let changes = vec![
                ch(&k("mobile"), json!("06666"), json!("07777")),
                ch(
                    &k("signedAt"),
                    json!("2024-01-01T00:00:00Z"),
                    json!("2024-01-13T22:00:00Z"),
                ),
                ch(&k("contactLanguagePreference"), Value::Null, json!("cy")),
                ch(&k("channel"), json!("paper"), json!("online")),
                ch(&k("email"), json!("a@example.com"), json!("b@example.com")),
            ];
            assert_eq!(
                errors_of(parse(
                    "ATTORNEY_SIGN",
                    changes,
                    &lpa(vec![signed_paper(UID)])
                )),
                vec![]
            );
            // extra fields
            let changes = vec![
                ch(&k("mobile"), Value::Null, json!("0777")),
                ch(&k("signedAt"), Value::Null, json!("2024-01-13T22:00:00Z")),
                ch(&k("contactLanguagePreference"), Value::Null, json!("cy")),
                ch("/donor/firstNames", Value::Null, json!("John")),
                ch(&k("firstNames"), Value::Null, json!("John")),
                ch(&k("email"), Value::Null, json!("a@example.com")),
                ch(&k("channel"), Value::Null, json!("paper")),
            ];
            assert_eq!(
                errors_of(parse("ATTORNEY_SIGN", changes, &fresh)),
                vec![
                    e("/changes/4", "unexpected change provided"),
                    e("/changes/3", "unexpected change provided")
                ]
            );
            // invalid contact language and channel
            let changes = vec![
                ch(&k("mobile"), Value::Null, json!("07777")),
                ch(&k("signedAt"), Value::Null, json!("2024-01-13T22:00:00Z")),
                ch(&k("contactLanguagePreference"), Value::Null, json!("xy")),
                ch(&k("channel"), Value::Null, json!("digital")),
                ch(&k("email"), Value::Null, json!("b@example.com")),
            ];
            assert_eq!(
                errors_of(parse("ATTORNEY_SIGN", changes, &fresh)),
                vec![
                    e("/changes/2/new", "invalid value"),
                    e("/changes/3/new", "invalid value")
                ]
            );
        }
        // missing all
        assert_eq!(
            errors_of(parse("ATTORNEY_SIGN", vec![], &Lpa::default())),
            vec![e("/changes", "missing /attorneys/...")]
        );
    }

    #[test]
    fn one_attorney_per_update() {
        // "multiple attorneys - multiple attorney changes"
        let two = lpa(vec![Attorney::default(), Attorney::default()]);
        let changes = vec![
            ch("/attorneys/0/mobile", Value::Null, json!("0777")),
            ch(
                "/attorneys/1/signedAt",
                Value::Null,
                json!("2024-01-13T22:00:00Z"),
            ),
            ch(
                "/attorneys/0/contactLanguagePreference",
                Value::Null,
                json!("cy"),
            ),
            ch("/attorneys/0/email", Value::Null, json!("a@example.com")),
            ch("/attorneys/0/channel", Value::Null, json!("online")),
        ];
        assert_eq!(
            errors_of(parse("ATTORNEY_SIGN", changes, &two)),
            vec![
                e("/changes", "missing /attorneys/0/signedAt"),
                e("/changes/1/key", "index out of range")
            ]
        );
        // "multiple attorneys - single attorney change"
        let mut second = two.clone();
        second.fields.attorneys[1] = signed_paper("");
        let changes = vec![
            ch("/attorneys/1/mobile", json!("06666"), json!("07777")),
            ch(
                "/attorneys/1/signedAt",
                json!("2024-01-01T00:00:00Z"),
                json!("2024-01-13T22:00:00Z"),
            ),
        ];
        assert_eq!(errors_of(parse("ATTORNEY_SIGN", changes, &second)), vec![]);
    }

    #[test]
    fn a_negative_index_panics_in_go() {
        let one = lpa(vec![Attorney::default()]);
        assert!(panics(
            "ATTORNEY_SIGN",
            vec![ch(
                "/attorneys/-1/signedAt",
                Value::Null,
                json!("2024-01-13T22:00:00Z")
            )],
            &one
        ));
    }
}
