//! Authorization first (issue 17, point 5): a role that may not use a route, or fire an event, gets 403 before
//! its body, path, query, `If-Match` or `Idempotency-Key` are looked at, and an idempotent answer is never
//! replayed to the same subject acting in another role.

use crate::common::Harness;
use axum::http::StatusCode;
use lpaflow_api::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_firing_an_event_gets_403_whatever_its_if_match_body_or_key() {
    let h = Harness::start().await;
    let uid = h.create().await;
    h.fire_ok(&uid, Role::Service, "submit", json!({})).await;
    let path = format!("/v1/lpas/{uid}/events");
    let update = json!({"event": "update_application", "payload": {}});
    // Stale If-Match (the LPA is at revision 2 or more), missing If-Match, broken body, malformed key.
    let stale = h
        .post(&path)
        .role(Role::Auditor)
        .header("if-match", "\"1\"")
        .json(&update)
        .send()
        .await;
    stale.problem(StatusCode::FORBIDDEN, "forbidden");
    let missing = h.post(&path).role(Role::Auditor).json(&update).send().await;
    missing.problem(StatusCode::FORBIDDEN, "forbidden");
    let broken = h.post(&path).role(Role::Auditor).body("{").send().await;
    broken.problem(StatusCode::FORBIDDEN, "forbidden");
    let bad_key = h
        .post(&path)
        .role(Role::Auditor)
        .header("idempotency-key", "with space")
        .json(&update)
        .send()
        .await;
    bad_key.problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_may_not_fire_the_event_gets_403_before_the_revision_check() {
    let h = Harness::start().await;
    let uid = h.create().await;
    h.fire_ok(&uid, Role::Service, "submit", json!({})).await;
    let path = format!("/v1/lpas/{uid}/events");
    let update = json!({"event": "update_application", "payload": {}});
    // Caseworkers fire events, but not `update_application` (services only).
    for if_match in [Some("\"1\""), None] {
        let mut req = h.post(&path).role(Role::Caseworker).json(&update);
        if let Some(v) = if_match {
            req = req.header("if-match", v);
        }
        req.send().await.problem(StatusCode::FORBIDDEN, "forbidden");
    }
    // The service that may fire it still gets the precondition problems.
    h.post(&path)
        .role(Role::Service)
        .json(&update)
        .send()
        .await
        .problem(StatusCode::PRECONDITION_REQUIRED, "if_match_required");
    h.post(&path)
        .role(Role::Service)
        .header("if-match", "\"1\"")
        .json(&update)
        .send()
        .await
        .problem(StatusCode::CONFLICT, "revision_conflict");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_is_not_replayed_to_the_same_subject_in_another_role() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let path = format!("/v1/lpas/{uid}/events");
    let as_service = h.auth.issue("shared-sub", Role::Service, 3600).unwrap();
    let as_caseworker = h.auth.issue("shared-sub", Role::Caseworker, 3600).unwrap();
    let submit = json!({"event": "withdraw"});
    let first = h
        .post(&path)
        .bearer(&as_service)
        .header("idempotency-key", "k-1")
        .json(&submit)
        .send()
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let other_role = h
        .post(&path)
        .bearer(&as_caseworker)
        .header("idempotency-key", "k-1")
        .json(&submit)
        .send()
        .await;
    assert_eq!(other_role.header("idempotent-replayed"), None);
    other_role.problem(StatusCode::FORBIDDEN, "forbidden");
    let same_role = h
        .post(&path)
        .bearer(&as_service)
        .header("idempotency-key", "k-1")
        .json(&submit)
        .send()
        .await;
    assert_eq!(same_role.header("idempotent-replayed"), Some("true"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_gated_route_refuses_before_parsing_its_input() {
    let h = Harness::start().await;
    let cases: [(&str, &str, Role); 7] = [
        ("POST", "/v1/lpas", Role::Auditor),
        ("GET", "/v1/lpas/not-a-uid/history?limit=x", Role::Service),
        ("GET", "/v1/lpas/not-a-uid/chain-head", Role::Service),
        ("GET", "/v1/audit/verify?uid=bad", Role::Caseworker),
        ("POST", "/v1/lpas/not-a-uid/sync/x/retry", Role::Caseworker),
        ("DELETE", "/v1/opg/maintenance/x", Role::Service),
        // The development clock is off here: still 403 before 404 for a role that may not move it.
        ("POST", "/v1/dev/clock", Role::Caseworker),
    ];
    for (method, uri, role) in cases {
        let r = h
            .req(method.parse().unwrap(), uri)
            .role(role)
            .body("{")
            .send()
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {uri}: {}",
            r.text()
        );
    }
    h.get("/v1/lpas?limit=x")
        .role(Role::Service)
        .send()
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
}
