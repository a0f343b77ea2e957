//! The console's audit page as an auditor works it, through the real router: changes shown from old to new
//! with personal values masked, one entry revealed with a reason (the reveal recorded and listed), a refused
//! reveal explained, and no reveal form for the roles that may not reveal.

use crate::common::{Harness, csrf};
use axum::http::StatusCode;
use lpaflow_api::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reveals_one_entry_in_the_console_with_a_reason_and_sees_it_recorded() {
    let h = Harness::start().await;
    let uid = h.lpa_in_signing().await;
    let donor = h.view(&uid, Role::Caseworker).await["application"]["donor"]["lastName"]
        .as_str()
        .unwrap()
        .to_owned();
    let cookie = h.console_cookie(Role::Auditor).await;
    let page = h
        .get(&format!("/console/audit?uid={uid}"))
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(
        html.contains("Reveal an entry&#39;s personal values")
            || html.contains("Reveal an entry's personal values"),
        "{html}"
    );
    assert!(
        html.contains("[masked]"),
        "changes show masked values: {html}"
    );
    assert!(!html.contains(&donor), "no personal value before a reveal");
    assert!(html.contains("No one has revealed this LPA"), "{html}");

    let post = |body: String| {
        let (h, uid, cookie) = (&h, uid.clone(), cookie.clone());
        async move {
            h.post(&format!("/console/audit/{uid}/reveal"))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
        }
    };
    let csrf = csrf(&html);
    let refused = post(format!("csrf={csrf}&seq=1&reason=+++")).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    assert!(
        refused.text().contains("The entry was not revealed"),
        "{}",
        refused.text()
    );
    assert!(!refused.text().contains(&donor));

    let shown = post(format!("csrf={csrf}&seq=1&reason=complaint+C-12")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text());
    let html = shown.text();
    assert!(
        html.contains(&donor),
        "the revealed entry shows the donor's name: {html}"
    );
    assert!(html.contains("row-revealed"), "{html}");
    assert!(
        html.contains("complaint C-12"),
        "the reveal is listed with its reason"
    );

    let again = h
        .get(&format!("/console/audit?uid={uid}"))
        .header("cookie", &cookie)
        .send()
        .await
        .text();
    assert!(!again.contains(&donor), "masked again on the next view");
    assert!(again.contains("complaint C-12"), "the reveal stays listed");
    let listed = h
        .get(&format!("/v1/lpas/{uid}/reveals"))
        .role(Role::Admin)
        .send()
        .await
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caseworkers_and_admins_get_no_reveal_form_and_cannot_post_one() {
    let h = Harness::start().await;
    let uid = h.lpa_in_signing().await;
    for role in [Role::Caseworker, Role::Admin] {
        let cookie = h.console_cookie(role).await;
        let html = h
            .get(&format!("/console/audit?uid={uid}"))
            .header("cookie", &cookie)
            .send()
            .await
            .text();
        assert!(!html.contains("Reveal and record"), "{role}: {html}");
        let r = h
            .post(&format!("/console/audit/{uid}/reveal"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={}&seq=1&reason=curious", csrf(&html)))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}: {}", r.text());
    }
}
