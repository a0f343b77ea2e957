//! Console sessions held by the server (issue 17, item 2), through the console's routes on the real router:
//! signing out ends the session (its cookie no longer opens a page), an admin sees every open session and
//! revokes one, a sign-in under another role ends the subject's other sessions, and the idle time and the
//! token's expiry end a session.

use crate::common::{Harness, csrf};
use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use lpaflow_api::Role;
use lpaflow_app::{Caller, LpaService, ServiceSettings};
use std::time::Duration;

async fn page(h: &Harness, cookie: &str, path: &str) -> (StatusCode, Option<String>, String) {
    let r = h.get(path).header("cookie", cookie).send().await;
    let location = r.header("location").map(str::to_owned);
    (r.status, location, r.text())
}

async fn post_form(h: &Harness, cookie: &str, path: &str, csrf: &str) -> StatusCode {
    h.post(path)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session_on_the_server() {
    let h = Harness::start().await;
    let cookie = h.console_cookie(Role::Caseworker).await;
    let (status, _, html) = page(&h, &cookie, "/console/queue").await;
    assert_eq!(status, StatusCode::OK);
    let status = post_form(&h, &cookie, "/console/sign-out", &csrf(&html)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, location, _) = page(&h, &cookie, "/console/queue").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the old cookie opens nothing"
    );
    assert_eq!(location.as_deref(), Some("/console/sign-in?ended=1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_lists_open_sessions_and_revokes_one() {
    let h = Harness::start().await;
    let worker = h.console_cookie(Role::Caseworker).await;
    let admin = h.console_cookie(Role::Admin).await;
    let (status, _, html) = page(&h, &admin, "/console/sessions").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("test-caseworker"), "{html}");
    assert!(
        !html.contains(worker.trim_start_matches("lpaflow_console=")),
        "never the secret"
    );
    let open = h
        .state
        .lpas()
        .open_sessions(&Caller {
            sub: "test-admin".into(),
            role: Role::Admin,
        })
        .await
        .unwrap();
    let id = &open
        .iter()
        .find(|s| s.subject == "test-caseworker")
        .unwrap()
        .id;
    let revoke = format!("/console/sessions/{id}/revoke");
    assert_eq!(
        post_form(&h, &admin, &revoke, &csrf(&html)).await,
        StatusCode::SEE_OTHER
    );
    let (status, location, _) = page(&h, &worker, "/console/queue").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/console/sign-in?ended=1"));
    let (status, _, _) = page(&h, &admin, "/console/queue").await;
    assert_eq!(status, StatusCode::OK, "the admin's own session goes on");

    let other = h.console_cookie(Role::Caseworker).await;
    let (status, _, html) = page(&h, &other, "/console/sessions").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only admins list sessions: {html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_under_another_role_the_idle_time_and_the_tokens_expiry_end_sessions() {
    let h = Harness::start().await;
    let idle = TimeDelta::milliseconds(300);
    let lpas = LpaService::new(
        h.engine.clone(),
        h.store.clone(),
        ServiceSettings {
            session_idle: idle,
            ..ServiceSettings::default()
        },
    );
    let ada = |role| Caller {
        sub: "ada".into(),
        role,
    };
    let later = Utc::now() + TimeDelta::hours(1);
    let as_caseworker = lpas
        .start_session(&ada(Role::Caseworker), later)
        .await
        .unwrap();
    assert_eq!(
        lpas.session(&as_caseworker).await.unwrap(),
        Some(ada(Role::Caseworker))
    );
    let as_admin = lpas.start_session(&ada(Role::Admin), later).await.unwrap();
    assert_eq!(
        lpas.session(&as_caseworker).await.unwrap(),
        None,
        "another role ends it"
    );
    assert_eq!(
        lpas.session(&as_admin).await.unwrap(),
        Some(ada(Role::Admin))
    );

    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        lpas.session(&as_admin).await.unwrap(),
        None,
        "idle for longer than allowed"
    );
    let why = h.store.open_sessions(Utc::now(), 10).await.unwrap();
    assert!(why.iter().all(|s| s.subject != "ada"), "{why:?}");

    let soon = Utc::now() + TimeDelta::milliseconds(100);
    let short = lpas.start_session(&ada(Role::Auditor), soon).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        lpas.session(&short).await.unwrap(),
        None,
        "the token expired"
    );
    assert_eq!(lpas.session("not a secret").await.unwrap(), None);
}

/// The service decides who may retry or skip a failed OPG step, for the console as for the API: a
/// caseworker's signed-in form is refused with 403 before any step is looked at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_decide_on_failed_steps_from_the_console_too() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let cookie = h.console_cookie(Role::Caseworker).await;
    let (status, _, html) = page(&h, &cookie, &format!("/console/lpas/{uid}")).await;
    assert_eq!(status, StatusCode::OK);
    for decision in ["retry", "skip"] {
        let path = format!("/console/lpas/{uid}/sync/1/{decision}");
        assert_eq!(
            post_form(&h, &cookie, &path, &csrf(&html)).await,
            StatusCode::FORBIDDEN,
            "{decision}"
        );
    }
}
