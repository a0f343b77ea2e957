//! `POST /v1/lpas`, `GET /v1/lpas/{uid}`, `POST /v1/lpas/{uid}/events`: every success and every refusal with
//! its status and code.

use crate::common::{
    Harness, Setup, application, application_with, attorney_uids, blocked_application, uid_of,
};
use axum::http::StatusCode;
use lpaflow_api::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_is_201_with_location_and_etag_and_the_view_is_200_with_the_same_etag() {
    let h = Harness::start().await;
    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&application())
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let created = r.json();
    let uid = uid_of(&created);
    assert!(
        lpaflow_lpa::validation::lpa_uid_well_formed(&uid),
        "a generated uid is well formed: {uid}"
    );
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/lpas/{uid}").as_str())
    );
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(created["state"], "created");
    assert_eq!(created["revision"], 1);
    assert_eq!(created["workflow"], json!({"name": "lpa", "version": 4}));
    assert_eq!(created["application"]["donor"]["lastName"], "Lovelace");
    let allowed = created["allowedEvents"].as_array().unwrap();
    assert!(allowed.contains(&json!("submit")), "{allowed:?}");
    assert!(
        !allowed.contains(&json!("accept_finding")),
        "a service is not offered caseworker events: {allowed:?}"
    );

    let r = h
        .get(&format!("/v1/lpas/{uid}"))
        .role(Role::Caseworker)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"1\""));
    let view = r.json();
    assert_eq!(view["uid"], uid.as_str());
    assert_eq!(view["application"], created["application"]);
    assert!(
        view["allowedEvents"]
            .as_array()
            .unwrap()
            .contains(&json!("change_status:cannot_register")),
        "a caseworker is offered caseworker events: {view}"
    );
    assert!(
        view.get("refusedEvents").is_none(),
        "only with ?explain=true"
    );
    let explained = h
        .get(&format!("/v1/lpas/{uid}?explain=true"))
        .role(Role::Service)
        .send()
        .await
        .json();
    assert!(
        explained["refusedEvents"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "{explained}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_none_match_with_the_current_revision_is_304() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let path = format!("/v1/lpas/{uid}");
    for tag in ["\"1\"", "W/\"1\"", "\"7\", \"1\"", "*"] {
        let r = h
            .get(&path)
            .role(Role::Service)
            .header("if-none-match", tag)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{tag}: {}", r.text());
        assert!(r.bytes.is_empty(), "a 304 has no body");
        assert_eq!(r.header("etag"), Some("\"1\""));
    }
    h.fire_ok(&uid, Role::Service, "submit", json!({})).await;
    let r = h
        .get(&path)
        .role(Role::Service)
        .header("if-none-match", "\"1\"")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "a changed LPA is sent again");
    let revision = r.json()["revision"].as_u64().unwrap();
    assert!(revision >= 2);
    assert_eq!(r.header("etag"), Some(format!("\"{revision}\"").as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_given_uid_is_kept_a_malformed_one_is_400_and_a_taken_one_is_409() {
    let h = Harness::start().await;
    let uid = "M-QWER-TY34-6789";
    let view = h.create_with(application_with(json!({"uid": uid}))).await;
    assert_eq!(view["uid"], uid);
    assert!(
        view["application"].get("uid").is_none(),
        "the uid is not part of the application"
    );
    h.post("/v1/lpas")
        .role(Role::Service)
        .json(&application_with(json!({"uid": uid})))
        .send()
        .await
        .problem(StatusCode::CONFLICT, "lpa_already_exists");
    h.post("/v1/lpas")
        .role(Role::Service)
        .json(&application_with(json!({"uid": "M-1234-5678-9ABC"})))
        .send()
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_uid");
    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&application_with(json!({"uid": 17})))
        .send()
        .await;
    r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.pointers(), ["/uid"]);
}

/// A role that may post to `path` (authorization comes before reading the body).
fn poster(path: &str) -> Role {
    [Role::Service, Role::Caseworker, Role::Admin]
        .into_iter()
        .find(|r| crate::common::may_post(path, *r))
        .unwrap_or(Role::Admin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_that_is_not_an_lpa_uid_is_400_invalid_uid_on_every_lpa_route() {
    let h = Harness::start().await;
    for (method, path) in [
        ("GET", "/v1/lpas/not-a-uid"),
        ("POST", "/v1/lpas/not-a-uid/events"),
        ("GET", "/v1/lpas/not-a-uid/history"),
        ("GET", "/v1/lpas/not-a-uid/chain-head"),
        ("GET", "/v1/lpas/not-a-uid/sync"),
        ("POST", "/v1/lpas/not-a-uid/sync/1/retry"),
        ("POST", "/v1/lpas/not-a-uid/sync/1/skip"),
        ("GET", "/v1/audit/verify?uid=not-a-uid"),
    ] {
        let role = if path.ends_with("/events") {
            Role::Service
        } else {
            Role::Admin
        };
        h.req(method.parse().unwrap(), path)
            .role(role)
            .json(&json!({"event": "submit"}))
            .send()
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_uid");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_lpa_is_404_lpa_not_found_on_every_lpa_route() {
    let h = Harness::start().await;
    let uid = "M-QWER-TY34-6789";
    for (method, path, role) in [
        ("GET", format!("/v1/lpas/{uid}"), Role::Service),
        ("POST", format!("/v1/lpas/{uid}/events"), Role::Service),
        ("GET", format!("/v1/lpas/{uid}/history"), Role::Auditor),
        ("GET", format!("/v1/lpas/{uid}/chain-head"), Role::Auditor),
        ("GET", format!("/v1/lpas/{uid}/sync"), Role::Caseworker),
        ("GET", format!("/v1/audit/verify?uid={uid}"), Role::Auditor),
    ] {
        h.req(method.parse().unwrap(), &path)
            .role(role)
            .json(&json!({"event": "submit"}))
            .send()
            .await
            .problem(StatusCode::NOT_FOUND, "lpa_not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_json_is_400_malformed_json_and_one_that_is_not_an_object_is_422() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let events = format!("/v1/lpas/{uid}/events");
    for path in [
        "/v1/lpas",
        events.as_str(),
        "/v1/opg/maintenance",
        "/v1/dev/clock",
    ] {
        for body in [&b"{\"event\": "[..], b"", b"not json", b"{\"a\":1}{"] {
            h.post(path)
                .role(poster(path))
                .body(body.to_vec())
                .send()
                .await
                .problem(StatusCode::BAD_REQUEST, "malformed_json");
        }
        let r = h
            .post(path)
            .role(poster(path))
            .json(&json!([1, 2]))
            .send()
            .await;
        r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.pointers(), [""], "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_application_is_422_listing_every_problem_with_its_pointer() {
    let h = Harness::start().await;
    let mut app = application();
    app["donor"].as_object_mut().unwrap().remove("firstNames");
    app["lpaType"] = json!(7);
    app["attorneys"][0]["dateOfBirth"] = json!("yesterday");
    app["favouriteColour"] = json!("green");
    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&app)
        .send()
        .await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let pointers = r.pointers();
    for expected in [
        "/donor/firstNames",
        "/lpaType",
        "/attorneys/0/dateOfBirth",
        "/favouriteColour",
    ] {
        assert!(
            pointers.iter().any(|p| p == expected),
            "{expected} in {p:#}"
        );
    }
    for e in p["errors"].as_array().unwrap() {
        assert!(e["detail"].as_str().is_some_and(|d| !d.is_empty()), "{e}");
    }
    let list = h.get("/v1/lpas").role(Role::Caseworker).send().await.json();
    assert_eq!(list["items"], json!([]), "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_event_request_is_422_listing_every_problem_with_its_pointer() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let path = format!("/v1/lpas/{uid}/events");
    let cases = [
        (json!({"payload": {}}), vec!["/event"]),
        (
            json!({"event": 7, "payload": 3}),
            vec!["/event", "/payload"],
        ),
        (
            json!({"evnt": "submit", "extra": true}),
            vec!["/evnt", "/extra", "/event"],
        ),
        (json!({"event": "Not An Event!"}), vec!["/event"]),
        (json!({"event": "submit", "payload": [1]}), vec!["/payload"]),
    ];
    for (body, expected) in cases {
        let r = h.post(&path).role(Role::Service).json(&body).send().await;
        r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let mut got = r.pointers();
        got.sort();
        let mut expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
        expected.sort();
        assert_eq!(got, expected, "{body}");
    }
    // The event's payload, read by the LPA rules: pointers under /payload.
    let revision = h.fire_ok(&uid, Role::Service, "submit", json!({})).await["revision"].clone();
    let r = h
        .fire(
            &uid,
            Role::Service,
            "record_payment",
            json!({"amountPence": "lots", "bogus": 1}),
        )
        .await;
    r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut got = r.pointers();
    got.sort();
    assert_eq!(got, ["/payload/amountPence", "/payload/bogus"]);
    let r = h
        .fire(
            &uid,
            Role::Service,
            "confirm_donor_identity",
            json!({"type": "passport"}),
        )
        .await;
    r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let got = r.pointers();
    assert!(got.contains(&"/payload/type".to_owned()), "{got:?}");
    assert!(got.contains(&"/payload/checkedAt".to_owned()), "{got:?}");
    assert_eq!(
        h.view(&uid, Role::Service).await["revision"],
        revision,
        "refused events change nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_if_match_is_409_revision_conflict_and_a_current_one_is_accepted() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let path = format!("/v1/lpas/{uid}/events");
    let submit = json!({"event": "submit", "payload": {}});
    h.post(&path)
        .role(Role::Service)
        .header("if-match", "\"2\"")
        .json(&submit)
        .send()
        .await
        .problem(StatusCode::CONFLICT, "revision_conflict");
    h.post(&path)
        .role(Role::Service)
        .header("if-match", "yesterday")
        .json(&submit)
        .send()
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_if_match");
    assert_eq!(h.view(&uid, Role::Service).await["state"], "created");
    let r = h
        .post(&path)
        .role(Role::Service)
        .header("if-match", "\"1\"")
        .json(&submit)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let view = r.json();
    assert_ne!(view["state"], "created");
    assert_eq!(
        r.header("etag"),
        Some(format!("\"{}\"", view["revision"]).as_str())
    );
    h.post(&path)
        .role(Role::Service)
        .header("if-match", "\"1\"")
        .json(&json!({"event": "withdraw"}))
        .send()
        .await
        .problem(StatusCode::CONFLICT, "revision_conflict");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_application_without_if_match_is_428_and_with_it_changes_the_data() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let path = format!("/v1/lpas/{uid}/events");
    let update = json!({"event": "update_application", "payload": {"donor": {"email": "ada@lovelace.example"}}});
    h.post(&path)
        .role(Role::Service)
        .json(&update)
        .send()
        .await
        .problem(StatusCode::PRECONDITION_REQUIRED, "if_match_required");
    assert_eq!(h.view(&uid, Role::Service).await["revision"], 1);
    let r = h
        .post(&path)
        .role(Role::Service)
        .header("if-match", "\"1\"")
        .json(&update)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"2\""));
    assert_eq!(
        r.json()["application"]["donor"]["email"],
        "ada@lovelace.example"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_guard_is_422_listing_every_unmet_condition() {
    let h = Harness::start().await;
    let uid = h.lpa_in_signing().await;
    let r = h
        .fire(&uid, Role::Caseworker, "enter_waiting_period", json!({}))
        .await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY, "guard_failed");
    assert_eq!(
        r.error_codes(),
        ["missing_signature"; 4],
        "donor, certificate provider and both attorneys: {p:#}"
    );
    let view = h.view(&uid, Role::Service).await;
    let details: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    for attorney in attorney_uids(&view) {
        assert!(
            details.iter().any(|d| d.contains(&attorney)),
            "attorney {attorney} is named: {details:?}"
        );
    }

    let blocked = uid_of(&h.create_with(blocked_application()).await);
    let r = h.fire(&blocked, Role::Service, "submit", json!({})).await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY, "guard_failed");
    let view = h.view(&blocked, Role::Caseworker).await;
    let rules: Vec<&str> = view["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "blocking")
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.len() >= 2, "{rules:?}");
    assert_eq!(r.error_codes(), vec!["blocking_finding"; rules.len()]);
    for rule in rules {
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["detail"].as_str().unwrap().contains(rule)),
            "{rule} is named: {p:#}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_may_not_act_is_403_forbidden() {
    let h = Harness::start().await;
    for role in [Role::Caseworker, Role::Auditor, Role::Admin] {
        h.post("/v1/lpas")
            .role(role)
            .json(&application())
            .send()
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden");
    }
    let uid = h.create().await;
    for (role, event, payload) in [
        (Role::Caseworker, "withdraw", json!({})),
        (Role::Auditor, "submit", json!({})),
        (Role::Admin, "withdraw", json!({})),
        (
            Role::Service,
            "change_status:cannot_register",
            json!({"reason": "a test"}),
        ),
        (Role::Service, "deadline_passed", json!({})),
    ] {
        h.fire(&uid, role, event, payload)
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden");
    }
    assert_eq!(h.view(&uid, Role::Service).await["revision"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_of_another_state_is_409_and_any_event_after_the_end_is_409_terminal_state() {
    let h = Harness::start().await;
    let uid = h.create().await;
    h.fire(&uid, Role::Service, "sign_as_donor", json!({}))
        .await
        .problem(StatusCode::CONFLICT, "not_allowed_in_state");
    h.fire(
        &uid,
        Role::Caseworker,
        "raise_objection",
        json!({"detail": "x"}),
    )
    .await
    .problem(StatusCode::CONFLICT, "not_allowed_in_state");
    let view = h.fire_ok(&uid, Role::Service, "withdraw", json!({})).await;
    assert_eq!(view["state"], "withdrawn");
    assert_eq!(view["allowedEvents"], json!([]));
    for (role, event) in [
        (Role::Service, "submit"),
        (Role::Caseworker, "accept_finding"),
    ] {
        h.fire(&uid, role, event, json!({}))
            .await
            .problem(StatusCode::CONFLICT, "terminal_state");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_workflow_does_not_have_is_422_unknown_event() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let r = h
        .fire(&uid, Role::Service, "fly_to_the_moon", json!({}))
        .await;
    r.problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown_event");
    assert_eq!(r.pointers(), ["/event"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_configured_limit_is_413_payload_too_large_on_every_post() {
    let h = Harness::with(Setup::default().config(|c| c.body_limit_bytes = 2048)).await;
    let uid = h.create().await;
    let big = json!({"event": "submit", "payload": {"note": "x".repeat(4096)}});
    for path in [
        "/v1/lpas".to_owned(),
        format!("/v1/lpas/{uid}/events"),
        "/v1/opg/maintenance".to_owned(),
        "/v1/dev/clock".to_owned(),
    ] {
        for key in [None, Some("big-body-1")] {
            let mut req = h.post(&path).role(poster(&path)).json(&big);
            if let Some(k) = key {
                req = req.header("idempotency-key", k);
            }
            req.send()
                .await
                .problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
        }
    }
    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&application())
        .send()
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "a body under the limit passes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_date_before_the_donors_identity_check_is_422_naming_the_field() {
    let h = Harness::start().await;
    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&application_with(json!({"channel": "paper"})))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let uid = uid_of(&r.json());
    h.fire_ok(
        &uid,
        Role::Service,
        "confirm_donor_identity",
        json!({"type": "opg-paper-id", "checkedAt": "2025-09-19T00:30:00+01:00"}),
    )
    .await;
    // 23:45 BST on 18 September is the UK day before the identity check (which is 23:30 UTC on the 18th).
    let path = format!("/v1/lpas/{uid}/events");
    let update = |received: &str| json!({"event": "update_application", "payload": {"receivedAt": received}});
    let revision = h.view(&uid, Role::Service).await["revision"].clone();
    let r = h
        .post(&path)
        .role(Role::Service)
        .header("if-match", &format!("\"{revision}\""))
        .json(&update("2025-09-18T23:45:00+01:00"))
        .send()
        .await;
    r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.pointers(), ["/payload/receivedAt"]);
    let r = h
        .post(&path)
        .role(Role::Service)
        .header("if-match", &format!("\"{revision}\""))
        .json(&update("2025-09-19"))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let view = r.json();
    assert_eq!(view["fee"]["feeDate"], "2025-09-19");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_application_received_just_after_uk_midnight_gets_that_days_fee_and_says_which_date_it_used()
 {
    let h = Harness::start().await;
    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&application_with(json!({
            "channel": "paper",
            "receivedAt": "2025-09-19T00:30:00+01:00"
        })))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let view = r.json();
    // 23:30 UTC on 18 September 2025 is 19 September in the UK: the new fee.
    assert_eq!(view["fee"]["feeDate"], "2025-09-19");
    assert_eq!(view["fee"]["amounts"]["fullCostPence"], 9200);
    assert_eq!(view["dates"]["timeZone"], "Europe/London");
    assert_eq!(
        view["dates"]["feeDate"],
        json!({"date": "2025-09-19", "source": "received"})
    );
    assert_eq!(view["dates"]["referenceDate"]["source"], "today");

    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&application_with(json!({
            "channel": "paper",
            "receivedAt": "2025-09-18T23:59:00+01:00"
        })))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["fee"]["amounts"]["fullCostPence"], 8200);

    // The console shows the fee date with its source and times in UK local time (BST in September).
    let uid = uid_of(&view);
    h.fire_ok(
        &uid,
        Role::Service,
        "record_payment",
        json!({"amountPence": 9200, "receivedAt": "2025-09-19T07:15:00Z"}),
    )
    .await;
    let cookie = h.console_cookie(Role::Caseworker).await;
    let page = h
        .get(&format!("/console/lpas/{uid}"))
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("19 Sep 2025 (received by the OPG)"),
        "fee date: {html}"
    );
    assert!(
        html.contains(r#"<time datetime="2025-09-19T08:15:00+01:00">19 Sep 2025 08:15 BST</time>"#),
        "payment received: {html}"
    );
    assert!(
        html.contains("Dates are local dates (Europe/London)"),
        "{html}"
    );
}
