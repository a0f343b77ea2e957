//! `Idempotency-Key`: a retry gets the original status, body and headers marked `Idempotent-Replayed: true`;
//! the same key with another request is 422; keys are per caller; twenty requests sent at once with one key
//! create one LPA.

use crate::common::{
    Harness, Reply, application, application_with, blocked_application, send, uid_of,
};
use axum::http::StatusCode;
use lpaflow_api::Role;
use lpaflow_core::Clock;
use serde_json::json;

async fn lpa_count(h: &Harness) -> usize {
    let r = h
        .get("/v1/lpas?limit=500")
        .role(Role::Caseworker)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["items"].as_array().unwrap().len()
}

fn replayed(r: &Reply) -> bool {
    r.header("idempotent-replayed") == Some("true")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_create_replays_the_original_status_body_and_headers() {
    let h = Harness::start().await;
    let create = || {
        h.post("/v1/lpas")
            .role(Role::Service)
            .header("idempotency-key", "create-ada-1")
            .json(&application())
    };
    let first = create().send().await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    assert!(!replayed(&first), "the first answer is not a replay");
    let again = create().send().await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert!(replayed(&again), "{:?}", again.headers);
    assert_eq!(again.json(), first.json());
    for name in ["location", "etag", "content-type"] {
        assert_eq!(again.header(name), first.header(name), "{name}");
    }
    assert_eq!(lpa_count(&h).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_event_replays_instead_of_firing_twice_and_refusals_replay_too() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let submit = || {
        h.post(&format!("/v1/lpas/{uid}/events"))
            .role(Role::Service)
            .header("idempotency-key", "submit-1")
            .json(&json!({"event": "submit"}))
    };
    let first = submit().send().await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let again = submit().send().await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "not 409: submit is not fired again"
    );
    assert!(replayed(&again));
    assert_eq!(again.json(), first.json());
    let history = h
        .get(&format!("/v1/lpas/{uid}/history"))
        .role(Role::Auditor)
        .send()
        .await
        .json();
    let submits = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "submit")
        .count();
    assert_eq!(submits, 1);

    let blocked = uid_of(&h.create_with(blocked_application()).await);
    let refuse = || {
        h.post(&format!("/v1/lpas/{blocked}/events"))
            .role(Role::Service)
            .header("idempotency-key", "submit-blocked")
            .json(&json!({"event": "submit"}))
    };
    let first = refuse().send().await;
    first.problem(StatusCode::UNPROCESSABLE_ENTITY, "guard_failed");
    let again = refuse().send().await;
    again.problem(StatusCode::UNPROCESSABLE_ENTITY, "guard_failed");
    assert!(replayed(&again));
    assert_eq!(again.json(), first.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_with_another_request_is_422_idempotency_key_reused() {
    let h = Harness::start().await;
    let first = h
        .post("/v1/lpas")
        .role(Role::Service)
        .header("idempotency-key", "k-1")
        .json(&application())
        .send()
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let other_body = application_with(json!({"donor": {"firstNames": "Augusta"}}));
    h.post("/v1/lpas")
        .role(Role::Service)
        .header("idempotency-key", "k-1")
        .json(&other_body)
        .send()
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    let uid = uid_of(&first.json());
    h.post(&format!("/v1/lpas/{uid}/events"))
        .role(Role::Service)
        .header("idempotency-key", "k-1")
        .json(&json!({"event": "submit"}))
        .send()
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    assert_eq!(lpa_count(&h).await, 1);
    assert_eq!(h.view(&uid, Role::Service).await["state"], "created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_belong_to_the_caller_and_malformed_keys_are_400() {
    let h = Harness::start().await;
    let other = h
        .auth
        .issue("another-service", Role::Service, 3600)
        .unwrap();
    for token in [h.token(Role::Service), other] {
        let r = h
            .post("/v1/lpas")
            .bearer(&token)
            .header("idempotency-key", "shared-key")
            .json(&application())
            .send()
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert!(!replayed(&r), "another caller's key is not mine");
    }
    assert_eq!(lpa_count(&h).await, 2);
    for key in ["x".repeat(256), "with space".to_owned(), String::new()] {
        h.post("/v1/lpas")
            .role(Role::Service)
            .header("idempotency-key", &key)
            .json(&application())
            .send()
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_idempotency_key");
    }
    assert_eq!(lpa_count(&h).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_creates_with_one_key_create_one_lpa_and_answer_alike() {
    let h = Harness::start().await;
    let body = application();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = h
            .post("/v1/lpas")
            .role(Role::Service)
            .header("idempotency-key", "concurrent-create")
            .json(&body)
            .build();
        tasks.spawn(send(h.router.clone(), request));
    }
    let replies: Vec<Reply> = tasks.join_all().await;
    for r in &replies {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(
            r.json(),
            replies[0].json(),
            "every answer has the same body"
        );
        assert_eq!(r.header("location"), replies[0].header("location"));
    }
    let originals = replies.iter().filter(|r| !replayed(r)).count();
    assert_eq!(originals, 1, "one request ran, nineteen were replayed");
    assert_eq!(lpa_count(&h).await, 1);
    let by_state = h.store.count_by_state().await.unwrap();
    assert_eq!(by_state, [("lpa".to_owned(), "created".to_owned(), 1)]);
}

/// The server committed the request and died before storing its response: the commit recorded itself on
/// the key, so the retry is answered (replayed) from the LPA as it is, and the event is not fired twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_committed_before_a_crash_is_answered_on_retry_not_run_again() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let token = h.token(Role::Service);
    let caller = h.auth.verify(&token).unwrap();
    let actor = caller.sub.clone();
    // Keys belong to (role, subject).
    let owner = lpaflow_api::idempotency::scope(&caller);
    let store = &h.store;
    let now = h.clock.now();
    // What the first request did before the crash: reserve the key, commit the event with the key.
    let path = format!("/v1/lpas/{uid}/events");
    let body = json!({"event": "submit"});
    let hash = lpaflow_api::idempotency::request_hash("POST", &path, body.to_string().as_bytes());
    // It reserved the key more than the lock timeout (60 s) ago and then died.
    let then = now - chrono::TimeDelta::seconds(120);
    let reserved = store
        .reserve_idempotency_key(
            &owner,
            "lost-1",
            &hash,
            then,
            then - chrono::TimeDelta::seconds(60),
        )
        .await
        .unwrap();
    assert_eq!(reserved, lpaflow_store::Reservation::Reserved);
    let mark = lpaflow_store::IdempotencyMark {
        actor: owner.clone(),
        key: "lost-1".into(),
    };
    let id = lpaflow_core::InstanceId::new(&uid);
    h.engine
        .fire_keyed(
            &id,
            lpaflow_core::Command::new("submit", actor.as_str(), "service"),
            Some(mark),
        )
        .await
        .unwrap();
    // The client retries with the same key and body.
    let retry = h
        .post(&path)
        .role(Role::Service)
        .header("idempotency-key", "lost-1")
        .json(&body)
        .send()
        .await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text());
    assert!(replayed(&retry));
    assert_ne!(retry.json()["state"], json!("created"));
    let history = h.engine.history(&id, 0, 100).await.unwrap();
    assert_eq!(
        history.iter().filter(|e| e.entry.event == "submit").count(),
        1,
        "submit must not run twice"
    );
    let again = h
        .post(&path)
        .role(Role::Service)
        .header("idempotency-key", "lost-1")
        .json(&body)
        .send()
        .await;
    assert_eq!(
        (again.status, again.json()),
        (retry.status, retry.json()),
        "later retries get the stored answer"
    );
}
