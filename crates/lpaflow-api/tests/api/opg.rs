//! `GET /v1/opg/status`, the maintenance windows an admin plans, and readiness as OPG goes down, into
//! maintenance and back up: the engine delivers to a real OPG simulator with faults switched at run time.

use crate::common::{Harness, Setup};
use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use lpaflow_api::Role;
use lpaflow_core::Clock;
use lpaflow_opg::{Faults, SimulatorConfig, SimulatorHandle};
use serde_json::{Value, json};

async fn simulator(dir: &std::path::Path) -> SimulatorHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = SimulatorConfig::new(dir.join("sim.db"), lpaflow_opg::DEV_JWT_SECRET);
    config.outage_retry_after_s = 1;
    lpaflow_opg::simulator::start(config, listener)
        .await
        .unwrap()
}

/// `/readyz` without its list of engine processes (`health.rs` checks that).
async fn readyz(h: &Harness) -> Value {
    let r = h.get("/readyz").send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let mut ready = r.json();
    if let Some(o) = ready.as_object_mut() {
        o.remove("nodes");
    }
    ready
}

async fn readyz_until(h: &Harness, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    crate::common::eventually(what, || async {
        let r = readyz(h).await;
        done(&r).then_some(r)
    })
    .await
}

async fn opg_status(h: &Harness) -> Value {
    let r = h.get("/v1/opg/status").role(Role::Service).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_degraded_while_opg_is_down_and_ready_once_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let sim = simulator(dir.path()).await;
    let h = Harness::with(Setup::default().opg_at(&sim.base_url())).await;
    assert_eq!(
        readyz(&h).await,
        json!({"status": "ready", "database": "ok", "opg": "up", "breaker": "closed",
               "pendingSteps": 0, "oldestPendingSeconds": 0})
    );
    sim.set_faults(Faults {
        outage: true,
        ..Faults::default()
    })
    .unwrap();
    let mut uids = Vec::new();
    for _ in 0..3 {
        uids.push(h.sent_to_opg().await);
    }
    let degraded = readyz_until(&h, "the breaker opens", |r| r["status"] == "degraded").await;
    assert_eq!(degraded["opg"], "down", "{degraded}");
    assert_eq!(degraded["database"], "ok");
    assert_eq!(degraded["pendingSteps"], 3, "one opg.create per LPA");
    assert!(
        degraded["oldestPendingSeconds"].as_u64().is_some(),
        "{degraded}"
    );
    assert_ne!(degraded["breaker"], "closed");
    let keys: Vec<&String> = degraded.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "breaker",
            "database",
            "oldestPendingSeconds",
            "opg",
            "opgLastError",
            "pendingSteps",
            "reason",
            "status"
        ]
    );
    assert_eq!(degraded["reason"], "opg_unavailable");
    assert_eq!(degraded["opgLastError"]["status"], 503, "{degraded}");
    let status = opg_status(&h).await;
    assert_eq!(status["opg"], "down");
    assert_eq!(status["pendingSteps"], 3);
    assert_eq!(status["failedSteps"], 0);
    for uid in &uids {
        let view = h.view(uid, Role::Caseworker).await;
        assert_eq!(view["sync"]["status"], "pending", "an outage fails nothing");
    }

    sim.set_faults(Faults::default()).unwrap();
    let ready = readyz_until(&h, "OPG is back and the backlog is delivered", |r| {
        r["status"] == "ready" && r["pendingSteps"] == 0
    })
    .await;
    assert_eq!(ready["opg"], "up");
    for uid in &uids {
        let view = h
            .view_until(uid, "the LPA is synced", |v| {
                v["sync"]["status"] == "synced"
            })
            .await;
        assert_eq!(view["sync"]["failed"], json!([]));
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintenance_window_in_force_degrades_readiness_until_it_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let sim = simulator(dir.path()).await;
    let h = Harness::with(Setup::default().opg_at(&sim.base_url())).await;
    let now = h.clock.now();
    let r = h
        .post("/v1/opg/maintenance")
        .role(Role::Admin)
        .json(&json!({
            "from": (now - TimeDelta::minutes(1)).to_rfc3339(),
            "to": (now + TimeDelta::hours(1)).to_rfc3339(),
            "reason": "OPG database upgrade"
        }))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let degraded = readyz_until(&h, "maintenance is in force", |r| r["status"] == "degraded").await;
    assert_eq!(degraded["opg"], "maintenance", "{degraded}");
    let _uid = h.sent_to_opg().await;
    let status = opg_status(&h).await;
    assert_eq!(status["opg"], "maintenance");
    assert_eq!(status["maintenance"]["id"], id);
    assert_eq!(status["pendingSteps"], 1, "the step waits: {status}");

    let r = h
        .delete(&format!("/v1/opg/maintenance/{id}"))
        .role(Role::Admin)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    readyz_until(&h, "the window is removed and the step delivered", |r| {
        r["status"] == "ready" && r["pendingSteps"] == 0
    })
    .await;
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_plan_list_and_cancel_maintenance_windows() {
    let h = Harness::start().await;
    let from = Utc::now() + TimeDelta::days(2);
    let window = json!({
        "from": from.to_rfc3339(),
        "to": (from + TimeDelta::hours(3)).to_rfc3339(),
        "reason": "  planned upgrade  "
    });
    for role in [Role::Service, Role::Caseworker, Role::Auditor] {
        h.post("/v1/opg/maintenance")
            .role(role)
            .json(&window)
            .send()
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden");
    }
    let r = h
        .post("/v1/opg/maintenance")
        .role(Role::Admin)
        .json(&window)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let planned = r.json();
    assert_eq!(planned["reason"], "planned upgrade");
    assert_eq!(planned["createdBy"], "test-admin");
    let id = planned["id"].as_i64().unwrap();
    for role in [Role::Service, Role::Auditor] {
        let r = h.get("/v1/opg/maintenance").role(role).send().await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json(), json!([planned]));
    }
    let path = format!("/v1/opg/maintenance/{id}");
    h.delete(&path)
        .role(Role::Caseworker)
        .send()
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    let r = h.delete(&path).role(Role::Admin).send().await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.bytes.is_empty());
    h.delete(&path)
        .role(Role::Admin)
        .send()
        .await
        .problem(StatusCode::NOT_FOUND, "maintenance_not_found");
    h.delete("/v1/opg/maintenance/next")
        .role(Role::Admin)
        .send()
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_path");
    let r = h.get("/v1/opg/maintenance").role(Role::Admin).send().await;
    assert_eq!(r.json(), json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_window_is_422_naming_every_problem() {
    let h = Harness::start().await;
    let t = Utc::now() + TimeDelta::days(1);
    let cases = [
        (
            json!({"from": "tomorrow", "to": 5, "colour": "red"}),
            vec!["/colour", "/from", "/to", "/reason"],
        ),
        (
            json!({"from": t.to_rfc3339(), "to": (t - TimeDelta::hours(1)).to_rfc3339(), "reason": "x"}),
            vec!["/to"],
        ),
        (
            json!({"from": t.to_rfc3339(), "to": t.to_rfc3339(), "reason": "x"}),
            vec!["/to"],
        ),
        (
            json!({"from": t.to_rfc3339(), "to": (t + TimeDelta::hours(1)).to_rfc3339(), "reason": "x".repeat(501)}),
            vec!["/reason"],
        ),
        (
            json!({"from": t.to_rfc3339(), "to": (t + TimeDelta::hours(1)).to_rfc3339(), "reason": "   "}),
            vec!["/reason"],
        ),
    ];
    for (body, expected) in cases {
        let r = h
            .post("/v1/opg/maintenance")
            .role(Role::Admin)
            .json(&body)
            .send()
            .await;
        r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.pointers(), expected, "{body}");
    }
    let r = h.get("/v1/opg/maintenance").role(Role::Admin).send().await;
    assert_eq!(r.json(), json!([]), "nothing was planned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opg_status_without_delivery_is_not_configured_and_counts_the_backlog() {
    let h = Harness::start().await;
    let _uid = h.sent_to_opg().await;
    let status = opg_status(&h).await;
    assert_eq!(status["opg"], "not_configured");
    assert_eq!(status["breaker"], "closed");
    assert_eq!(status["pendingSteps"], 1);
    assert_eq!(status["failedSteps"], 0);
    assert_eq!(status["byStatus"]["queued"], 1, "{status}");
    assert!(
        status["oldestPendingSeconds"]
            .as_i64()
            .is_some_and(|s| s >= 0)
    );
    assert_eq!(readyz(&h).await["status"], "ready", "no OPG to be down");
}

/// A simulator that checks AWS signatures like the store's API Gateway, with this key pair.
async fn signing_simulator(dir: &std::path::Path) -> SimulatorHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = SimulatorConfig::new(dir.join("sim.db"), lpaflow_opg::DEV_JWT_SECRET);
    config.aws = Some(lpaflow_opg::simulator::AwsVerification {
        access_key_id: "AKIDLPAFLOWTEST".into(),
        secret_access_key: "the-right-secret".into(),
        region: "eu-west-2".into(),
    });
    lpaflow_opg::simulator::start(config, listener)
        .await
        .unwrap()
}

