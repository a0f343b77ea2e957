//! Reveals (issue 17 item 8, issue 16 item 6): an auditor sees one history entry's personal values only by
//! asking with a reason; the asking is recorded first and listed to auditors and admins; other roles cannot
//! reveal (services and caseworkers see the values anyway), and the history stays masked afterwards.

use crate::common::Harness;
use axum::http::StatusCode;
use lpaflow_api::Role;
use serde_json::{Value, json};

async fn reveal(h: &Harness, uid: &str, seq: u64, body: Value, role: Role) -> crate::common::Reply {
    h.post(&format!("/v1/lpas/{uid}/history/{seq}/reveal"))
        .role(role)
        .json(&body)
        .send()
        .await
}

async fn reveals(h: &Harness, uid: &str, role: Role) -> Vec<Value> {
    let r = h
        .get(&format!("/v1/lpas/{uid}/reveals"))
        .role(role)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json().as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_sees_one_entry_unmasked_once_the_reveal_is_recorded_with_its_reason() {
    let h = Harness::start().await;
    let uid = h.lpa_in_signing().await;
    let donor = h.view(&uid, Role::Caseworker).await["application"]["donor"]["lastName"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reveals(&h, &uid, Role::Auditor).await.is_empty());

    let r = reveal(
        &h,
        &uid,
        1,
        json!({"reason": "  complaint C-12  "}),
        Role::Auditor,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    assert_eq!(body["entry"]["seq"], 1);
    assert_eq!(
        body["entry"]["payload"]["donor"]["lastName"],
        donor.as_str()
    );
    assert_eq!(body["reveal"]["seq"], 1);
    assert_eq!(body["reveal"]["reason"], "complaint C-12");
    assert_eq!(body["reveal"]["role"], "auditor");

    let listed = reveals(&h, &uid, Role::Admin).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], body["reveal"]["id"]);
    assert_eq!(listed[0]["reason"], "complaint C-12");
    assert_eq!(listed[0]["actor"], body["reveal"]["actor"]);
    assert!(
        !Value::Array(listed).to_string().contains(&donor),
        "the record names the entry, never its values"
    );

    let history = h
        .get(&format!("/v1/lpas/{uid}/history"))
        .role(Role::Auditor)
        .send()
        .await
        .json();
    assert_eq!(
        history[0]["payload"]["donor"]["lastName"], "[masked]",
        "one reveal shows one entry once; the history stays masked"
    );
    assert_eq!(
        history[0]["hash"], body["entry"]["hash"],
        "the same entry, the same chain"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_auditors_reveal_and_only_with_a_reason_for_an_entry_that_exists() {
    let h = Harness::start().await;
    let uid = h.lpa_in_signing().await;
    let reason = json!({"reason": "audit A-1"});
    for role in [Role::Service, Role::Caseworker, Role::Admin] {
        let r = reveal(&h, &uid, 1, reason.clone(), role).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}: {}", r.text());
    }
    let r = h
        .get(&format!("/v1/lpas/{uid}/reveals"))
        .role(Role::Caseworker)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    for body in [
        json!({}),
        json!({"reason": "   "}),
        json!({"reason": "a\u{202e}b"}),
    ] {
        let r = reveal(&h, &uid, 1, body.clone(), Role::Auditor).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text()
        );
        assert_eq!(r.pointers(), ["/reason"], "{body}");
    }
    let r = reveal(&h, &uid, 999, reason.clone(), Role::Auditor).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(r.json()["code"], "entry_not_found");
    let r = reveal(&h, "M-QWER-TY34-6789", 1, reason, Role::Auditor).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert!(
        reveals(&h, &uid, Role::Auditor).await.is_empty(),
        "nothing refused was recorded"
    );
}
