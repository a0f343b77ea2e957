//! The pure comparison, one situation per row: what OPG holds against the instance and its outbox.
#![allow(clippy::unwrap_used)]

use super::compare::attribute;
use super::*;
use chrono::{DateTime, Utc};
use lpaflow_core::{BusinessZone, Delivery, InstanceId, StepName};
use lpaflow_lpa::LpaData;
use lpaflow_lpa::data::{OpgCreate, Signature};
use lpaflow_lpa::lpa_store::{Change, ChangeLogEntry};
use lpaflow_store::{StepRow, StepStatus};
use serde_json::{Value, json};

const UID: &str = "M-AAAA-BBBB-CCCC";
const SIGNED: &str = "2026-02-01T10:00:00Z";
const ATTORNEY: &str = "9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d";

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
        .unwrap()
        .to_utc()
}

fn signed() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(SIGNED).unwrap().to_utc()
}

/// The shared valid application, with uids as the rules would have given them.
fn application() -> Value {
    let mut app = lpaflow_test_support::lpa_application::application();
    app["donor"]["uid"] = json!("eda719db-8880-4dda-8c5d-bb9ea12c236f");
    app["certificateProvider"]["uid"] = json!("6808960d-12cf-47c5-a2bc-3177deb8599c");
    app["attorneys"][0]["uid"] = json!(ATTORNEY);
    app["attorneys"][1]["uid"] = json!("1d95993a-ffbb-484c-b2fe-f4cca51801da");
    app
}

/// LPA data, sent to OPG (the donor signed) or not, with the certificate provider's signature or not, with
/// extra findings.
fn data(in_opg: bool, cp_signed: bool, findings: Value) -> Value {
    let mut d = LpaData::new(application(), t0().date_naive());
    let (app, _) = d.application(t0(), BusinessZone::LONDON);
    d.sync_attorneys(&app);
    if in_opg {
        let mut s = Signature::new(t0(), t0(), "urn:test".into());
        s.witnessed_by_certificate_provider_at = Some(t0());
        d.signatures.donor = Some(s);
        d.opg_create = Some(OpgCreate {
            at: t0(),
            statuses: d
                .attorneys
                .iter()
                .map(|(uid, r)| (uid.clone(), r.status))
                .collect(),
        });
    }
    if cp_signed {
        d.signatures.certificate_provider =
            Some(Signature::new(signed(), signed(), "urn:test".into()));
    }
    let mut v = d.to_value().unwrap();
    v["findings"] = findings;
    v
}

/// What OPG holds for `data`: the expected document plus the fields the store adds.
fn opg_doc(data: &Value, status: &str) -> Value {
    let d = LpaData::load_value(data).unwrap();
    let mut doc = lpaflow_lpa::document::to_json(&lpaflow_lpa::document::expected(
        &d,
        t0(),
        BusinessZone::LONDON,
    ));
    doc["uid"] = json!(UID);
    doc["status"] = json!(status);
    doc["updatedAt"] = json!("2026-01-05T09:00:01Z");
    doc
}

fn step(seq: u64, name: &str, payload: Value, status: StepStatus) -> StepRow {
    StepRow {
        id: 100 + seq as i64,
        uid: InstanceId::new(UID),
        seq,
        revision: seq,
        step: StepName::new(name),
        delivery: Delivery::Background,
        then_event: None,
        payload,
        status,
        attempts: 0,
        ambiguous: false,
        next_attempt_at: t0(),
        lease_owner: None,
        lease_until: None,
        fence: 0,
        result: None,
        last_error: None,
        created_at: t0(),
        completed_at: None,
        previous_completed_at: None,
    }
}

fn create(status: StepStatus) -> StepRow {
    step(
        1,
        "opg.create",
        json!({"uid": UID, "lpa": {"lpaType": "property-and-affairs"}}),
        status,
    )
}

fn cp_sign(status: StepStatus, error_code: Option<&str>) -> StepRow {
    let mut s = step(
        2,
        "opg.update:CERTIFICATE_PROVIDER_SIGN",
        json!({"uid": UID, "type": "CERTIFICATE_PROVIDER_SIGN",
               "changes": [{"key": "/certificateProvider/signedAt", "old": null, "new": SIGNED}]}),
        status,
    );
    s.last_error = error_code.map(|c| json!({"code": c}));
    s
}

fn waiting_period(status: StepStatus) -> StepRow {
    step(
        3,
        "opg.update:STATUTORY_WAITING_PERIOD",
        json!({"uid": UID, "type": "STATUTORY_WAITING_PERIOD", "changes": []}),
        status,
    )
}

fn local(state: &str, data: Value, steps: Vec<StepRow>) -> Local {
    Local {
        uid: UID.to_owned(),
        state: state.to_owned(),
        revision: 7,
        data: data.into(),
        steps,
        zone: BusinessZone::LONDON,
    }
}

