//! The real binary end to end: `lpaflow serve --dev --dev-clock` on port 0 with a temporary database and the
//! embedded OPG simulator (which checks the AWS signature of every request); an online and a paper LPA driven
//! over HTTP from creation to `registered` with the service, caseworker and admin tokens it prints (the admin
//! moves the development clock past the 28-day waiting period), synced with OPG, its history verified by the
//! auditor.
#![allow(clippy::unwrap_used)]

mod common;

use common::server::Server;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

async fn fire(server: &Server, uid: &str, role: &str, event: &str, payload: Value) -> Value {
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/v1/lpas/{uid}/events"),
            Some(role),
            Some(&json!({"event": event, "payload": payload})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{event} as {role}: {body:#}");
    body
}

/// A paper LPA: every actor on paper (no emails), made by the paper-scanning service, identities checked on
/// paper after the donor signed.
fn paper_application() -> Value {
    let mut app = common::opg::application();
    app["channel"] = json!("paper");
    for a in app["attorneys"].as_array_mut().unwrap() {
        a["channel"] = json!("paper");
        a.as_object_mut().unwrap().remove("email");
    }
    app["certificateProvider"]["channel"] = json!("paper");
    app["certificateProvider"]
        .as_object_mut()
        .unwrap()
        .remove("email");
    app
}

/// Drives the paper LPA `uid` to the waiting period over HTTP.
async fn paper_to_waiting_period(server: &Server, uid: &str) {
    fire(server, uid, "service", "submit", json!({})).await;
    let pay = json!({"amountPence": 9200});
    fire(server, uid, "service", "record_payment", pay).await;
    fire(server, uid, "service", "sign_as_donor", json!({})).await;
    let checked = (chrono::Utc::now() - chrono::TimeDelta::minutes(5)).to_rfc3339();
    for event in [
        "confirm_donor_identity",
        "confirm_certificate_provider_identity",
    ] {
        let check = json!({"type": "opg-paper-id", "checkedAt": checked});
        fire(server, uid, "service", event, check).await;
    }
    let view = fire(
        server,
        uid,
        "service",
        "sign_as_certificate_provider",
        json!({}),
    )
    .await;
    for attorney in view["application"]["attorneys"].as_array().unwrap() {
        let sign = json!({"uid": attorney["uid"], "confirmedNotBankrupt": true});
        fire(server, uid, "service", "sign_as_attorney", sign).await;
    }
    let view = fire(server, uid, "caseworker", "enter_waiting_period", json!({})).await;
    assert_eq!(view["state"], "statutory_waiting_period", "{view:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_and_a_paper_lpa_go_from_creation_to_registered_over_http_synced_with_opg() {
    let server = Server::start_dev(&[]);
    assert!(
        server.dir.path().join(".lpaflow-dev-secret").is_file(),
        "the development secret is kept in the working directory"
    );
    let (status, health) = server.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ready", "{health}");
    assert_eq!(health["opg"], "up", "the embedded simulator answers");

    let (status, created) = server
        .call(
            Method::POST,
            "/v1/lpas",
            Some("service"),
            Some(&common::opg::application()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created:#}");
    let uid = created["uid"].as_str().unwrap().to_owned();

    // Services make and sign the LPA; a caseworker starts the waiting period.
    fire(&server, &uid, "service", "submit", json!({})).await;
    let view = fire(
        &server,
        &uid,
        "service",
        "record_payment",
        json!({"amountPence": 9200}),
    )
    .await;
    assert_eq!(view["state"], "signing", "{view:#}");
    let checked = (chrono::Utc::now() - chrono::TimeDelta::minutes(5)).to_rfc3339();
    fire(
        &server,
        &uid,
        "service",
        "confirm_donor_identity",
        json!({"type": "one-login", "checkedAt": checked}),
    )
    .await;
    fire(
        &server,
        &uid,
        "service",
        "confirm_certificate_provider_identity",
        json!({"type": "opg-paper-id", "checkedAt": checked}),
    )
    .await;
    fire(&server, &uid, "service", "sign_as_donor", json!({})).await;
    let view = fire(
        &server,
        &uid,
        "service",
        "sign_as_certificate_provider",
        json!({}),
    )
    .await;
    for attorney in view["application"]["attorneys"].as_array().unwrap() {
        fire(
            &server,
            &uid,
            "service",
            "sign_as_attorney",
            json!({"uid": attorney["uid"], "confirmedNotBankrupt": true}),
        )
        .await;
    }
    let (status, refused) = server
        .call(
            Method::POST,
            &format!("/v1/lpas/{uid}/events"),
            Some("service"),
            Some(&json!({"event": "raise_objection", "payload": {"detail": "x"}})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let view = fire(
        &server,
        &uid,
        "caseworker",
        "enter_waiting_period",
        json!({}),
    )
    .await;
    assert_eq!(view["state"], "statutory_waiting_period", "{view:#}");
    let (status, paper) = server
        .call(
            Method::POST,
            "/v1/lpas",
            Some("service"),
            Some(&paper_application()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paper:#}");
    let paper_uid = paper["uid"].as_str().unwrap().to_owned();
    paper_to_waiting_period(&server, &paper_uid).await;

    // Only an admin moves the development clock.
    let advance = json!({"advance": "29d"});
    let (status, _) = server
        .call(
            Method::POST,
            "/v1/dev/clock",
            Some("caseworker"),
            Some(&advance),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, moved) = server
        .call(Method::POST, "/v1/dev/clock", Some("admin"), Some(&advance))
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");

    let started = Instant::now();
    loop {
        let (_, view) = server
            .call(
                Method::GET,
                &format!("/v1/lpas/{paper_uid}"),
                Some("caseworker"),
                None,
            )
            .await;
        if view["state"] == "registered" && view["sync"]["status"] == "synced" {
            assert_eq!(view["sync"]["failed"], json!([]), "{view:#}");
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the paper LPA is not registered and synced in {DEADLINE:?}: {view:#}\nserver log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let view = loop {
        let (status, view) = server
            .call(
                Method::GET,
                &format!("/v1/lpas/{uid}"),
                Some("caseworker"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        if view["state"] == "registered" && view["sync"]["status"] == "synced" {
            break view;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "not registered and synced in {DEADLINE:?}: {view:#}\nserver log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(view["status"], "registered", "the LPA Store status");
    assert_eq!(view["sync"]["failed"], json!([]));

    let (status, sync) = server
        .call(
            Method::GET,
            &format!("/v1/lpas/{uid}/sync"),
            Some("admin"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let steps = sync["steps"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["status"] == "done"), "{sync:#}");
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(names.first(), Some(&"opg.create"), "{names:?}");
    assert_eq!(names.last(), Some(&"opg.update:REGISTER"), "{names:?}");

    let (status, history) = server
        .call(
            Method::GET,
            &format!("/v1/lpas/{uid}/history"),
            Some("auditor"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "registration_confirmed", "{last}");
    assert_eq!(last["to"], "registered");
    let (status, verified) = server
        .call(
            Method::GET,
            &format!("/v1/audit/verify?uid={uid}"),
            Some("auditor"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified["ok"], true, "{verified}");
    let (_, metrics) = server.call(Method::GET, "/metrics", None, None).await;
    assert!(
        metrics
            .as_str()
            .is_some_and(|m| m.contains("lpaflow_transitions_total")),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_problems_for_bad_tokens_and_unknown_routes() {
    let server = Server::start_dev(&[]);
    let (status, p) = server.call(Method::GET, "/v1/lpas", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(p["code"], "unauthenticated");
    let (status, p) = server
        .call(Method::GET, "/v1/nothing-here", Some("admin"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(p["code"], "not_found");
    let (status, doc) = server.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["paths"]["/v1/lpas"]["post"].is_object());
}
