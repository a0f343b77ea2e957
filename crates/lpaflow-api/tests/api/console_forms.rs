//! The console's LPA page as a caseworker works it, through the real router: amounts entered in pounds and
//! pence, a form filled in on a page someone changed since, and attorneys named for the roles that may see names.

use crate::common::{Harness, csrf};
use axum::http::StatusCode;
use lpaflow_api::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caseworker_enters_a_payment_in_pounds_and_pence_in_the_console() {
    let h = Harness::start().await;
    let uid = h.create().await;
    h.fire_ok(&uid, Role::Service, "submit", json!({})).await;
    let cookie = h.console_cookie(Role::Caseworker).await;
    let page = |cookie: String| {
        let (h, uid) = (&h, uid.clone());
        async move {
            h.get(&format!("/console/lpas/{uid}"))
                .header("cookie", &cookie)
                .send()
                .await
                .text()
        }
    };
    let html = page(cookie.clone()).await;
    assert!(
        html.contains("In pounds and pence, such as £92.00."),
        "the amount's hint: {html}"
    );
    let csrf = csrf(&html);
    let post = |amount: &'static str| {
        let (h, uid, cookie, csrf) = (&h, uid.clone(), cookie.clone(), csrf.clone());
        async move {
            h.post(&format!("/console/lpas/{uid}/events"))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "csrf={csrf}&event=record_payment&amountPence={amount}"
                ))
                .send()
                .await
        }
    };
    let refused = post("92.505").await;
    assert!(
        refused
            .text()
            .contains("must be an amount in pounds and pence, such as £92.00"),
        "a third decimal is refused, not rounded: {}",
        refused.text()
    );
    // "£92.00", form-encoded.
    let r = post("%C2%A392.00").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let view = h.view(&uid, Role::Caseworker).await;
    assert_eq!(view["state"], "signing", "{view}");
    assert_eq!(view["fee"]["amounts"]["paidPence"], 9200, "{view}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_from_a_page_someone_changed_since_says_who_changed_what() {
    let h = Harness::start().await;
    let uid = h.create().await;
    h.fire_ok(&uid, Role::Service, "submit", json!({})).await;
    let cookie = h.console_cookie(Role::Caseworker).await;
    let html = h
        .get(&format!("/console/lpas/{uid}"))
        .header("cookie", &cookie)
        .send()
        .await
        .text();
    let grab = |pattern: &str| {
        regex::Regex::new(pattern)
            .unwrap()
            .captures(&html)
            .unwrap_or_else(|| panic!("{pattern} in {html}"))[1]
            .to_owned()
    };
    let (csrf, revision) = (
        grab(r#"name="csrf" value="([0-9a-f]+)""#),
        grab(r#"name="revision" value="([0-9]+)""#),
    );
    // While the caseworker reads the page, the service records a payment.
    h.fire_ok(
        &uid,
        Role::Service,
        "record_payment",
        json!({"amountPence": 4600}),
    )
    .await;
    let r = h
        .post(&format!("/console/lpas/{uid}/events"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf={csrf}&event=record_payment&revision={revision}&amountPence=46.00"
        ))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let page = r.text();
    assert!(
        page.contains("Someone changed this LPA since you opened it (record payment by "),
        "{page}"
    );
    assert!(!page.contains("read it again and retry"), "{page}");
    let view = h.view(&uid, Role::Caseworker).await;
    assert_eq!(
        view["fee"]["amounts"]["paidPence"], 4600,
        "the stale form recorded nothing: {view}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_names_attorneys_for_caseworkers_and_not_for_auditors() {
    let h = Harness::start().await;
    let uid = h.lpa_in_signing().await;
    let view = h.view(&uid, Role::Caseworker).await;
    let attorney = &view["application"]["attorneys"][0];
    let name = format!(
        "attorney {} {}",
        attorney["firstNames"].as_str().unwrap(),
        attorney["lastName"].as_str().unwrap()
    );
    let short: String = attorney["uid"].as_str().unwrap().chars().take(8).collect();
    let page = |role: Role| {
        let (h, uid) = (&h, uid.clone());
        async move {
            let cookie = h.console_cookie(role).await;
            h.get(&format!("/console/lpas/{uid}"))
                .header("cookie", &cookie)
                .send()
                .await
                .text()
        }
    };
    let caseworker = page(Role::Caseworker).await;
    assert!(caseworker.contains(&name), "{name} in {caseworker}");
    let auditor = page(Role::Auditor).await;
    assert!(!auditor.contains(&name), "no name for auditors: {auditor}");
    assert!(
        auditor.contains(&format!("attorney {short}…")),
        "the short uid for auditors: {auditor}"
    );
}

/// An event that ends the LPA asks once more, naming the outcome and repeating the reason; only the confirmed
/// form fires it, and the reason shows in the audit page's history (issue 16 item 2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_an_lpa_in_the_console_asks_for_confirmation_and_records_the_reason() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let cookie = h.console_cookie(Role::Caseworker).await;
    let html = h
        .get(&format!("/console/lpas/{uid}"))
        .header("cookie", &cookie)
        .send()
        .await
        .text();
    let csrf = csrf(&html);
    let revision = h.view(&uid, Role::Caseworker).await["revision"]
        .as_u64()
        .unwrap();
    let post = |extra: &'static str| {
        let (h, uid, cookie, csrf) = (&h, uid.clone(), cookie.clone(), csrf.clone());
        async move {
            h.post(&format!("/console/lpas/{uid}/events"))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "csrf={csrf}&event=change_status%3Acannot_register&revision={revision}&reason=Donor+lacks+capacity{extra}"
                ))
                .send()
                .await
        }
    };
    let asked = post("").await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.text());
    let page = asked.text();
    assert!(page.contains("cannot be undone"), "{page}");
    assert!(page.contains("The LPA cannot be registered"), "{page}");
    assert!(
        page.contains("Donor lacks capacity"),
        "the reason repeated: {page}"
    );
    assert!(page.contains(r#"name="confirmed" value="yes""#), "{page}");
    assert_eq!(
        h.view(&uid, Role::Caseworker).await["state"],
        "created",
        "nothing fired before the confirmation"
    );

    let fired = post("&confirmed=yes").await;
    assert_eq!(fired.status, StatusCode::SEE_OTHER, "{}", fired.text());
    assert_eq!(
        h.view(&uid, Role::Caseworker).await["state"],
        "cannot_register"
    );

    let audit = h
        .get(&format!("/console/audit?uid={uid}"))
        .header("cookie", &cookie)
        .send()
        .await
        .text();
    assert!(
        audit.contains("Why: <q>Donor lacks capacity</q>"),
        "{audit}"
    );
}

/// The development outage switch exists only where `serve --dev` handed the console one (the embedded
/// simulator): elsewhere an admin's post is a 404 naming why, and nobody but an admin may use it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outage_switch_is_refused_without_a_simulator_and_to_other_roles() {
    let h = Harness::start().await;
    for (role, status) in [
        (Role::Admin, StatusCode::NOT_FOUND),
        (Role::Caseworker, StatusCode::FORBIDDEN),
    ] {
        let cookie = h.console_cookie(role).await;
        let html = h
            .get("/console/ops")
            .header("cookie", &cookie)
            .send()
            .await
            .text();
        assert!(!html.contains("simulate an OPG outage"), "{role}: {html}");
        let csrf = csrf(&html);
        let r = h
            .post("/console/ops/dev-outage")
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&down=yes"))
            .send()
            .await;
        assert_eq!(r.status, status, "{role}: {}", r.text());
    }
}
