//! `GET /v1/lpas/{uid}/sync` and an admin's decisions on a failed OPG step: retry (it is delivered again) or
//! skip; only admins decide, only failed steps can be decided, and only steps of that LPA.

use crate::common::Harness;
use async_trait::async_trait;
use axum::http::StatusCode;
use lpaflow_api::Role;
use lpaflow_engine::{Attempt, ClaimedStep, DeliveryOptions, Report, StepHandler};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// An OPG stand-in that refuses every step for good while `refuse` is set, and confirms them otherwise.
#[derive(Default)]
struct Switch {
    refuse: AtomicBool,
}

#[async_trait]
impl StepHandler for Switch {
    async fn deliver(&self, step: &ClaimedStep) -> Attempt {
        if self.refuse.load(Ordering::SeqCst) {
            // The handler reports for its domain, as the OPG handler does: a sync problem for a caseworker.
            Attempt::Failed {
                error: json!({"status": 400, "detail": "refused by the test"}),
                report: Some(Report {
                    event: lpaflow_opg::SYNC_PROBLEM_EVENT.into(),
                    payload: json!({"step": step.name, "kind": "failed", "detail": "refused by the test"}),
                }),
            }
        } else {
            Attempt::Done {
                result: json!({"confirmed": true}),
                report: None,
            }
        }
    }
}

async fn harness(switch: Arc<Switch>) -> Harness {
    let delivery = DeliveryOptions {
        poll_ms: 50,
        ..DeliveryOptions::default()
    };
    Harness::with_opg_handler(switch, delivery).await
}

async fn sync_of(h: &Harness, uid: &str) -> Value {
    let r = h
        .get(&format!("/v1/lpas/{uid}/sync"))
        .role(Role::Service)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// An LPA the donor signed, once its `opg.create` step has failed; (uid, step id).
async fn lpa_with_a_failed_step(h: &Harness) -> (String, i64) {
    let uid = h.sent_to_opg().await;
    let view = h
        .view_until(&uid, "the opg.create step fails", |v| {
            v["sync"]["status"] == "failed"
                && v["sync"]["failed"]
                    .as_array()
                    .is_some_and(|f| !f.is_empty())
        })
        .await;
    let step = &view["sync"]["failed"][0];
    assert_eq!(step["step"], "opg.create");
    (uid, step["id"].as_i64().unwrap())
}

fn step_status(sync: &Value, id: i64) -> String {
    sync["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .map(|s| s["status"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no step {id} in {sync:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_view_lists_every_step_of_one_lpa() {
    let h = harness(Arc::new(Switch::default())).await;
    let uid = h.lpa_in_signing().await;
    assert_eq!(
        sync_of(&h, &uid).await,
        json!({"uid": uid, "status": "synced", "steps": []}),
        "nothing is sent before the donor signs"
    );
    let cookie = h.console_cookie(Role::Caseworker).await;
    let page = console_page(&h, &uid, &cookie).await;
    assert!(page.contains("<dt>OPG sync</dt><dd>not sent yet"), "{page}");
    assert!(
        page.contains("Nothing of this LPA is in the OPG database yet"),
        "{page}"
    );
    assert!(!page.contains("LPA Store status"), "never sent: {page}");
    h.fire_ok(&uid, Role::Service, "sign_as_donor", json!({}))
        .await;
    let (hr, u) = (&h, uid.as_str());
    let last = crate::common::eventually("opg.create is delivered", || async move {
        let sync = sync_of(hr, u).await;
        let delivered =
            sync["status"] == "synced" && sync["steps"].as_array().is_some_and(|s| !s.is_empty());
        delivered.then_some(sync)
    })
    .await;
    let step = &last["steps"][0];
    assert_eq!(step["step"], "opg.create");
    assert_eq!(step["status"], "done");
    assert_eq!(step["attempts"], 1);
    assert_eq!(step["result"], json!({"confirmed": true}));
    let page = console_page(&h, &uid, &cookie).await;
    assert!(page.contains("<dt>OPG sync</dt><dd>synced"), "{page}");
    assert!(page.contains("LPA Store status"), "sent: {page}");
}

/// The console's page of LPA `uid`, as the holder of `cookie` sees it.
async fn console_page(h: &Harness, uid: &str, cookie: &str) -> String {
    let page = h
        .get(&format!("/console/lpas/{uid}"))
        .header("cookie", cookie)
        .send()
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    page.text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_retries_a_failed_step_and_it_is_delivered() {
    let switch = Arc::new(Switch::default());
    switch.refuse.store(true, Ordering::SeqCst);
    let h = harness(switch.clone()).await;
    let (uid, step) = lpa_with_a_failed_step(&h).await;
    let (other, other_step) = lpa_with_a_failed_step(&h).await;
    let retry = format!("/v1/lpas/{uid}/sync/{step}/retry");
    for role in [Role::Service, Role::Caseworker, Role::Auditor] {
        h.post(&retry)
            .role(role)
            .send()
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden");
    }
    for path in [
        format!("/v1/lpas/{uid}/sync/999999/retry"),
        format!("/v1/lpas/{uid}/sync/{other_step}/retry"),
        format!("/v1/lpas/{other}/sync/{step}/skip"),
    ] {
        h.post(&path)
            .role(Role::Admin)
            .send()
            .await
            .problem(StatusCode::NOT_FOUND, "step_not_found");
    }
    h.post(&format!("/v1/lpas/{uid}/sync/first/retry"))
        .role(Role::Admin)
        .send()
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_path");
    assert_eq!(step_status(&sync_of(&h, &uid).await, step), "failed");
    let cookie = h.console_cookie(Role::Admin).await;
    let page = console_page(&h, &uid, &cookie).await;
    assert!(
        page.contains(
            "send the LPA to the OPG database<br><span class=\"hint\"><code>opg.create</code>"
        ),
        "the failed step in words, its name beside: {page}"
    );
    assert!(
        page.contains("<dt>Claimed</dt><dd>full fee</dd>"),
        "the fee type in words: {page}"
    );

    switch.refuse.store(false, Ordering::SeqCst);
    let r = h.post(&retry).role(Role::Admin).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_ne!(step_status(&r.json(), step), "failed", "{}", r.text());
    h.view_until(&uid, "the retried step is delivered", |v| {
        v["sync"]["pending"] == json!([]) && v["sync"]["failed"] == json!([])
    })
    .await;
    assert_eq!(step_status(&sync_of(&h, &uid).await, step), "done");
    h.post(&retry)
        .role(Role::Admin)
        .send()
        .await
        .problem(StatusCode::CONFLICT, "step_not_failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_skips_a_failed_step_once() {
    let switch = Arc::new(Switch::default());
    switch.refuse.store(true, Ordering::SeqCst);
    let h = harness(switch).await;
    let (uid, step) = lpa_with_a_failed_step(&h).await;
    let skip = format!("/v1/lpas/{uid}/sync/{step}/skip");
    h.post(&skip)
        .role(Role::Caseworker)
        .send()
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    let r = h.post(&skip).role(Role::Admin).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(step_status(&r.json(), step), "skipped");
    assert_eq!(
        h.view(&uid, Role::Caseworker).await["sync"]["failed"],
        json!([])
    );
    h.post(&skip)
        .role(Role::Admin)
        .send()
        .await
        .problem(StatusCode::CONFLICT, "step_not_failed");
    h.post(&format!("/v1/lpas/{uid}/sync/{step}/retry"))
        .role(Role::Admin)
        .send()
        .await
        .problem(StatusCode::CONFLICT, "step_not_failed");
}
