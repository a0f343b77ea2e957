//! lambda/update/trust_corporation_sign_test.go
use super::super::test_support::*;
use crate::simulator::requests::SentChange;
use lpaflow_lpa::lpa_store::{Channel, Lang, Lpa, Signatory, TrustCorporation};
use serde_json::{Value, json};

const UID: &str = "9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d";

fn lpa(tcs: Vec<TrustCorporation>) -> Lpa {
    let mut lpa = Lpa::default();
    lpa.fields.trust_corporations = tcs;
    lpa
}

fn signatory(key: &str, i: usize) -> Vec<SentChange> {
    let k = |f: &str| format!("/trustCorporations/{key}/signatories/{i}/{f}");
    vec![
        ch(&k("firstNames"), Value::Null, json!("John")),
        ch(&k("lastName"), Value::Null, json!("Smith")),
        ch(&k("professionalTitle"), Value::Null, json!("Director")),
        ch(&k("signedAt"), Value::Null, json!("2024-01-13T22:00:00Z")),
    ]
}

fn valid(key: &str) -> Vec<SentChange> {
    let k = |f: &str| format!("/trustCorporations/{key}/{f}");
    let mut changes = vec![ch(&k("mobile"), Value::Null, json!("07777"))];
    changes.extend(signatory(key, 0));
    changes.extend(signatory(key, 1));
    changes.push(ch(
        &k("contactLanguagePreference"),
        Value::Null,
        json!("cy"),
    ));
    changes.push(ch(&k("companyNumber"), Value::Null, json!("ABCD1234")));
    changes
}

#[test]
fn apply_signs_with_one_or_two_signatories_once() {
    // TestTrustCorporationSignApply, TestTrustCorporationSignApplyWhenAlreadySigned
    let one = lpa(vec![TrustCorporation::default()]);
    let after = run("TRUST_CORPORATION_SIGN", valid("0"), &one).expect("signs");
    let tc = &after.fields.trust_corporations[0];
    assert_eq!(tc.mobile, "07777");
    assert_eq!(tc.contact_language_preference, Lang::Cy);
    assert_eq!(tc.company_number, "ABCD1234");
    assert_eq!(tc.signatories.len(), 2);
    let mut only_first = valid("0");
    only_first.retain(|c| !c.key.contains("/signatories/1/"));
    let after = run("TRUST_CORPORATION_SIGN", only_first, &one).expect("signs");
    assert_eq!(after.fields.trust_corporations[0].signatories.len(), 1);

    let signed = lpa(vec![TrustCorporation {
        signatories: vec![Signatory {
            signed_at: Some(t("2024-01-01T00:00:00Z")),
            ..Signatory::default()
        }],
        ..TrustCorporation::default()
    }]);
    assert_eq!(
        run("TRUST_CORPORATION_SIGN", valid("0"), &signed),
        Err(vec![e("/type", "trust corporation cannot sign again")])
    );
}