/// The verdict as (kind, pointer, repair) rows, or the name of a verdict without differences.
fn summary(v: &Verdict) -> Vec<(String, Option<String>, Repair)> {
    match v {
        Verdict::Drift(drifts) => drifts
            .iter()
            .map(|d| (d.kind.to_string(), d.pointer.clone(), d.repair.clone()))
            .collect(),
        Verdict::LocalOnly => vec![("local_only".into(), None, Repair::Person)],
        Verdict::InSync { pending } => vec![(format!("in_sync {pending}"), None, Repair::Person)],
        Verdict::Unverified { .. } => vec![("unverified".into(), None, Repair::Person)],
    }
}

#[track_caller]
fn check(local: Local, remote: Remote, expect: &[(&str, Option<&str>, Repair)]) {
    let got = summary(&compare(&local, &remote));
    let expect: Vec<(String, Option<String>, Repair)> = expect
        .iter()
        .map(|(k, p, r)| ((*k).to_owned(), p.map(str::to_owned), r.clone()))
        .collect();
    assert_eq!(got, expect);
}

const PERSON: Repair = Repair::Person;

#[test]
fn before_the_donor_signs_opg_must_hold_nothing() {
    let d = data(false, false, json!([]));
    check(
        local("created", d.clone(), vec![]),
        Remote::NotHeld,
        &[("local_only", None, PERSON)],
    );
    let held = opg_doc(&d, "in-progress");
    check(
        local("created", d, vec![]),
        Remote::Held(held),
        &[("unexpected_in_opg", None, PERSON)],
    );
}

#[test]
fn a_create_in_flight_is_not_drift_whatever_opg_says() {
    let d = data(true, false, json!([]));
    for status in [
        StepStatus::Queued,
        StepStatus::Suspended,
        StepStatus::InFlight,
        StepStatus::Retrying,
    ] {
        check(
            local("signing", d.clone(), vec![create(status)]),
            Remote::NotHeld,
            &[("in_sync 1", None, PERSON)],
        );
    }
}

#[test]
fn a_missing_lpa_is_retried_only_when_its_create_failed_transiently() {
    let d = data(true, false, json!([]));
    check(
        local("signing", d.clone(), vec![create(StepStatus::Done)]),
        Remote::NotHeld,
        &[("missing_in_opg", None, PERSON)],
    );
    let mut failed = create(StepStatus::Failed);
    failed.last_error = Some(json!({"code": "attempts_exhausted"}));
    check(
        local("signing", d.clone(), vec![failed.clone()]),
        Remote::NotHeld,
        &[("missing_in_opg", None, Repair::RetryStep { step_id: 101 })],
    );
    failed.last_error = Some(json!({"outcome": "failed", "code": "INVALID_REQUEST"}));
    check(
        local("signing", d, vec![failed]),
        Remote::NotHeld,
        &[("missing_in_opg", None, PERSON)],
    );
}

#[test]
fn fields_and_status_are_compared_unless_a_step_in_flight_touches_them() {
    let d = data(true, true, json!([]));
    let done = vec![create(StepStatus::Done), cp_sign(StepStatus::Done, None)];
    let doc = opg_doc(&d, "in-progress");
    check(
        local("signing", d.clone(), done.clone()),
        Remote::Held(doc.clone()),
        &[("in_sync 0", None, PERSON)],
    );

    let mut changed = doc.clone();
    changed["donor"]["lastName"] = json!("Byron");
    changed["certificateProvider"]["signedAt"] = Value::Null;
    check(
        local("signing", d.clone(), done.clone()),
        Remote::Held(changed.clone()),
        &[
            (
                "field_mismatch",
                Some("/certificateProvider/signedAt"),
                PERSON,
            ),
            ("field_mismatch", Some("/donor/lastName"), PERSON),
        ],
    );
    let in_flight = vec![
        create(StepStatus::Done),
        cp_sign(StepStatus::Retrying, None),
    ];
    check(
        local("signing", d.clone(), in_flight),
        Remote::Held(changed),
        &[("field_mismatch", Some("/donor/lastName"), PERSON)],
    );

    let mut waiting = done.clone();
    waiting.push(waiting_period(StepStatus::Done));
    check(
        local("statutory_waiting_period", d.clone(), waiting),
        Remote::Held(doc.clone()),
        &[("status_mismatch", Some("/status"), PERSON)],
    );
    let mut waiting = done;
    waiting.push(waiting_period(StepStatus::Suspended));
    check(
        local("statutory_waiting_period", d, waiting),
        Remote::Held(doc),
        &[("in_sync 1", None, PERSON)],
    );
}

