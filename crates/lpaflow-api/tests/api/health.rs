//! Liveness, readiness when the database is gone, Prometheus metrics, the development clock, and the problems
//! for routes and methods that do not exist.

use crate::common::{Harness, Setup};
use axum::http::StatusCode;
use lpaflow_api::Role;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_ok_and_readyz_is_ready_with_no_backlog() {
    let h = Harness::start().await;
    let r = h.get("/healthz").send().await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"status": "ok"}));
    let r = h.get("/readyz").send().await;
    assert_eq!(r.status, StatusCode::OK);
    let mut ready = r.json();
    let nodes = ready
        .as_object_mut()
        .and_then(|o| o.remove("nodes"))
        .expect("the engine processes are listed");
    assert_eq!(
        ready,
        json!({"status": "ready", "database": "ok", "opg": "not_configured", "breaker": "closed",
               "pendingSteps": 0, "oldestPendingSeconds": 0})
    );
    let nodes = nodes.as_array().expect("an array");
    assert_eq!(nodes.len(), 1, "{nodes:?}");
    assert_eq!(nodes[0]["nodeId"], json!(h.engine.node_id()));
    assert_eq!(nodes[0]["self"], json!(true));
    assert!(
        nodes[0]["heartbeatAgeMs"]
            .as_i64()
            .is_some_and(|ms| ms >= 0)
    );

    // The heartbeat loop publishes how many processes are alive.
    crate::common::eventually("lpaflow_nodes_alive is published", || async {
        let text = h.get("/metrics").send().await.text();
        text.lines()
            .any(|l| l.starts_with("lpaflow_nodes_alive ") && l.ends_with(" 1"))
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_not_ready_once_the_store_is_shut_down() {
    let h = Harness::start().await;
    h.engine.shutdown().await;
    let r = h.get("/readyz").send().await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    assert_eq!(r.json()["status"], "not_ready");
    let r = h.get("/healthz").send().await;
    assert_eq!(r.status, StatusCode::OK, "the process itself still answers");
}

/// The lines of a Prometheus exposition that start with `name` and carry every label of `labels`.
fn series<'a>(text: &'a str, name: &str, labels: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.starts_with(name) && labels.iter().all(|x| l.contains(x)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_expose_transitions_commit_and_http_latency_backlog_and_the_breaker() {
    let h = Harness::with(Setup::default().opg_at(&crate::common::dead_url().await)).await;
    // Nothing is submitted, so nothing is sent to OPG and the breaker never changes state: its series must
    // be there all the same.
    let uid = h.create().await;
    h.fire_ok(
        &uid,
        Role::Service,
        "record_payment",
        json!({"amountPence": 9200}),
    )
    .await;
    h.fire(&uid, Role::Service, "sign_as_donor", json!({}))
        .await;
    let r = h.get("/metrics").send().await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain")),
        "{:?}",
        r.headers
    );
    let text = r.text();
    for (name, labels) in [
        (
            "lpaflow_transitions_total",
            &[
                r#"workflow="lpa""#,
                r#"event="create""#,
                r#"result="accepted""#,
            ][..],
        ),
        (
            "lpaflow_transitions_total",
            &[
                r#"workflow="lpa""#,
                r#"event="record_payment""#,
                r#"result="accepted""#,
            ],
        ),
        (
            "lpaflow_transitions_total",
            &[
                r#"event="sign_as_donor""#,
                r#"result="not_allowed_in_state""#,
            ],
        ),
        ("lpaflow_commit_seconds_bucket", &[]),
        (
            "lpaflow_http_request_seconds_bucket",
            &[r#"route="/v1/lpas""#, r#"method="POST""#, r#"status="201""#],
        ),
        (
            "lpaflow_http_request_seconds_bucket",
            &[r#"route="/v1/lpas/{uid}/events""#, r#"status="409""#],
        ),
        ("lpaflow_outbox_backlog", &[r#"status="queued""#]),
        ("lpaflow_outbox_backlog", &[r#"status="failed""#]),
        (
            "lpaflow_instances",
            &[r#"workflow="lpa""#, r#"state="created""#],
        ),
        ("lpaflow_breaker_state", &[]),
    ] {
        assert!(
            !series(&text, name, labels).is_empty(),
            "{name} {labels:?} in:\n{text}"
        );
    }
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        assert!(
            line.starts_with("lpaflow_"),
            "every series is lpaflow_: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_clock_is_404_when_off() {
    let h = Harness::with(Setup {
        dev_clock: false,
        ..Setup::default()
    })
    .await;
    h.post("/v1/dev/clock")
        .role(Role::Admin)
        .json(&json!({"advance": "1d"}))
        .send()
        .await
        .problem(StatusCode::NOT_FOUND, "dev_clock_disabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_move_the_dev_clock_and_only_by_a_duration() {
    let h = Harness::start().await;
    for role in [Role::Service, Role::Caseworker, Role::Auditor] {
        h.post("/v1/dev/clock")
            .role(role)
            .json(&json!({"advance": "1d"}))
            .send()
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden");
    }
    for body in [
        json!({}),
        json!({"advance": 5}),
        json!({"advance": "soon"}),
        json!({"advance": "-3d"}),
        json!({"advance": "1000000w"}),
    ] {
        let r = h
            .post("/v1/dev/clock")
            .role(Role::Admin)
            .json(&body)
            .send()
            .await;
        r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.pointers(), ["/advance"], "{body}");
    }
    assert_eq!(
        h.clock.offset(),
        chrono::TimeDelta::zero(),
        "the clock did not move"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_the_dev_clock_past_28_days_ends_the_waiting_period() {
    let h = Harness::start().await;
    let uid = h.lpa_waiting().await;
    let view = h.view(&uid, Role::Caseworker).await;
    assert!(view["waitingPeriod"]["endsAt"].is_string(), "{view:#}");
    assert!(view["waitingPeriod"].get("elapsedAt").is_none());
    let r = h
        .post("/v1/dev/clock")
        .role(Role::Admin)
        .json(&json!({"advance": "29d"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let moved = r.json();
    assert_eq!(moved["offsetSeconds"], 29 * 86_400);
    assert!(moved["now"].is_string());
    let view = h
        .view_until(&uid, "the waiting period timer fires", |v| {
            v["waitingPeriod"]["elapsedAt"].is_string()
        })
        .await;
    // Registration is requested at once: the LPA now waits for OPG's confirmation (nothing delivers here).
    let view = if view["awaiting"].is_null() {
        h.view_until(&uid, "registration is requested", |v| {
            !v["awaiting"].is_null()
        })
        .await
    } else {
        view
    };
    assert_eq!(view["state"], "statutory_waiting_period");
    assert_eq!(view["sync"]["status"], "awaiting_sync");
    let pending: Vec<&str> = view["sync"]["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(pending.contains(&"opg.update:REGISTER"), "{pending:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_are_404_and_wrong_methods_405_as_problems() {
    let h = Harness::start().await;
    for path in [
        "/nope",
        "/v1",
        "/v1/nope",
        "/v2/lpas",
        "/v1/lpas/M-QWER-TY34-6789/nope",
    ] {
        h.get(path)
            .role(Role::Admin)
            .send()
            .await
            .problem(StatusCode::NOT_FOUND, "not_found");
    }
    for (method, path) in [
        ("DELETE", "/v1/lpas"),
        ("PUT", "/v1/lpas/M-QWER-TY34-6789"),
        ("GET", "/v1/lpas/M-QWER-TY34-6789/events"),
        ("POST", "/healthz"),
        ("POST", "/metrics"),
        ("GET", "/v1/dev/clock"),
        ("PATCH", "/v1/opg/maintenance/1"),
    ] {
        h.req(method.parse().unwrap(), path)
            .role(Role::Admin)
            .send()
            .await
            .problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_not_answered_in_time_is_503_request_timeout_as_a_problem() {
    let h = Harness::with(Setup::default().config(|c| c.request_timeout = Duration::ZERO)).await;
    // Creating waits for a database commit, so it cannot be answered within no time at all.
    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&crate::common::application())
        .send()
        .await;
    let p = r.problem(StatusCode::SERVICE_UNAVAILABLE, "request_timeout");
    assert!(p["requestId"].is_string(), "{p}");
    assert_eq!(r.header("retry-after"), Some("1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operations_page_lists_the_engine_processes_with_their_heartbeat() {
    let h = Harness::start().await;
    let cookie = h.console_cookie(Role::Admin).await;
    let page = h.get("/console/ops").header("cookie", &cookie).send().await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("<caption class=\"table-caption\">Engine processes</caption>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("{} (this one)", h.engine.node_id())),
        "{html}"
    );
    assert!(html.contains(" seconds ago"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintenance_window_planned_in_the_console_is_read_as_uk_local_time() {
    let h = Harness::start().await;
    let cookie = h.console_cookie(Role::Admin).await;
    let html = h
        .get("/console/ops")
        .header("cookie", &cookie)
        .send()
        .await
        .text();
    let csrf = regex::Regex::new(r#"name="csrf" value="([0-9a-f]+)""#)
        .expect("valid")
        .captures(&html)
        .expect("a form with its CSRF token")[1]
        .to_owned();
    // 22:00 to 23:00 on 1 July 2031 in the UK is British Summer Time: 21:00 to 22:00 UTC.
    let r = h
        .post("/console/ops/maintenance")
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf={csrf}&from=2031-07-01T22%3A00&to=2031-07-01T23%3A00&reason=summer+upgrade"
        ))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let windows = h
        .get("/v1/opg/maintenance")
        .role(Role::Admin)
        .send()
        .await
        .json();
    let list = windows.as_array().expect("a list of windows");
    assert_eq!(list.len(), 1, "{windows}");
    assert_eq!(
        (&list[0]["startsAt"], &list[0]["endsAt"], &list[0]["reason"]),
        (
            &json!("2031-07-01T21:00:00Z"),
            &json!("2031-07-01T22:00:00Z"),
            &json!("summer upgrade")
        ),
        "{windows}"
    );
    // And the operations page shows it back in UK local time.
    let page = h
        .get("/console/ops")
        .header("cookie", &cookie)
        .send()
        .await
        .text();
    assert!(page.contains("1 Jul 2031 22:00 BST"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_waits_by_the_wall_clock_whatever_the_development_clock_says() {
    let h = Harness::start().await;
    let uid = h.sent_to_opg().await;
    let r = h
        .post("/v1/dev/clock")
        .role(Role::Admin)
        .json(&json!({"advance": "28d"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let day = 24 * 3600;
    let status = h
        .get("/v1/opg/status")
        .role(Role::Admin)
        .send()
        .await
        .json();
    assert_eq!(status["pendingSteps"], 1, "{status}");
    let waited = status["oldestPendingSeconds"].as_i64().unwrap();
    assert!(waited < day, "the step was enqueued moments ago: {status}");
    let ready = h.get("/readyz").send().await.json();
    let waited = ready["oldestPendingSeconds"].as_i64().unwrap();
    assert!(waited < day, "{ready}");
    let cookie = h.console_cookie(Role::Admin).await;
    let page = h
        .get(&format!("/console/lpas/{uid}"))
        .header("cookie", &cookie)
        .send()
        .await
        .text();
    let waiting = regex::Regex::new(
        r"<code>opg.create</code></span></td><td>[^<]*</td><td>[0-9]+</td><td>([^<]*)</td>",
    )
    .unwrap()
    .captures(&page)
    .unwrap_or_else(|| panic!("the step's row in {page}"))[1]
        .to_owned();
    assert!(
        !waiting.contains("day"),
        "waited by the wall clock: {waiting}"
    );
}
