//! `Prefer: return=minimal` (RFC 7240, issue 18): a command answered with the uid, state and revision (and its
//! ETag) instead of the view, having taken effect all the same; without it the view is the answer.

use crate::common::{Harness, application};
use axum::http::StatusCode;
use lpaflow_api::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_minimal_answers_with_the_revision_and_the_command_takes_effect() {
    let h = Harness::start().await;
    let created = h
        .post("/v1/lpas")
        .role(Role::Service)
        .header("prefer", "return=minimal")
        .json(&application())
        .send()
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let body = created.json();
    let uid = body["uid"].as_str().unwrap().to_owned();
    assert_eq!(body, json!({"uid": uid, "state": "created", "revision": 1}));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.header("preference-applied"), Some("return=minimal"));
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/lpas/{uid}").as_str())
    );

    let fired = h
        .post(&format!("/v1/lpas/{uid}/events"))
        .role(Role::Service)
        .header("prefer", "handling=lenient, return=minimal")
        .json(&json!({"event": "submit"}))
        .send()
        .await;
    assert_eq!(fired.status, StatusCode::OK, "{}", fired.text());
    let body = fired.json();
    assert_eq!(
        body["revision"], 3,
        "the submission and the automatic clearing"
    );
    assert_eq!(
        body["state"], "discount_eligibility",
        "automatic transitions included"
    );
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
    assert_eq!(fired.header("etag"), Some("\"3\""));
    let view = h.view(&uid, Role::Service).await;
    assert_eq!(view["revision"], 3, "it took effect");

    let full = h
        .post(&format!("/v1/lpas/{uid}/events"))
        .role(Role::Service)
        .header("prefer", "return=representation")
        .json(&json!({"event": "record_payment", "payload": {"amountPence": 9200}}))
        .send()
        .await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.text());
    assert!(
        full.json()["allowedEvents"].is_array(),
        "the view by default"
    );
    assert_eq!(full.header("preference-applied"), None);
}
