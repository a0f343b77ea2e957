//! Signatures and opt-outs through the real `workflows/lpa.toml`: once each, after the donor; the certificate
//! provider opting out; attorneys and trust corporations opting out with a replacement stepping in; trust
//! corporations signing; generated actor uids.

mod common;

use common::{Lpa, application, application_with, problem_pointers, unmet_codes};
use lpaflow_core::Rejection;
use serde_json::{Value, json};

#[test]
fn the_certificate_provider_opting_out_ends_the_lpa() {
    let mut lpa = Lpa::ready_to_sign(application());
    lpa.service("sign_as_donor", json!({}));
    lpa.service("certificate_provider_opt_out", json!({}));
    assert_eq!(lpa.state(), "cannot_register");
    let step = lpa.last_step();
    assert_eq!(step.name, "opg.update:CERTIFICATE_PROVIDER_OPT_OUT");
    assert_eq!(step.payload["changes"], json!([]));
    assert!(lpa.data()["certificateProviderOptOut"]["at"].is_string());
    assert!(lpa.timers.is_empty(), "{:?}", lpa.timers);
}

#[test]
fn an_opt_out_before_the_donor_signs_stays_in_lpaflow() {
    let mut lpa = Lpa::ready_to_sign(application());
    lpa.service("certificate_provider_opt_out", json!({}));
    assert_eq!(lpa.state(), "cannot_register");
    assert!(lpa.steps.is_empty(), "{:?}", lpa.step_names());
}

#[test]
fn the_certificate_provider_cannot_opt_out_after_signing() {
    let mut lpa = Lpa::ready_to_sign(application());
    lpa.service("sign_as_donor", json!({}));
    lpa.service("sign_as_certificate_provider", json!({}));
    let r = lpa.refused("certificate_provider_opt_out", "service", json!({}));
    assert_eq!(unmet_codes(&r), ["certificate_provider_signed"]);
}

#[test]
fn an_attorney_opting_out_lets_the_replacement_step_in_and_the_last_one_ends_it() {
    let mut lpa = Lpa::ready_to_sign(application());
    let [original, replacement] =
        <[String; 2]>::try_from(lpa.attorney_uids()).expect("two attorneys");
    lpa.service("sign_as_donor", json!({}));
    lpa.service("attorney_opt_out", json!({"uid": original}));
    assert_eq!(lpa.state(), "signing");
    assert_eq!(lpa.data()["attorneys"][&original]["status"], "removed");
    assert_eq!(lpa.data()["attorneys"][&replacement]["status"], "active");
    // The store takes the opt-out with no changes, from the attorney (the token's subject); the replacement
    // stepping in is a second update.
    let n = lpa.steps.len();
    assert_eq!(
        lpa.step_names()[n - 2..],
        ["opg.update:ATTORNEY_OPT_OUT", "opg.update:CHANGE_ATTORNEYS"]
    );
    assert_eq!(lpa.steps[n - 2].payload["changes"], json!([]));
    assert_eq!(
        lpa.steps[n - 2].payload["author"],
        format!("urn:opg:poas:makeregister:users:{original}")
    );
    assert_eq!(
        lpa.steps[n - 1].payload["changes"],
        json!([{"key": format!("/attorneys/{replacement}/status"), "old": "inactive", "new": "active"}])
    );
    let again = lpa.refused(
        "sign_as_attorney",
        "service",
        json!({"uid": original, "confirmedNotBankrupt": true}),
    );
    assert!(again.to_string().contains("removed"), "{again}");
    let before = lpa.steps.len();
    lpa.service("attorney_opt_out", json!({"uid": replacement}));
    assert_eq!(lpa.state(), "cannot_register", "no attorney left");
    assert_eq!(
        lpa.step_names()[before..],
        [
            "opg.update:ATTORNEY_OPT_OUT",
            "opg.update:OPG_STATUS_CHANGE"
        ],
        "nobody steps in: no CHANGE_ATTORNEYS"
    );
    assert_eq!(
        lpa.last_step().payload["changes"][0]["new"],
        "cannot-register"
    );
}

