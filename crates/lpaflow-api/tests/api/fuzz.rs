//! Random bodies at every POST endpoint, with every role's token and sometimes an `Idempotency-Key`: arbitrary
//! JSON built from the real field names and random ones, arbitrary bytes, and bodies over the size limit. The
//! API never answers 5xx and never panics (a panic in a handler fails the test: nothing catches it); every
//! 4xx is a problem+json with a code.

use crate::common::{FEE_COUNTERS, Harness, Setup, application};
use axum::http::StatusCode;
use lpaflow_api::Role;
use lpaflow_api::problem::PROBLEM_JSON;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

/// Field names the endpoints read, so random objects often reach the validation of real fields.
const FIELDS: &[&str] = &[
    "event",
    "payload",
    "uid",
    "lpaType",
    "channel",
    "donor",
    "attorneys",
    "certificateProvider",
    "firstNames",
    "lastName",
    "dateOfBirth",
    "address",
    "line1",
    "town",
    "postcode",
    "country",
    "appointmentType",
    "relationship",
    "fee",
    "claimedType",
    "whenTheLpaCanBeUsed",
    "amountPence",
    "confirmedNotBankrupt",
    "type",
    "checkedAt",
    "signedAt",
    "reason",
    "finding",
    "objection",
    "detail",
    "outcome",
    "approvedType",
    "kind",
    "reference",
    "deadline",
    "from",
    "to",
    "advance",
];

/// Event names, real and not.
const EVENTS: &[&str] = &[
    "submit",
    "update_application",
    "record_payment",
    "sign_as_donor",
    "sign_as_attorney",
    "confirm_donor_identity",
    "accept_finding",
    "decide_fee",
    "raise_objection",
    "withdraw",
    "change_status:cannot_register",
    "registration_confirmed",
    "waiting_period_elapsed",
    "create",
    "sync_problem",
    "deadline_passed",
    "enter_waiting_period",
    "nope",
    "",
];

const BODY_LIMIT_BYTES: usize = 16 * 1024;

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        prop::sample::select(EVENTS).prop_map(Value::from),
        prop_oneof![
            Just("2026-01-05T09:00:00Z"),
            Just("1950-01-02"),
            Just("M-QWER-TY34-6789"),
            Just("one-login"),
            Just("28d"),
            Just("9999999w"),
            Just("-1s"),
            Just("F1"),
            Just("FullFee"),
        ]
        .prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FIELDS).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// A valid application with one random part replaced, so deeper validation runs too.
fn mutated_application() -> impl Strategy<Value = Value> {
    (prop::sample::select(FIELDS), arbitrary_json()).prop_map(|(field, value)| {
        let mut app = application();
        app[field] = value;
        app
    })
}

/// An event request with a random payload.
fn event_request() -> impl Strategy<Value = Value> {
    (prop::sample::select(EVENTS), arbitrary_json())
        .prop_map(|(event, payload)| json!({"event": event, "payload": payload}))
}

#[derive(Clone, Debug)]
enum Body {
    Json(Value),
    Bytes(Vec<u8>),
    Big(usize),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        4 => arbitrary_json().prop_map(Body::Json),
        2 => mutated_application().prop_map(Body::Json),
        2 => event_request().prop_map(Body::Json),
        1 => prop::collection::vec(any::<u8>(), 0..256).prop_map(Body::Bytes),
        1 => (BODY_LIMIT_BYTES - 64..BODY_LIMIT_BYTES * 4).prop_map(Body::Big),
    ]
}

#[derive(Clone, Debug)]
struct Case {
    endpoint: usize,
    role: Role,
    body: Body,
    idempotency_key: Option<String>,
}

fn case(endpoints: usize) -> impl Strategy<Value = Case> {
    (
        0..endpoints,
        prop::sample::select(Role::ALL.to_vec()),
        body(),
        prop::option::of("[!-~]{1,12}"),
    )
        .prop_map(|(endpoint, role, body, idempotency_key)| Case {
            endpoint,
            role,
            body,
            idempotency_key,
        })
}

async fn check(h: &Harness, endpoints: &[String], case: Case) -> Result<(), TestCaseError> {
    let path = &endpoints[case.endpoint];
    let mut req = h.post(path).role(case.role);
    if let Some(k) = &case.idempotency_key {
        req = req.header("idempotency-key", k);
    }
    let req = match &case.body {
        Body::Json(v) => req.json(v),
        Body::Bytes(b) => req.body(b.clone()),
        Body::Big(n) => req
            .header("content-type", "application/json")
            .body(format!("{{\"pad\": \"{}\"}}", "x".repeat(*n))),
    };
    let r = req.send().await;
    prop_assert!(
        !r.status.is_server_error(),
        "POST {path} as {} answered {}: {}",
        case.role,
        r.status,
        r.text()
    );
    if r.status.is_client_error() {
        prop_assert_eq!(r.header("content-type"), Some(PROBLEM_JSON), "{}", r.text());
        let p = r.json();
        prop_assert!(p["code"].as_str().is_some_and(|c| !c.is_empty()), "{}", p);
        prop_assert_eq!(&p["status"], &json!(r.status.as_u16()));
    }
    // Retry and skip take no body and do not read one, unless an Idempotency-Key makes the API hash it.
    let reads_body = !path.ends_with("/retry") && !path.ends_with("/skip");
    // Authorization comes first: a role that may not post here gets 403 whatever it sent.
    if !crate::common::may_post(path, case.role) {
        prop_assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    } else if matches!(case.body, Body::Big(n) if n > BODY_LIMIT_BYTES)
        && (reads_body || case.idempotency_key.is_some())
    {
        prop_assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    }
    Ok(())
}

#[test]
fn random_bodies_at_every_post_endpoint_never_get_a_5xx() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Random payments can overpay, which makes refunds due: keep them out of the fee counter tests' sums.
    let _counters = rt.block_on(FEE_COUNTERS.lock());
    let h = rt.block_on(Harness::with(
        Setup::default().config(|c| c.body_limit_bytes = BODY_LIMIT_BYTES),
    ));
    let (uid, step) = rt.block_on(async {
        let uid = h.sent_to_opg().await;
        let steps = h
            .get(&format!("/v1/lpas/{uid}/sync"))
            .role(Role::Admin)
            .send()
            .await
            .json();
        (uid, steps["steps"][0]["id"].as_i64().unwrap())
    });
    let endpoints = vec![
        "/v1/lpas".to_owned(),
        format!("/v1/lpas/{uid}/events"),
        "/v1/lpas/M-QWER-TY34-6789/events".to_owned(),
        format!("/v1/lpas/{uid}/sync/{step}/retry"),
        format!("/v1/lpas/{uid}/sync/{step}/skip"),
        "/v1/opg/maintenance".to_owned(),
        "/v1/dev/clock".to_owned(),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 96 * endpoints.len() as u32,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(endpoints.len()), |c| {
        rt.block_on(check(&h, &endpoints, c))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