#[test]
fn validate_by_index_and_uid() {
    // TestValidateUpdateTrustCorporationSign, TestValidateUpdateTrustCorporationSignUIDReferences
    for key in ["0", UID] {
        let k = |f: &str| format!("/trustCorporations/{key}/{f}");
        let fresh = lpa(vec![TrustCorporation {
            uid: UID.into(),
            ..TrustCorporation::default()
        }]);
        assert_eq!(
            errors_of(parse("TRUST_CORPORATION_SIGN", valid(key), &fresh)),
            vec![]
        );
        // valid - existing values: email, channel and companyNumber start from the stored ones
        let existing = lpa(vec![TrustCorporation {
            uid: UID.into(),
            email: "a@example.com".into(),
            channel: Channel::Paper,
            company_number: "ABCD1234".into(),
            ..TrustCorporation::default()
        }]);
        let mut changes = vec![ch(&k("mobile"), Value::Null, json!("07777"))];
        changes.extend(signatory(key, 0));
        changes.push(ch(
            &k("contactLanguagePreference"),
            Value::Null,
            json!("cy"),
        ));
        changes.push(ch(
            &k("email"),
            json!("a@example.com"),
            json!("b@example.com"),
        ));
        changes.push(ch(&k("channel"), json!("paper"), json!("online")));
        changes.push(ch(
            &k("companyNumber"),
            json!("ABCD1234"),
            json!("WXYZ5678"),
        ));
        assert_eq!(
            errors_of(parse("TRUST_CORPORATION_SIGN", changes, &existing)),
            vec![]
        );
        // extra fields
        let mut changes = vec![ch(&k("mobile"), Value::Null, json!("07777"))];
        changes.extend(signatory(key, 0));
        changes.push(ch(
            &k("contactLanguagePreference"),
            Value::Null,
            json!("cy"),
        ));
        changes.push(ch("/donor/firstNames", Value::Null, json!("John")));
        changes.push(ch(&k("firstNames"), Value::Null, json!("John")));
        changes.push(ch(&k("companyNumber"), Value::Null, json!("ABCD1234")));
        assert_eq!(
            errors_of(parse("TRUST_CORPORATION_SIGN", changes, &fresh)),
            vec![
                e("/changes/7", "unexpected change provided"),
                e("/changes/6", "unexpected change provided")
            ]
        );
        // invalid values
        let mut changes = vec![ch(&k("mobile"), Value::Null, json!("07777"))];
        changes.extend(signatory(key, 0));
        changes.push(ch(
            &k("contactLanguagePreference"),
            Value::Null,
            json!("xy"),
        ));
        changes.push(ch(&k("channel"), Value::Null, json!("digital")));
        changes.push(ch(&k("companyNumber"), Value::Null, json!("")));
        assert_eq!(
            errors_of(parse("TRUST_CORPORATION_SIGN", changes, &fresh)),
            vec![
                e("/changes/5/new", "invalid value"),
                e("/changes/7/new", "field is required"),
                e("/changes/6/new", "invalid value"),
            ]
        );
    }
    assert_eq!(
        errors_of(parse("TRUST_CORPORATION_SIGN", vec![], &Lpa::default())),
        vec![e("/changes", "missing /trustCorporations/...")]
    );
}

#[test]
fn one_trust_corporation_per_update() {
    // "multiple trust corporations"
    let two = lpa(vec![
        TrustCorporation::default(),
        TrustCorporation::default(),
    ]);
    let changes = vec![
        ch("/trustCorporations/0/mobile", Value::Null, json!("0777")),
        ch(
            "/trustCorporations/1/signatories/0/firstNames",
            Value::Null,
            json!("John"),
        ),
        ch(
            "/trustCorporations/0/signatories/0/lastName",
            Value::Null,
            json!("Smith"),
        ),
        ch(
            "/trustCorporations/0/signatories/0/professionalTitle",
            Value::Null,
            json!("Director"),
        ),
        ch(
            "/trustCorporations/0/signatories/0/signedAt",
            Value::Null,
            json!("2024-01-13T22:00:00Z"),
        ),
        ch(
            "/trustCorporations/0/contactLanguagePreference",
            Value::Null,
            json!("cy"),
        ),
        ch(
            "/trustCorporations/0/companyNumber",
            Value::Null,
            json!("ABCD1234"),
        ),
    ];
    assert_eq!(
        errors_of(parse("TRUST_CORPORATION_SIGN", changes, &two)),
        vec![
            e(
                "/changes",
                "missing /trustCorporations/0/signatories/0/firstNames"
            ),
            e("/changes/1/key", "index out of range"),
        ]
    );
}

#[test]
fn mobile_and_language_must_have_an_empty_old_even_when_stored() {
    // mobile and contactLanguagePreference start from zero, not from the stored trust corporation.
    let stored = lpa(vec![TrustCorporation {
        mobile: "0700".into(),
        ..TrustCorporation::default()
    }]);
    let mut changes = valid("0");
    changes[0] = ch("/trustCorporations/0/mobile", json!("0700"), json!("07777"));
    assert_eq!(
        errors_of(parse("TRUST_CORPORATION_SIGN", changes, &stored)),
        vec![e("/changes/0/old", "does not match existing value")]
    );
    let mut third = valid("0");
    third.extend(signatory("0", 2));
    let errors = errors_of(parse("TRUST_CORPORATION_SIGN", third, &stored));
    assert_eq!(
        errors,
        (11..15)
            .map(|i| e(&format!("/changes/{i}/key"), "index out of range"))
            .collect::<Vec<_>>()
    );
    assert!(panics(
        "TRUST_CORPORATION_SIGN",
        {
            let mut c = valid("0");
            c.extend(signatory("0", 0).into_iter().map(|mut s| {
                s.key = s.key.replace("/signatories/0/", "/signatories/-1/");
                s
            }));
            c
        },
        &stored
    ));
}
