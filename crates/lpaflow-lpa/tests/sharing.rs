//! A command that leaves the application as it was shares it with the data before it, whether it started from
//! a kept reading (the engine's cache) or read the LPA's data afresh (from the store): the application is most
//! of an LPA, and copying, comparing and freeing it on every transition was most of a transition's JSON work
//! (issue 18). A command that changes it replaces it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Lpa, application_with};
use lpaflow_core::{Command, Data, Decision, Reading, decide_chain_read};
use lpaflow_lpa::data::LpaData;
use serde_json::{Value, json};
use std::sync::Arc;

fn application_of(data: &Data) -> &Arc<Value> {
    data.member("application")
        .expect("an LPA's data has its application")
}

/// The decisions of `command` on `lpa`, from `reading`.
fn decide(lpa: &Lpa, reading: &Reading, command: &Command) -> Vec<Decision> {
    decide_chain_read(
        &lpa.def,
        &lpa.rules,
        &lpa.instance,
        reading,
        command,
        lpa.now,
    )
    .unwrap()
}

#[test]
fn a_command_shares_the_application_it_left_alone() {
    let lpa = Lpa::create(application_with(json!({"fee": {"claimedType": "FullFee"}})));
    let before = application_of(&lpa.instance.data);
    let as_it_was = lpa.instance.data.to_value();
    let payment = Command::new("record_payment", "urn:test:service", "service")
        .with_payload(json!({"amountPence": 9200}));
    for (from, reading) in [
        ("a kept reading", &lpa.reading),
        ("a fresh one", &Reading::new()),
    ] {
        let chain = decide(&lpa, reading, &payment);
        assert!(!chain.is_empty());
        for d in &chain {
            assert!(
                Arc::ptr_eq(before, application_of(&d.instance.data)),
                "{} from {from} shares the application",
                d.entry.event
            );
            assert!(
                d.entry
                    .changes
                    .iter()
                    .all(|c| !c.pointer.starts_with("/application"))
            );
        }
    }
    assert_eq!(
        lpa.instance.data, as_it_was,
        "the data decided from is left as it was"
    );
}

/// Reading an instance's data (the application shared) reads exactly what reading it as one JSON value
/// does, and refuses exactly what that refuses, with the same words.
#[test]
fn data_read_with_its_application_shared_is_data_read_whole() {
    let lpa = Lpa::create(application_with(json!({"fee": {"claimedType": "FullFee"}})));
    let valid = lpa.instance.data.to_value();
    let with = |pointer: &str, value: Value| {
        let mut v = valid.clone();
        *v.pointer_mut(pointer).expect("pointer") = value;
        v
    };
    let mut without_application = valid.clone();
    without_application
        .as_object_mut()
        .expect("object")
        .remove("application");
    let cases = [
        valid.clone(),
        without_application,
        with("/application", Value::Null),
        with("/fee", json!("not a ledger")),
        with("/signatures", json!([1])),
        json!({}),
        json!([]),
        Value::Null,
    ];
    for case in cases {
        let shared = LpaData::load(&Data::from(case.clone())).map_err(|e| e.to_string());
        let whole = LpaData::load_value(&case).map_err(|e| e.to_string());
        assert_eq!(shared, whole, "{case}");
    }
    assert!(LpaData::load(&Data::from(valid)).is_ok());
}

#[test]
fn a_command_that_changes_the_application_replaces_it() {
    let lpa = Lpa::create(application_with(json!({"fee": {"claimedType": "FullFee"}})));
    let update = Command::new("update_application", "urn:test:service", "service")
        .with_payload(json!({"fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 900000}}));
    let chain = decide(&lpa, &lpa.reading, &update);
    let after = &chain[0].instance.data;
    assert!(!Arc::ptr_eq(
        application_of(&lpa.instance.data),
        application_of(after)
    ));
    assert_eq!(after["application"]["fee"]["claimedType"], json!("HalfFee"));
    assert!(
        chain[0]
            .entry
            .changes
            .iter()
            .any(|c| c.pointer == "/application/fee/claimedType")
    );
}