#[test]
fn a_failed_step_is_retried_when_opg_holds_it_or_it_only_ran_out_of_attempts() {
    let signed = data(true, true, json!([]));
    let held_signed = opg_doc(&signed, "in-progress");
    let mut held_unsigned = held_signed.clone();
    held_unsigned["certificateProvider"]["signedAt"] = Value::Null;
    let steps = |code: &str| {
        vec![
            create(StepStatus::Done),
            cp_sign(StepStatus::Failed, Some(code)),
        ]
    };
    check(
        local("signing", signed.clone(), steps("INVALID_REQUEST")),
        Remote::Held(held_signed),
        &[(
            "step_applied_not_recorded",
            None,
            Repair::RetryStep { step_id: 102 },
        )],
    );
    check(
        local("signing", signed.clone(), steps("attempts_exhausted")),
        Remote::Held(held_unsigned.clone()),
        &[("step_not_applied", None, Repair::RetryStep { step_id: 102 })],
    );
    check(
        local("signing", signed, steps("INVALID_REQUEST")),
        Remote::Held(held_unsigned.clone()),
        &[("step_not_applied", None, PERSON)],
    );
    let flagged = data(
        true,
        true,
        json!([{"id": "F1", "rule": "sync.failed", "subject": "opg.update:CERTIFICATE_PROVIDER_SIGN", "severity": "blocking",
                "status": "detected", "detail": "refused", "detectedAt": SIGNED}]),
    );
    check(
        local("signing", flagged, steps("INVALID_REQUEST")),
        Remote::Held(held_unsigned),
        &[(
            "step_not_applied",
            None,
            Repair::Flagged {
                finding: "F1".into(),
            },
        )],
    );
}

#[test]
fn an_unreadable_answer_decides_nothing() {
    let d = data(true, false, json!([]));
    check(
        local("signing", d, vec![create(StepStatus::Done)]),
        Remote::Unknown("stale".into()),
        &[("unverified", None, PERSON)],
    );
}

#[test]
fn the_last_change_to_a_key_is_attributed_from_the_change_log() {
    let d = data(true, false, json!([]));
    let mut doc = opg_doc(&d, "cannot-register");
    doc["donor"]["lastName"] = json!("Byron");
    doc["attorneys"][0]["mobile"] = json!("07700900999");
    let local = local("signing", d, vec![create(StepStatus::Done)]);
    let Verdict::Drift(mut drifts) = compare(&local, &Remote::Held(doc)) else {
        panic!("drift expected");
    };
    let entry = |id: &str, at: &str, author: &str, kind: &str, keys: &[&str]| ChangeLogEntry {
        id: id.into(),
        uid: UID.into(),
        applied: at.into(),
        author: author.into(),
        kind: kind.into(),
        changes: keys
            .iter()
            .map(|k| Change::new(*k, Value::Null, json!("x")))
            .collect(),
    };
    let mobile = format!("/attorneys/{ATTORNEY}/mobile");
    // Newest first, as the store answers.
    let log = [
        entry(
            "4",
            "2026-02-04T10:00:00Z",
            "urn:opg:poas:sirius:users:7",
            "CORRECTION",
            &[&mobile],
        ),
        entry(
            "3",
            "2026-02-03T10:00:00Z",
            "urn:opg:poas:sirius:users:7",
            "OPG_STATUS_CHANGE",
            &["/status"],
        ),
        entry(
            "2",
            "2026-02-02T10:00:00Z",
            "urn:opg:poas:sirius:users:7",
            "CORRECTION",
            &["/donor"],
        ),
        entry(
            "1",
            "2026-02-01T10:00:00Z",
            "urn:lpaflow",
            "CORRECTION",
            &["/donor/lastName"],
        ),
    ];
    let expected = expected_document(&local).unwrap();
    attribute(&mut drifts, &log, &expected, "urn:lpaflow");
    type Row = (String, Option<String>, Option<String>, Option<bool>);
    let got: Vec<Row> = drifts
        .iter()
        .map(|d| {
            let c = d.last_change.as_ref();
            (
                d.kind.to_string(),
                d.pointer.clone(),
                c.map(|c| c.id.clone()),
                c.map(|c| c.by_lpaflow),
            )
        })
        .collect();
    let row = |kind: &str, pointer: &str, id: &str| {
        (
            kind.to_owned(),
            Some(pointer.to_owned()),
            Some(id.to_owned()),
            Some(false),
        )
    };
    assert_eq!(
        got,
        [
            row("field_mismatch", "/attorneys/0/mobile", "4"),
            row("field_mismatch", "/donor/lastName", "2"),
            row("status_mismatch", "/status", "3"),
        ]
    );
    let json = serde_json::to_value(&drifts[0]).unwrap();
    assert!(
        json.get("values").is_none(),
        "values are never reported: {json}"
    );
    assert!(!json.to_string().contains("Byron"));
}
