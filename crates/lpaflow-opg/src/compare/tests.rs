use serde_json::{Value, json};

use super::*;

const UID: &str = "M-AAAA-BBBB-CCCC";
const ATTORNEY: &str = "9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d";

/// A create body as lpaflow sends it (a personal welfare LPA without the life-sustaining treatment choice,
/// so the store fills its default).
fn doc() -> Value {
    json!({
        "lpaType": "personal-welfare",
        "channel": "online",
        "language": "en",
        "donor": {"uid": "eda719db-8880-4dda-8c5d-bb9ea12c236f", "firstNames": "A", "lastName": "B",
                  "dateOfBirth": "1950-01-02", "address": {"line1": "1", "country": "GB"},
                  "contactLanguagePreference": "en"},
        "attorneys": [{"uid": ATTORNEY, "firstNames": "C", "lastName": "D", "dateOfBirth": "1980-01-01",
                       "address": {"line1": "2", "country": "GB"}, "status": "active",
                       "appointmentType": "original", "channel": "paper"}],
        "certificateProvider": {"uid": "6808960d-12cf-47c5-a2bc-3177deb8599c", "firstNames": "E",
                                "lastName": "F", "address": {"line1": "3", "country": "GB"},
                                "phone": "0700", "channel": "paper"},
        "signedAt": "2024-01-10T23:00:00Z",
        "witnessedByCertificateProviderAt": "2024-01-10T23:00:00Z"
    })
}

/// What the store holds after that create: its own fields and the defaults it filled, written as Go writes
/// (the same instant with another offset, an empty string for the omitted phone...).
fn stored(mut d: Value) -> Value {
    d["uid"] = json!(UID);
    d["status"] = json!("in-progress");
    d["updatedAt"] = json!("2025-01-01T00:00:00.5Z");
    d["lifeSustainingTreatmentOption"] = json!("option-b");
    d["lifeSustainingTreatmentOptionIsDefault"] = json!(true);
    d["signedAt"] = json!("2024-01-11T00:00:00+01:00");
    d
}

#[track_caller]
fn check(step: &str, payload: Value, remote: Option<Value>, expected: &str) {
    let state = applied_state(step, &payload, remote.as_ref()).expect("valid step");
    let got = match state {
        AppliedState::Applied => "applied",
        AppliedState::NotApplied => "not applied",
        AppliedState::Conflict { .. } => "conflict",
    };
    assert_eq!(got, expected, "{step} {payload} against {remote:?}");
}

/// An attorney's signature, addressed by uid as lpaflow sends it.
fn sign(old: Value, new: Value) -> Value {
    json!({"uid": UID, "type": "ATTORNEY_SIGN",
           "changes": [{"key": format!("/attorneys/{ATTORNEY}/signedAt"), "old": old, "new": new}]})
}

#[test]
fn create_is_decided_by_the_document_with_the_stores_defaults_and_spelling() {
    let create = json!({"uid": UID, "lpa": doc()});
    check("opg.create", create.clone(), None, "not applied");
    check("opg.create", create.clone(), Some(stored(doc())), "applied");
    let mut no_default = stored(doc());
    no_default["lifeSustainingTreatmentOption"] = json!("option-a");
    check("opg.create", create.clone(), Some(no_default), "conflict");
    let mut other = stored(doc());
    other["donor"]["lastName"] = json!("Z");
    check(
        "opg.create",
        create.clone(),
        Some(other.clone()),
        "conflict",
    );
    let mut fewer = stored(doc());
    fewer["attorneys"] = json!([]);
    check("opg.create", create, Some(fewer), "conflict");
}

#[test]
fn create_conflict_lists_the_differing_pointers() {
    let mut other = stored(doc());
    other["donor"]["lastName"] = json!("Z");
    other["donor"]["address"]["line1"] = Value::Null;
    let state = applied_state(
        "opg.create",
        &json!({"uid": UID, "lpa": doc()}),
        Some(&other),
    )
    .expect("valid");
    let AppliedState::Conflict { differences } = state else {
        panic!("expected a conflict, got {state:?}")
    };
    let pointers: Vec<&str> = differences.iter().map(|d| d.pointer.as_str()).collect();
    assert_eq!(pointers, ["/donor/address/line1", "/donor/lastName"]);
    assert_eq!(differences[0].expected, json!("1"));
    assert_eq!(differences[1].expected, json!("B"));
    assert_eq!(differences[1].actual, json!("Z"));
}