#[test]
fn an_opt_out_before_the_donor_signs_reaches_opg_with_the_create() {
    let mut lpa = Lpa::ready_to_sign(application());
    let [original, replacement] =
        <[String; 2]>::try_from(lpa.attorney_uids()).expect("two attorneys");
    lpa.service("attorney_opt_out", json!({"uid": original}));
    assert!(lpa.steps.is_empty());
    lpa.service("sign_as_donor", json!({}));
    let body = &lpa.last_step().payload["lpa"];
    assert_eq!(body["attorneys"][0]["uid"], original.as_str());
    assert_eq!(body["attorneys"][0]["status"], "removed");
    assert_eq!(body["attorneys"][1]["uid"], replacement.as_str());
    assert_eq!(body["attorneys"][1]["status"], "active");
}

#[test]
fn a_single_original_attorney_left_before_the_create_is_sent_without_how_attorneys_decide() {
    let mut lpa = Lpa::ready_to_sign(application_with(json!({
        "attorneys": [
            {"firstNames": "Charles", "lastName": "Babbage", "dateOfBirth": "1971-12-26",
             "address": common::address("2 Road"), "appointmentType": "original", "channel": "paper"},
            {"firstNames": "Mary", "lastName": "Somerville", "dateOfBirth": "1980-12-26",
             "address": common::address("3 Road"), "appointmentType": "original", "channel": "paper"}
        ],
        "howAttorneysMakeDecisions": "jointly-and-severally"
    })));
    let [gone, left] = <[String; 2]>::try_from(lpa.attorney_uids()).expect("two attorneys");
    lpa.service("attorney_opt_out", json!({"uid": gone}));
    lpa.service("sign_as_donor", json!({}));
    let step = lpa.last_step();
    assert_eq!(step.name, "opg.create");
    let body = &step.payload["lpa"];
    assert_eq!(
        body.get("howAttorneysMakeDecisions"),
        None,
        "the store refuses it for a single attorney: {body}"
    );
    assert_eq!(body["attorneys"][0]["uid"], gone.as_str());
    assert_eq!(body["attorneys"][0]["status"], "removed");
    assert_eq!(body["attorneys"][1]["uid"], left.as_str());
    assert_eq!(body["attorneys"][1]["status"], "active");
}

#[test]
fn an_identity_check_that_opg_holds_is_not_replaced_but_a_first_one_is_sent() {
    let mut lpa = Lpa::ready_to_sign(application());
    let checked = lpa.now.to_rfc3339();
    let check = json!({"type": "one-login", "checkedAt": checked});
    lpa.service("confirm_donor_identity", check.clone());
    lpa.service("sign_as_donor", json!({}));
    let donor = lpa.refused("confirm_donor_identity", "service", check.clone());
    assert_eq!(unmet_codes(&donor), ["identity_check_held_by_opg"]);
    lpa.service("confirm_certificate_provider_identity", check.clone());
    assert_eq!(
        lpa.last_step().name,
        "opg.update:CERTIFICATE_PROVIDER_CONFIRM_IDENTITY",
        "OPG did not hold this one"
    );
    let again = lpa.refused("confirm_certificate_provider_identity", "service", check);
    assert_eq!(unmet_codes(&again), ["identity_check_held_by_opg"]);
}

#[test]
fn the_certificate_providers_identity_is_locked_once_they_have_signed() {
    let mut lpa = Lpa::ready_to_sign(application());
    lpa.service("sign_as_donor", json!({}));
    lpa.service("sign_as_certificate_provider", json!({}));
    let checked = lpa.now.to_rfc3339();
    let r = lpa.refused(
        "confirm_certificate_provider_identity",
        "service",
        json!({"type": "opg-paper-id", "checkedAt": checked}),
    );
    assert_eq!(unmet_codes(&r), ["certificate_provider_signed"]);
}