fn signing(secret: &str) -> lpaflow_opg::client::AwsSigning {
    lpaflow_opg::client::AwsSigning {
        region: "eu-west-2".into(),
        access_key_id: "AKIDLPAFLOWTEST".into(),
        secret_access_key: secret.into(),
        session_token: None,
    }
}

/// Three LPAs sent to a simulator that checks signatures, by a client signing with `aws` (`None`: unsigned):
/// `/readyz` is degraded with `opg_credentials_refused` and API Gateway's words (`detail` among them), the
/// breaker stops the retries and no step fails.
async fn credentials_refused_quietly(aws: Option<lpaflow_opg::client::AwsSigning>, detail: &str) {
    let dir = tempfile::tempdir().unwrap();
    let sim = signing_simulator(dir.path()).await;
    let mut setup = Setup::default().opg_at(&sim.base_url());
    if let Some(opg) = setup.opg.as_mut() {
        opg.client.aws = aws;
    }
    let h = Harness::with(setup).await;
    let mut uids = Vec::new();
    for _ in 0..3 {
        uids.push(h.sent_to_opg().await);
    }
    let degraded = readyz_until(&h, "the breaker opens on refused credentials", |r| {
        r["status"] == "degraded" && r["reason"] == "opg_credentials_refused"
    })
    .await;
    assert_eq!(
        degraded["opgLastError"]["class"], "credentials",
        "{degraded}"
    );
    assert_eq!(degraded["opgLastError"]["status"], 403, "{degraded}");
    assert!(
        degraded["opgLastError"]["detail"]
            .as_str()
            .unwrap()
            .contains(detail),
        "API Gateway's words: {degraded}"
    );
    // No retry storm: the first attempts of the three steps open the breaker, which then waits 30 s.
    let refused = sim.stats().status_count(403);
    assert!((1..=3).contains(&refused), "{refused} refusals");
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert_eq!(
        sim.stats().status_count(403),
        refused,
        "nothing more is sent while the credentials stay refused"
    );
    for uid in &uids {
        let view = h.view(uid, Role::Caseworker).await;
        assert_eq!(
            view["sync"]["status"], "pending",
            "{uid}: refused credentials fail no step"
        );
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_client_is_refused_like_wrong_credentials_without_a_retry_storm() {
    credentials_refused_quietly(None, "Missing Authentication Token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_degrade_readiness_with_the_reason_and_retry_slowly() {
    credentials_refused_quietly(Some(signing("a-wrong-secret")), "signature").await;

    // The right secret: every step is delivered, signed and verified.
    let dir = tempfile::tempdir().unwrap();
    let sim = signing_simulator(dir.path()).await;
    let mut setup = Setup::default().opg_at(&sim.base_url());
    if let Some(opg) = setup.opg.as_mut() {
        opg.client.aws = Some(signing("the-right-secret"));
    }
    let h = Harness::with(setup).await;
    let uid = h.sent_to_opg().await;
    h.view_until(&uid, "the signed create is delivered", |v| {
        v["sync"]["status"] == "synced"
    })
    .await;
    assert_eq!(sim.stats().status_count(403), 0);
    sim.shutdown().await.unwrap();
}

/// Issue 16 item 5: an operator sees when OPG stopped answering and its last error, the LPAs it holds up
/// (linked), and afterwards the outage in the history and the backlog drained in the hour's deliveries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_an_outage_start_the_lpas_it_holds_up_and_the_drain_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let sim = simulator(dir.path()).await;
    let h = Harness::with(Setup::default().opg_at(&sim.base_url())).await;
    let cookie = h.console_cookie(Role::Admin).await;
    let ops_page = || async {
        h.get("/console/ops")
            .header("cookie", &cookie)
            .send()
            .await
            .text()
    };
    assert!(
        ops_page()
            .await
            .contains("No OPG outage since this process started")
    );
    sim.set_faults(Faults {
        outage: true,
        ..Faults::default()
    })
    .unwrap();
    let mut uids = Vec::new();
    for _ in 0..3 {
        uids.push(h.sent_to_opg().await);
    }
    readyz_until(&h, "the breaker opens", |r| r["status"] == "degraded").await;
    let down = opg_status(&h).await;
    assert!(down["downSince"].is_string(), "{down}");
    assert_eq!(down["outages"][0]["startedAt"], down["downSince"]);
    assert!(down["outages"][0]["endedAt"].is_null(), "{down}");
    assert_eq!(down["outages"][0]["lastError"]["status"], 503, "{down}");
    let page = ops_page().await;
    assert!(page.contains("Not answering since"), "{page}");
    assert!(page.contains("Last error"), "{page}");
    assert!(page.contains("still down"), "{page}");
    for uid in &uids {
        assert!(
            page.contains(&format!("href=\"/console/lpas/{uid}\"")),
            "{uid} is linked: {page}"
        );
    }

    sim.set_faults(Faults::default()).unwrap();
    readyz_until(&h, "OPG is back and the backlog is delivered", |r| {
        r["status"] == "ready" && r["pendingSteps"] == 0
    })
    .await;
    let after = opg_status(&h).await;
    assert!(after.get("downSince").is_none(), "{after}");
    assert!(after["outages"][0]["endedAt"].is_string(), "{after}");
    assert!(
        after["deliveredLastHour"]["total"].as_u64().unwrap() >= 3,
        "the drain counted: {after}"
    );
    assert_eq!(
        after["deliveredLastHour"]["perMinute"]
            .as_array()
            .unwrap()
            .len(),
        60
    );
    let page = ops_page().await;
    assert!(!page.contains("still down"), "{page}");
    assert!(page.contains("OPG outages seen by this process"), "{page}");
    assert!(page.contains("steps in the last hour"), "{page}");
    assert!(
        !page.contains("LPAs waiting for OPG"),
        "nothing waits any more: {page}"
    );
    sim.shutdown().await.unwrap();
}