#[test]
fn updates_with_changes_vote_key_by_key() {
    let base = stored(doc());
    let mut signed = base.clone();
    signed["attorneys"][0]["signedAt"] = json!("2025-01-02T11:00:00+01:00");
    let mut signed_other = base.clone();
    signed_other["attorneys"][0]["signedAt"] = json!("2025-03-03T10:00:00Z");
    let step = "opg.update:ATTORNEY_SIGN";
    check(
        step,
        sign(Value::Null, json!("2025-01-02T10:00:00Z")),
        Some(base.clone()),
        "not applied",
    );
    check(
        step,
        sign(Value::Null, json!("2025-01-02T10:00:00Z")),
        Some(signed),
        "applied",
    );
    check(
        step,
        sign(Value::Null, json!("2025-01-02T10:00:00Z")),
        Some(signed_other),
        "conflict",
    );
    check(
        step,
        sign(Value::Null, json!("2025-01-02T10:00:00Z")),
        None,
        "not applied",
    );

    let two = json!({"uid": UID, "type": "DONOR_CONFIRM_IDENTITY", "changes": [
        {"key": "/donor/identityCheck/checkedAt", "old": null, "new": "2025-01-01T00:00:00Z"},
        {"key": "/donor/identityCheck/type", "old": null, "new": "one-login"}]});
    let mut half = base.clone();
    half["donor"]["identityCheck"] = json!({"type": "one-login"});
    check(
        "opg.update:DONOR_CONFIRM_IDENTITY",
        two.clone(),
        Some(half),
        "conflict",
    );
    let mut both = base;
    both["donor"]["identityCheck"] =
        json!({"type": "one-login", "checkedAt": "2025-01-01T00:00:00Z"});
    check(
        "opg.update:DONOR_CONFIRM_IDENTITY",
        two,
        Some(both),
        "applied",
    );
}

#[test]
fn updates_without_changes_are_decided_by_the_target_status() {
    let base = stored(doc());
    let mut waiting = base.clone();
    waiting["status"] = json!("statutory-waiting-period");
    let mut registered = base.clone();
    registered["status"] = json!("registered");
    let payload = |t: &str| json!({"uid": UID, "type": t, "changes": []});
    check(
        "opg.update:REGISTER",
        payload("REGISTER"),
        Some(waiting.clone()),
        "not applied",
    );
    check(
        "opg.update:REGISTER",
        payload("REGISTER"),
        Some(registered),
        "applied",
    );
    check(
        "opg.update:STATUTORY_WAITING_PERIOD",
        payload("STATUTORY_WAITING_PERIOD"),
        Some(base.clone()),
        "not applied",
    );
    check(
        "opg.update:STATUTORY_WAITING_PERIOD",
        payload("STATUTORY_WAITING_PERIOD"),
        Some(waiting),
        "applied",
    );
    let mut withdrawn = base.clone();
    withdrawn["status"] = json!("withdrawn");
    check(
        "opg.update:DONOR_WITHDRAW_LPA",
        payload("DONOR_WITHDRAW_LPA"),
        Some(withdrawn),
        "applied",
    );
    let mut cannot = base;
    cannot["status"] = json!("cannot-register");
    check(
        "opg.update:CERTIFICATE_PROVIDER_OPT_OUT",
        payload("CERTIFICATE_PROVIDER_OPT_OUT"),
        Some(cannot),
        "applied",
    );
}

#[test]
fn an_opt_out_is_decided_by_its_authors_status() {
    let base = stored(doc());
    let opt_out = json!({"uid": UID, "type": "ATTORNEY_OPT_OUT", "changes": [],
                         "author": format!("urn:opg:poas:makeregister:users:{ATTORNEY}")});
    check(
        "opg.update:ATTORNEY_OPT_OUT",
        opt_out.clone(),
        Some(base.clone()),
        "not applied",
    );
    let mut removed = base;
    removed["attorneys"][0]["status"] = json!("removed");
    check(
        "opg.update:ATTORNEY_OPT_OUT",
        opt_out,
        Some(removed),
        "applied",
    );
}

