//! Signatures and opt-outs through the real `workflows/lpa.toml`: once each, after the donor; the certificate
//! provider opting out; attorneys opting out with a replacement stepping in; generated attorney uids.

mod common;

use common::{Lpa, application, application_with, problem_pointers, unmet_codes};
use serde_json::json;

#[test]
fn the_certificate_provider_opting_out_ends_the_lpa() {
    let mut lpa = Lpa::ready_to_sign(application());
    lpa.service("certificate_provider_opt_out", json!({}));
    assert_eq!(lpa.state(), "cannot_register");
    let step = lpa.last_step();
    assert_eq!(step.name, "opg.update:CERTIFICATE_PROVIDER_OPT_OUT");
    assert_eq!(step.payload["changes"], json!([]));
    assert!(lpa.data()["certificateProviderOptOut"]["at"].is_string());
    assert!(lpa.timers.is_empty(), "{:?}", lpa.timers);
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
    lpa.service("attorney_opt_out", json!({"uid": original}));
    assert_eq!(lpa.state(), "signing");
    assert_eq!(lpa.data()["attorneys"][&original]["status"], "removed");
    assert_eq!(lpa.data()["attorneys"][&replacement]["status"], "active");
    // OPG takes one attorney per opt-out: the replacement stepping in is a second update.
    let n = lpa.steps.len();
    assert_eq!(
        lpa.step_names()[n - 2..],
        ["opg.update:ATTORNEY_OPT_OUT", "opg.update:CHANGE_ATTORNEYS"]
    );
    assert_eq!(
        lpa.steps[n - 2].payload["changes"],
        json!([{"key": "/attorneys/0/status", "old": "active", "new": "removed"}])
    );
    assert_eq!(
        lpa.steps[n - 1].payload["changes"],
        json!([{"key": "/attorneys/1/status", "old": "replacement", "new": "active"}])
    );
    let again = lpa.refused(
        "sign_as_attorney",
        "service",
        json!({"uid": original, "confirmedNotBankrupt": true}),
    );
    assert_eq!(unmet_codes(&again), ["donor_not_signed_yet"]);
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
    let mut c = Lpa::create(application_with(json!({"attorneys": [
        {"uid": "given-1", "firstNames": "A", "lastName": "B", "dateOfBirth": "1970-01-01",
         "address": common::address("9 Road"), "appointmentType": "original"}
    ]})));
    assert_eq!(c.attorney_uids(), ["given-1"]);
    c.service(
        "update_application",
        json!({"restrictionsAndConditions": "none"}),
    );
    assert_eq!(c.attorney_uids(), ["given-1"]);
}
