//! The web console end to end: the real `lpaflow serve --dev --dev-clock`, LPAs made through the HTTP API, and a
//! headless Chromium signing in with the development buttons. Each page a test visits is checked with axe-core
//! (no serious or critical violation). Without Chromium the tests skip; `LPAFLOW_REQUIRE_BROWSER=1` (CI) makes
//! that a failure. `LPAFLOW_CONSOLE_SCREENSHOTS=docs/console` also saves a screenshot of each page.
#![allow(clippy::unwrap_used)]

mod common;

use lpaflow_test_support::lpa_application::application;
mod console_support;

use common::server::Server;
use console_support::with_browser;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn lpa(server: &Server, uid: &str) -> Value {
    let (status, body) = server
        .call(
            Method::GET,
            &format!("/v1/lpas/{uid}"),
            Some("caseworker"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn fire(server: &Server, uid: &str, event: &str, payload: Value) -> Value {
    let revision = lpa(server, uid).await["revision"].as_u64().unwrap();
    let response = server
        .client
        .post(format!("{}/v1/lpas/{uid}/events", server.base))
        .bearer_auth(&server.tokens["service"])
        .header("If-Match", format!("\"{revision}\""))
        .json(&json!({"event": event, "payload": payload}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{event}: {body}");
    body
}

/// Creates an LPA from `app` as the service (201 required); its uid.
async fn create(server: &Server, app: &Value) -> String {
    let (status, created) = server
        .call(Method::POST, "/v1/lpas", Some("service"), Some(app))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["uid"].as_str().unwrap().to_owned()
}

/// An LPA submitted, then changed so that a blocking finding sends it back to `safeguarding`. Returns its uid
/// and the finding's id.
async fn lpa_with_blocking_finding(server: &Server) -> (String, String) {
    let uid = create(server, &application()).await;
    fire(server, &uid, "submit", json!({})).await;
    let changed = fire(
        server,
        &uid,
        "update_application",
        json!({"certificateProvider": {"relationship": "personal", "knownForYears": 1}}),
    )
    .await;
    assert_eq!(changed["state"], "safeguarding", "{changed}");
    let finding = changed["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["severity"] == "blocking" && f["status"] == "detected")
        .unwrap_or_else(|| panic!("a blocking finding: {changed}"));
    (uid, finding["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn console_caseworker_accepts_a_blocking_finding_and_the_lpa_moves_on() {
    with_browser(
        "console_caseworker_accepts_a_blocking_finding_and_the_lpa_moves_on",
        |b| async move {
            let server = Server::start_dev(&[]);
            let (uid, finding) = lpa_with_blocking_finding(&server).await;
            // Two more, so the queue has something to filter: a claimed reduction and a plain application.
            let reduced =
                json!({"fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 1_000_000}});
            for patch in [reduced, json!({})] {
                let mut app = application();
                lpaflow_core::json::merge_patch(&mut app, &patch);
                let (status, body) = server
                    .call(Method::POST, "/v1/lpas", Some("service"), Some(&app))
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
            }

            b.goto(&format!("{}/console/sign-in", server.base)).await;
            b.wait_text("h1", "Sign in").await;
            b.axe("sign-in").await;
            b.screenshot("sign-in").await;
            b.sign_in(&server.base, "caseworker").await;
            assert_eq!(b.path().await, "/console/queue");

            b.wait_text("a[aria-current='true']", "All LPAs (3)").await;
            b.wait_text("a[href='/console/queue?filter=fee_decision_needed']", "(1)")
                .await;
            b.axe("queue").await;
            b.screenshot("queue").await;
            b.click("a[href='/console/queue?filter=blocking_finding']")
                .await;
            b.wait_text("a[aria-current='true']", "Blocking finding (1)")
                .await;
            b.wait_text("table", &uid).await;
            assert_eq!(
                b.count("table tbody tr").await,
                1,
                "only the LPA with a blocking finding"
            );
            b.axe("queue, blocking finding").await;
            b.click(&format!("a[href='/console/lpas/{uid}']")).await;
            b.wait_text("h1", &uid).await;
            b.wait_text(".summary-list", "safeguarding").await;
            assert_eq!(b.count("svg.graph .node-current").await, 1);
            assert!(
                b.text_content("svg.graph .node-current")
                    .await
                    .contains("safeguarding")
            );
            assert!(
                b.text_content("svg.graph .node-current")
                    .await
                    .contains("current")
            );
            b.axe("lpa page").await;
            b.screenshot("lpa").await;

            // A decision without a reason is refused, and says which field is missing.
            let form = format!("form[data-finding='{finding}']");
            b.click(&format!("{form} button[value='accept_finding']"))
                .await;
            b.wait_text(".error-summary", "Reason").await;
            b.wait_text(".error-message", "Reason").await;
            b.axe("refused decision").await;
            b.screenshot("lpa-refused").await;
            assert_eq!(
                lpa(&server, &uid).await["state"],
                "safeguarding",
                "nothing changed"
            );

            b.type_into(
                &format!("{form} textarea[name='reason']"),
                "known for years through work; checked by phone",
            )
            .await;
            b.click(&format!("{form} button[value='accept_finding']"))
                .await;
            b.wait_text(
                ".banner-success",
                "moved from safeguarding to discount eligibility",
            )
            .await;
            b.wait_text("section[aria-labelledby='history']", "accept finding")
                .await;
            b.axe("after the decision").await;

            let after = lpa(&server, &uid).await;
            assert_eq!(after["state"], "discount_eligibility", "{after}");
            let decided = after["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == finding.as_str())
                .unwrap();
            assert_eq!(decided["status"], "accepted");
            assert_eq!(
                decided["decision"]["by"], "dev-caseworker",
                "the signed-in caller is the actor"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn console_auditor_sees_history_and_the_chain_check() {
    with_browser("console_auditor_sees_history_and_the_chain_check", |b| async move {
    let server = Server::start_dev(&[]);
    let (uid, _) = lpa_with_blocking_finding(&server).await;
    let revision = lpa(&server, &uid).await["revision"].as_u64().unwrap();

    b.sign_in(&server.base, "auditor").await;
    assert_eq!(b.path().await, "/console/audit");
    b.type_into("#uid", &uid).await;
    b.click("form[action='/console/audit'] button[type='submit']").await;
    b.wait_text(".banner-success", "The whole chain holds.").await;
    let caption = b.wait_text(".table-audit caption", "entries").await;
    assert_eq!(caption, format!("{revision} entries; 0 fail their check"));
    assert_eq!(b.count(".table-audit .tag-ok").await, revision as usize, "every entry holds");
    let page = b.body_text().await;
    assert!(!page.contains("Lovelace") && !page.contains("1950-01-02"), "no personal data on the audit page");
    b.axe("audit").await;
    b.screenshot("audit").await;

    // One entry's personal values, revealed with a reason: recorded and listed, shown for that entry only.
    b.type_into("#reveal-seq", "1").await;
    b.type_into("#reveal-reason", "complaint C-12 about the donor's address").await;
    b.click("#reveal form button[type='submit']").await;
    b.wait_text("section[aria-labelledby='reveals-heading'] table", "complaint C-12").await;
    assert_eq!(b.count("tr.row-revealed").await, 1, "one entry revealed");
    assert!(
        b.text_content("tr.row-revealed").await.contains("set to"),
        "its changes are shown"
    );
    b.axe("audit, an entry revealed").await;
    b.screenshot("audit-reveal").await;

    // The download is the API's history, through the session.
    let entries = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.json()).then(j => done(j.length)).catch(e => done(String(e)));",
            vec![json!(format!("/console/audit/{uid}/history.json"))],
        )
        .await
        .unwrap();
    assert_eq!(entries, json!(revision));

    b.click("form[action='/console/audit/verify'] button").await;
    b.wait_text("#verify-status", "Every chain holds.").await;
    b.axe("verify all").await;
    b.screenshot("audit-verify").await;
    })
    .await;
}

#[tokio::test]
async fn console_fee_report_shows_refunds_by_month() {
    with_browser("console_fee_report_shows_refunds_by_month", |b| async move {
    let server = Server::start_dev(&[]);
    // A reduction decided before payment (a refund avoided) and one after (a refund due).
    for (uid_n, pay_first) in [(0, false), (1, true)] {
        let app = lpaflow_test_support::lpa_application::application_with(
            json!({"fee": {"claimedType": "NoFee", "receivesMeansTestedBenefit": true}}),
        );
        let (status, created) = server.call(Method::POST, "/v1/lpas", Some("service"), Some(&app)).await;
        assert_eq!(status, StatusCode::CREATED, "{uid_n}: {created}");
        let uid = created["uid"].as_str().unwrap().to_owned();
        if pay_first {
            fire(&server, &uid, "record_payment", json!({"amountPence": 9200})).await;
        }
        fire(&server, &uid, "provide_fee_evidence", json!({"kind": "benefit", "reference": "DWP-1"})).await;
        let decision = json!({"event": "decide_fee", "payload": {"outcome": "approved", "approvedType": "NoFee"}});
        let (status, body) = server
            .call(Method::POST, &format!("/v1/lpas/{uid}/events"), Some("caseworker"), Some(&decision))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    b.sign_in(&server.base, "auditor").await;
    b.click("nav a[href='/console/reports/fees']").await;
    b.wait_text("h1", "Fee report").await;
    b.wait_text("table.report-table tfoot", "£92.00 (1)").await;
    assert_eq!(b.count("svg.chart rect.bar-avoided").await, 12, "a bar per month");
    assert_eq!(b.count("table.report-table tbody tr").await, 12);
    b.axe("fee report").await;
    b.screenshot("fee-report").await;

    b.goto(&format!("{}/console/reports/fees?from=2026-05-01&to=", server.base)).await;
    b.wait_text(".error-summary", "To is required").await;
    b.axe("fee report, bad range").await;
    })
    .await;
}

#[tokio::test]
async fn console_service_role_cannot_reach_caseworker_actions() {
    with_browser("console_service_role_cannot_reach_caseworker_actions", |b| async move {
    let server = Server::start_dev(&[]);
    let (uid, finding) = lpa_with_blocking_finding(&server).await;

    // Production sign-in: a pasted token (here the service's development token), after a bad one.
    b.goto(&format!("{}/console/sign-in", server.base)).await;
    b.type_into("#token", "not-a-token").await;
    b.click("form[action='/console/sign-in'] button").await;
    b.wait_text(".error-summary", "The token is not valid").await;
    b.axe("bad token").await;
    b.type_into("#token", &server.tokens["service"]).await;
    b.click("form[action='/console/sign-in'] button").await;
    b.wait_text("header", "dev-service (service)").await;
    assert_eq!(b.path().await, "/console/lpas");
    b.goto(&format!("{}/console/queue", server.base)).await;
    b.wait_text("h1", "Your role cannot do this").await;
    b.axe("forbidden queue").await;

    b.goto(&format!("{}/console/lpas/{uid}", server.base)).await;
    b.wait_text("h1", &uid).await;
    assert_eq!(b.count("form[data-finding]").await, 0, "no finding decisions for a service");
    assert_eq!(b.count("button[value='accept_finding']").await, 0);
    assert_eq!(b.count("#people").await, 0, "no personal details for a service");
    b.axe("lpa page as service").await;

    // Even a hand-made form with a valid CSRF token is refused by the engine's role check.
    b.client
        .execute(
            "const f = document.createElement('form');
             f.method = 'post'; f.action = arguments[0];
             const add = (n, v) => { const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i); };
             add('csrf', document.querySelector('input[name=csrf]').value);
             add('event', 'accept_finding'); add('finding', arguments[1]); add('reason', 'not mine to decide');
             document.body.appendChild(f); f.submit();",
            vec![json!(format!("/console/lpas/{uid}/events")), json!(finding)],
        )
        .await
        .unwrap();
    b.wait_text(".error-summary", "may not").await;
    assert_eq!(lpa(&server, &uid).await["state"], "safeguarding");
    })
    .await;
}

#[tokio::test]
async fn console_form_without_its_csrf_token_is_refused() {
    with_browser(
        "console_form_without_its_csrf_token_is_refused",
        |b| async move {
            let server = Server::start_dev(&[]);
            let (uid, finding) = lpa_with_blocking_finding(&server).await;

            b.sign_in(&server.base, "caseworker").await;
            b.goto(&format!("{}/console/lpas/{uid}", server.base)).await;
            let form = format!("form[data-finding='{finding}']");
            b.client
                .execute(
                    &format!("document.querySelector(\"{form} input[name=csrf]\").remove();"),
                    vec![],
                )
                .await
                .unwrap();
            b.type_into(
                &format!("{form} textarea[name='reason']"),
                "sent without its token",
            )
            .await;
            b.click(&format!("{form} button[value='accept_finding']"))
                .await;
            b.wait_text("h1", "This form could not be accepted").await;
            b.axe("csrf refused").await;
            assert_eq!(
                lpa(&server, &uid).await["state"],
                "safeguarding",
                "nothing changed"
            );

            // The same over plain HTTP: the session cookie alone is not enough (403), a wrong token neither.
            let cookie = b.client.get_named_cookie("lpaflow_console").await.unwrap();
            let post = |body: String| {
                server
                    .client
                    .post(format!("{}/console/lpas/{uid}/events", server.base))
                    .header("Cookie", format!("lpaflow_console={}", cookie.value()))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
            };
            let base = format!("event=accept_finding&finding={finding}&reason=forged");
            assert_eq!(
                post(base.clone()).await.unwrap().status(),
                StatusCode::FORBIDDEN
            );
            assert_eq!(
                post(format!("{base}&csrf=00ff")).await.unwrap().status(),
                StatusCode::FORBIDDEN
            );
            assert_eq!(lpa(&server, &uid).await["state"], "safeguarding");

            // Signing out ends the session: the cookie is gone and pages ask to sign in again.
            b.goto(&format!("{}/console/queue", server.base)).await;
            b.click("form[action='/console/sign-out'] button").await;
            b.wait_text(".notice", "You have signed out.").await;
            assert!(b.client.get_named_cookie("lpaflow_console").await.is_err());
            b.goto(&format!("{}/console/queue", server.base)).await;
            b.wait_text("h1", "Sign in").await;
        },
    )
    .await;
}

#[tokio::test]
async fn console_operations_page_shows_opg_and_lets_an_admin_plan_maintenance() {
    with_browser(
        "console_operations_page_shows_opg_and_lets_an_admin_plan_maintenance",
        |b| async move {
            let server = Server::start_dev(&[]);
            lpa_with_blocking_finding(&server).await;

            b.sign_in(&server.base, "admin").await;
            assert_eq!(b.path().await, "/console/ops");
            b.wait_text("#live", "LPAs by state").await;
            b.wait_text("#live table", "safeguarding").await;
            // Date and time controls take their value from script (typing into them depends on the browser's locale).
            b.client
                .execute(
                    "document.querySelector('#window-from').value = '2031-01-01T22:00';
             document.querySelector('#window-to').value = '2031-01-02T02:00';",
                    vec![],
                )
                .await
                .unwrap();
            b.click("form[action='/console/ops/maintenance'] button")
                .await;
            b.wait_text(".error-summary", "Reason is required").await;
            b.axe("maintenance refused").await;
            b.type_into("#window-reason", "OPG database upgrade").await;
            b.click("form[action='/console/ops/maintenance'] button")
                .await;
            b.wait_text(
                "#maintenance + table, #maintenance ~ table",
                "OPG database upgrade",
            )
            .await;
            b.axe("operations").await;
            b.screenshot("operations").await;
            let (_, windows) = server
                .call(Method::GET, "/v1/opg/maintenance", Some("admin"), None)
                .await;
            assert_eq!(windows[0]["reason"], "OPG database upgrade", "{windows}");
            b.click("form[action$='/remove'] button").await;
            b.wait_text("#maintenance ~ p", "No maintenance is planned.")
                .await;
        },
    )
    .await;
}

#[tokio::test]
async fn console_caseworker_confirms_before_an_lpa_is_ended() {
    with_browser(
        "console_caseworker_confirms_before_an_lpa_is_ended",
        |b| async move {
            let server = Server::start_dev(&[]);
            let uid = create(&server, &application()).await;

            b.sign_in(&server.base, "caseworker").await;
            b.goto(&format!("{}/console/lpas/{uid}", server.base)).await;
            b.wait_text("h1", &uid).await;
            let form = "form[data-event='change_status:cannot_register']";
            b.click("#form-change_status-cannot_register-form summary")
                .await;
            b.type_into(
                &format!("{form} textarea[name='reason']"),
                "the donor lacks capacity; GP letter on file",
            )
            .await;
            b.click(&format!("{form} button[type='submit']")).await;
            b.wait_text("h1", "Are you sure?").await;
            b.wait_text(".confirm-ending", "cannot be undone").await;
            b.wait_text("blockquote", "GP letter on file").await;
            b.axe("confirm ending an LPA").await;
            b.screenshot("lpa-confirm").await;
            assert_eq!(
                lpa(&server, &uid).await["state"],
                "created",
                "nothing fired yet"
            );

            b.click("form button.button-warning").await;
            b.wait_text(".banner-success", "cannot register").await;
            assert_eq!(lpa(&server, &uid).await["state"], "cannot_register");
        },
    )
    .await;
}

/// Issue 16 items 5 and 8: in development mode an admin takes the embedded simulator down from the operations
/// page, sees when OPG stopped answering and the LPA it holds up, brings it back and sees the outage end and
/// the step delivered.
#[tokio::test]
async fn console_admin_simulates_an_outage_and_sees_it_start_hold_an_lpa_and_drain() {
    with_browser(
        "console_admin_simulates_an_outage_and_sees_it_start_hold_an_lpa_and_drain",
        |b| async move {
            let server = Server::start_dev(&[]);
            b.sign_in(&server.base, "admin").await;
            assert_eq!(b.path().await, "/console/ops");
            b.wait_text("section[aria-labelledby='dev-outage']", "is up")
                .await;
            b.click("form[action='/console/ops/dev-outage'] button")
                .await;
            b.wait_text("section[aria-labelledby='dev-outage']", "down")
                .await;

            // An LPA the donor signs: its first OPG step meets the outage.
            let uid = create(&server, &application()).await;
            fire(&server, &uid, "submit", json!({})).await;
            fire(
                &server,
                &uid,
                "record_payment",
                json!({"amountPence": 9200}),
            )
            .await;
            fire(&server, &uid, "sign_as_donor", json!({})).await;

            b.wait_text("#live", "Not answering since").await;
            b.wait_text("#live", &uid).await;
            assert_eq!(
                b.count(&format!("#live a[href='/console/lpas/{uid}']"))
                    .await,
                1
            );
            b.axe("operations during an outage").await;
            b.screenshot("operations-outage").await;

            b.click("form[action='/console/ops/dev-outage'] button")
                .await;
            b.wait_text("section[aria-labelledby='dev-outage']", "is up")
                .await;
            b.wait_text("#live", "OPG outages seen by this process")
                .await;
            b.wait_text("#live .panel", "1 step in the last hour").await;
            assert!(!b.text_content("#live").await.contains("still down"));
        },
    )
    .await;
}

/// Fills the form of `event` on the LPA page: opens it, sets each (control name, value) and sends it; waits
/// for the page to say it was done.
async fn console_fire(b: &console_support::Browser, event: &str, values: &[(&str, &str)]) {
    let form = format!("form[data-event='{event}']");
    let id = event.replace([':', '.'], "-");
    b.click(&format!("#form-{id}-form summary")).await;
    for (name, value) in values {
        b.set_value(&format!("{form} [name='{name}']"), value).await;
    }
    b.click(&format!("{form} button[type='submit']")).await;
    let words = event.replace('_', " ");
    b.wait_text(".banner-success", &format!("Done: {words}"))
        .await;
}

/// Issue 16's done-when: a paper LPA with a half-fee claim and a same-last-name finding, created by the service
/// only, found by a caseworker by the donor's name, taken as their next case, and worked from created to
/// registered in the console alone (what arrives by post keyed in, the fee decided, £46.00 taken, the paper
/// identity checks and the signatures recorded); four weeks pass on the development clock.
#[tokio::test]
async fn console_caseworker_finds_a_paper_lpa_by_name_and_takes_it_to_registered() {
    with_browser(
        "console_caseworker_finds_a_paper_lpa_by_name_and_takes_it_to_registered",
        |b| async move {
            let server = Server::start_dev(&[]);
            let uid = create(
                &server,
                &lpaflow_test_support::lpa_application::paper_application(),
            )
            .await;
            create(&server, &application()).await;

            b.sign_in(&server.base, "caseworker").await;
            b.goto(&format!("{}/console/lpas", server.base)).await;
            b.type_into("#q", "grace hopper").await;
            b.click("form[action='/console/lpas'] button[type='submit']")
                .await;
            b.wait_text("#queue-caption", "1 LPA matches").await;
            b.wait_text("table tbody", "Hopper, Grace").await;
            b.wait_text("table tbody", "Paper application").await;
            b.axe("search results").await;
            b.screenshot("search").await;

            b.goto(&format!("{}/console/queue", server.base)).await;
            b.click("form[action='/console/queue/next'] button").await;
            b.wait_text("h1", &uid).await;
            b.wait_text(".summary-list", "You").await;
            b.goto(&format!(
                "{}/console/queue?filter=all&owner=mine",
                server.base
            ))
            .await;
            b.wait_text("#queue-caption", "1 to 1 of 1").await;
            b.axe("my cases").await;
            b.screenshot("queue-mine").await;
            b.goto(&format!("{}/console/lpas/{uid}", server.base)).await;
            b.wait_text(".summary-list", "created").await;

            let now = lpa(&server, &uid).await["updatedAt"]
                .as_str()
                .unwrap()
                .to_owned();
            let local = |rfc3339: &str| {
                let t = chrono::DateTime::parse_from_rfc3339(rfc3339)
                    .unwrap()
                    .to_utc();
                let london = lpaflow_core::BusinessZone::parse("Europe/London").unwrap();
                london.local(t).format("%Y-%m-%dT%H:%M:%S").to_string()
            };
            let checked = local(&now);
            console_fire(&b, "confirm_not_related", &[]).await;
            console_fire(&b, "submit", &[]).await;
            console_fire(
                &b,
                "provide_fee_evidence",
                &[("kind", "income"), ("reference", "P60 received by post")],
            )
            .await;
            console_fire(
                &b,
                "decide_fee",
                &[("outcome", "approved"), ("approvedType", "HalfFee")],
            )
            .await;
            console_fire(&b, "record_payment", &[("amountPence", "£46.00")]).await;
            b.wait_text(".summary-list", "signing").await;
            console_fire(
                &b,
                "confirm_donor_identity",
                &[("type", "opg-paper-id"), ("checkedAt", &checked)],
            )
            .await;
            console_fire(
                &b,
                "confirm_certificate_provider_identity",
                &[("type", "opg-paper-id"), ("checkedAt", &checked)],
            )
            .await;
            console_fire(&b, "sign_as_donor", &[]).await;
            console_fire(&b, "sign_as_certificate_provider", &[]).await;
            let attorney = lpa(&server, &uid).await["application"]["attorneys"][0]["uid"]
                .as_str()
                .unwrap()
                .to_owned();
            console_fire(
                &b,
                "sign_as_attorney",
                &[("uid", &attorney), ("confirmedNotBankrupt", "true")],
            )
            .await;
            console_fire(&b, "enter_waiting_period", &[]).await;
            b.wait_text(".summary-list", "statutory waiting period")
                .await;

            // Four weeks pass.
            let (status, moved) = server
                .call(
                    Method::POST,
                    "/v1/dev/clock",
                    Some("admin"),
                    Some(&json!({"advance": "29d"})),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{moved}");
            let started = std::time::Instant::now();
            while lpa(&server, &uid).await["state"] != "registered" {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(30),
                    "registered within 30 s"
                );
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            b.goto(&format!("{}/console/lpas/{uid}", server.base)).await;
            b.wait_text(".summary-list", "registered").await;
            b.axe("a paper LPA registered").await;

            let history = server
                .call(
                    Method::GET,
                    &format!("/v1/lpas/{uid}/history"),
                    Some("auditor"),
                    None,
                )
                .await
                .1;
            let roles: Vec<&str> = history
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["role"].as_str().unwrap())
                .collect();
            assert_eq!(roles[0], "service", "the service created it");
            assert!(
                roles[1..].iter().all(|r| *r != "service"),
                "and did nothing else: {roles:?}"
            );
        },
    )
    .await;
}