#[test]
fn values_compare_as_the_store_compares_them() {
    assert!(same(&Value::Null, &json!("")));
    assert!(same(&json!([]), &Value::Null));
    assert!(same(
        &json!("2024-01-13T22:00:00Z"),
        &json!("2024-01-13T23:00:00.000+01:00")
    ));
    assert!(!same(
        &json!("2024-01-13T22:00:00Z"),
        &json!("2024-01-13T22:00:01Z")
    ));
    assert!(same(&json!({"a": "", "b": 1}), &json!({"b": 1})));
    assert!(!same(&json!(false), &Value::Null), "false is a value");
    let remote = stored(doc());
    assert_eq!(
        resolve(&remote, &format!("/attorneys/{ATTORNEY}/firstNames")),
        &json!("C")
    );
    assert_eq!(resolve(&remote, "/attorneys/0/firstNames"), &json!("C"));
    assert_eq!(
        resolve(&remote, "/attorneys/nobody/firstNames"),
        &Value::Null
    );
    assert_eq!(
        index_key(&format!("/attorneys/{ATTORNEY}/status"), &remote),
        "/attorneys/0/status"
    );
}

#[test]
fn status_change_uses_its_status_key() {
    let base = stored(doc());
    let mut expired = base.clone();
    expired["status"] = json!("expired");
    let p = json!({"uid": UID, "type": "OPG_STATUS_CHANGE", "changes": [{"key": "/status", "old": "in-progress", "new": "expired"}]});
    check(
        "opg.update:OPG_STATUS_CHANGE",
        p.clone(),
        Some(base),
        "not applied",
    );
    check(
        "opg.update:OPG_STATUS_CHANGE",
        p.clone(),
        Some(expired.clone()),
        "applied",
    );
    let mut cancelled = expired;
    cancelled["status"] = json!("cancelled");
    check(
        "opg.update:OPG_STATUS_CHANGE",
        p,
        Some(cancelled),
        "conflict",
    );
}

#[test]
fn a_key_whose_old_equals_new_does_not_vote() {
    let unsigned = stored(doc());
    let mut signed = unsigned.clone();
    signed["attorneys"][0]["signedAt"] = json!("2025-01-02T10:00:00Z");
    let p = json!({"uid": UID, "type": "ATTORNEY_SIGN", "changes": [
        {"key": format!("/attorneys/{ATTORNEY}/channel"), "old": "paper", "new": "paper"},
        {"key": format!("/attorneys/{ATTORNEY}/signedAt"), "old": null, "new": "2025-01-02T10:00:00Z"}]});
    check(
        "opg.update:ATTORNEY_SIGN",
        p.clone(),
        Some(unsigned),
        "not applied",
    );
    check("opg.update:ATTORNEY_SIGN", p, Some(signed), "applied");
}

#[test]
fn an_update_whose_only_change_keeps_its_value_is_applied_where_the_key_holds_it() {
    let remote = stored(doc());
    let keep = |value: &str| {
        json!({"uid": UID, "type": "ATTORNEY_SIGN", "changes": [
            {"key": format!("/attorneys/{ATTORNEY}/channel"), "old": value, "new": value}]})
    };
    check(
        "opg.update:ATTORNEY_SIGN",
        keep("paper"),
        Some(remote.clone()),
        "applied",
    );
    check(
        "opg.update:ATTORNEY_SIGN",
        keep("online"),
        Some(remote),
        "conflict",
    );
}

#[test]
fn fields_the_store_owns_do_not_make_a_create_conflict_but_the_same_difference_elsewhere_does() {
    let create = json!({"uid": UID, "lpa": doc()});
    let files = json!([{"path": "scans/1.png", "hash": "abc"}]);
    let owned = [
        ("uid", json!("M-ZZZZ-ZZZZ-ZZZZ")),
        ("status", json!("registered")),
        ("registrationDate", json!("2025-02-01T00:00:00Z")),
        ("updatedAt", json!("2025-02-01T00:00:00Z")),
        (
            "notes",
            json!([{"type": "ATTORNEY_REMOVED_V1", "datetime": "2025-02-01T00:00:00Z", "values": {}}]),
        ),
        ("restrictionsAndConditionsImages", files.clone()),
        ("howAttorneysMakeDecisionsDetailsImages", files),
    ];
    for (key, value) in owned {
        let mut remote = stored(doc());
        remote[key] = value;
        check("opg.create", create.clone(), Some(remote), "applied");
    }
    let mut restricted = stored(doc());
    restricted["restrictionsAndConditions"] = json!("notes kept by OPG");
    check("opg.create", create.clone(), Some(restricted), "conflict");
    let mut removed = stored(doc());
    removed["attorneys"][0]["status"] = json!("removed");
    check("opg.create", create, Some(removed), "conflict");
}

#[test]
fn invalid_steps_are_errors_not_states() {
    assert!(applied_state("opg.update:NOPE", &json!({"uid": UID}), None).is_err());
    assert!(applied_state("opg.create", &json!({"uid": UID}), None).is_err());
}