#[test]
fn an_attorneys_signature_sends_the_contact_language_they_gave() {
    let mut lpa = Lpa::ready_to_sign(application());
    let uid = lpa.attorney_uids()[0].clone();
    lpa.service("sign_as_donor", json!({}));
    lpa.service(
        "sign_as_attorney",
        json!({"uid": uid, "confirmedNotBankrupt": true, "contactLanguagePreference": "cy"}),
    );
    let step = lpa.last_step();
    assert_eq!(step.name, "opg.update:ATTORNEY_SIGN");
    let key = format!("/attorneys/{uid}/contactLanguagePreference");
    let sent: Vec<&Value> = step.payload["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["key"] == key.as_str())
        .collect();
    assert_eq!(sent, [&json!({"key": key, "old": null, "new": "cy"})]);
}

#[test]
fn a_trust_corporation_signs_with_what_the_store_wants_then() {
    let mut lpa = Lpa::ready_to_sign(application_with(json!({
        "trustCorporations": [lpaflow_test_support::lpa_application::trust_corporation("original")],
        "howAttorneysMakeDecisions": "jointly"
    })));
    let tc = lpa.data()["application"]["trustCorporations"][0]["uid"]
        .as_str()
        .expect("a generated uid")
        .to_owned();
    lpa.service("sign_as_donor", json!({}));
    let created = &lpa.last_step().payload["lpa"]["trustCorporations"][0];
    assert_eq!(created["status"], "active");
    assert_eq!(
        created["companyNumber"], "",
        "sent when it signs, as the store's TRUST_CORPORATION_SIGN requires"
    );
    assert_eq!(created.get("mobile"), None);
    let missing = lpa.refused(
        "sign_as_trust_corporation",
        "service",
        json!({"uid": tc, "signatories": []}),
    );
    assert_eq!(problem_pointers(&missing), ["/signatories"]);
    lpa.service(
        "sign_as_trust_corporation",
        json!({"uid": tc, "signatories": [
            {"firstNames": "Sam", "lastName": "Smith", "professionalTitle": "Director"}
        ]}),
    );
    let step = lpa.last_step();
    assert_eq!(step.name, "opg.update:TRUST_CORPORATION_SIGN");
    let at = |k: &str| format!("/trustCorporations/{tc}/{k}");
    assert_eq!(
        step.payload["changes"],
        json!([
            {"key": at("mobile"), "old": null, "new": "07700900001"},
            {"key": at("contactLanguagePreference"), "old": null, "new": "en"},
            {"key": at("companyNumber"), "old": null, "new": "01234567"},
            {"key": at("signatories/0/firstNames"), "old": null, "new": "Sam"},
            {"key": at("signatories/0/lastName"), "old": null, "new": "Smith"},
            {"key": at("signatories/0/professionalTitle"), "old": null, "new": "Director"},
            {"key": at("signatories/0/signedAt"), "old": null, "new": "2026-01-05T09:00:00Z"}
        ])
    );
    let again = lpa.refused(
        "sign_as_trust_corporation",
        "service",
        json!({"uid": tc, "signatories": [
            {"firstNames": "Sam", "lastName": "Smith", "professionalTitle": "Director"}
        ]}),
    );
    assert_eq!(unmet_codes(&again), ["no_trust_corporation_to_sign"]);
}

#[test]
fn a_trust_corporation_signing_through_three_people_is_refused_not_cut_to_two() {
    let mut lpa = Lpa::ready_to_sign(application_with(json!({
        "trustCorporations": [lpaflow_test_support::lpa_application::trust_corporation("original")],
        "howAttorneysMakeDecisions": "jointly"
    })));
    let tc = lpa.data()["application"]["trustCorporations"][0]["uid"]
        .as_str()
        .expect("a generated uid")
        .to_owned();
    lpa.service("sign_as_donor", json!({}));
    let person = |name: &str| json!({"firstNames": name, "lastName": "Smith", "professionalTitle": "Director"});
    let three = lpa.refused(
        "sign_as_trust_corporation",
        "service",
        json!({"uid": tc, "signatories": [person("Sam"), person("Alex"), person("Jo")]}),
    );
    let Rejection::InvalidPayload { problems, .. } = &three else {
        panic!("expected an invalid payload, got {three:?}")
    };
    assert_eq!(problem_pointers(&three), ["/signatories"]);
    assert_eq!(problems[0].detail, "must name one or two people");
}

#[test]
fn a_trust_corporation_opting_out_is_named_by_the_token() {
    let mut lpa = Lpa::ready_to_sign(application_with(json!({
        "trustCorporations": [lpaflow_test_support::lpa_application::trust_corporation("original")],
        "howAttorneysMakeDecisions": "jointly"
    })));
    let tc = lpa.data()["application"]["trustCorporations"][0]["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    lpa.service("sign_as_donor", json!({}));
    lpa.service("trust_corporation_opt_out", json!({"uid": tc}));
    let n = lpa.steps.len();
    assert_eq!(
        lpa.step_names()[n - 2..],
        [
            "opg.update:TRUST_CORPORATION_OPT_OUT",
            "opg.update:CHANGE_ATTORNEYS"
        ],
        "it was acting: the replacement attorney steps in"
    );
    assert_eq!(
        lpa.steps[n - 2].payload["author"],
        format!("urn:opg:poas:makeregister:users:{tc}")
    );
    assert_eq!(lpa.data()["trustCorporations"][&tc]["status"], "removed");
}

#[test]
fn everyone_signs_once_and_after_the_donor() {
    let mut lpa = Lpa::ready_to_sign(application());
    let first = lpa.refused("sign_as_certificate_provider", "service", json!({}));
    assert_eq!(unmet_codes(&first), ["donor_not_signed_yet"]);
    lpa.service("sign_as_donor", json!({}));
    let twice = lpa.refused("sign_as_donor", "service", json!({}));
    assert_eq!(unmet_codes(&twice), ["already_signed"]);
    assert!(twice.to_string().contains("cannot sign again"));
    let uid = lpa.attorney_uids()[0].clone();
    let bankrupt = lpa.refused(
        "sign_as_attorney",
        "service",
        json!({"uid": uid, "confirmedNotBankrupt": false}),
    );
    assert_eq!(unmet_codes(&bankrupt), ["bankruptcy_declaration_missing"]);
    lpa.service(
        "sign_as_attorney",
        json!({"uid": uid, "confirmedNotBankrupt": true}),
    );
    let again = lpa.refused(
        "sign_as_attorney",
        "service",
        json!({"uid": uid, "confirmedNotBankrupt": true}),
    );
    assert_eq!(unmet_codes(&again), ["already_signed"]);
    let unknown = lpa.refused(
        "sign_as_attorney",
        "service",
        json!({"uid": "nobody", "confirmedNotBankrupt": true}),
    );
    assert_eq!(problem_pointers(&unknown), ["/uid"]);
    let locked = lpa.refused(
        "update_application",
        "service",
        json!({"restrictionsAndConditions": "none"}),
    );
    assert_eq!(unmet_codes(&locked), ["donor_signed"]);
}

#[test]
fn attorney_uids_are_generated_deterministically_and_kept() {
    let a = Lpa::create(application());
    let b = Lpa::create(application());
    assert_eq!(a.attorney_uids(), b.attorney_uids());
    let uids = a.attorney_uids();
    assert_ne!(uids[0], uids[1]);
    assert_eq!(uids[0].len(), 36);
    let given = "9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d";
    let mut c = Lpa::create(application_with(json!({"attorneys": [
        {"uid": given, "firstNames": "A", "lastName": "B", "dateOfBirth": "1970-01-01",
         "address": common::address("9 Road"), "appointmentType": "original", "channel": "paper"}
    ]})));
    assert_eq!(c.attorney_uids(), [given]);
    c.service(
        "update_application",
        json!({"restrictionsAndConditions": "none"}),
    );
    assert_eq!(c.attorney_uids(), [given]);
    let not_a_uuid = Lpa::try_create(
        application_with(json!({"donor": {"uid": "donor-1"}})),
        common::t0(),
    )
    .err()
    .expect("refused");
    assert_eq!(problem_pointers(&not_a_uuid), ["/donor/uid"]);
}
