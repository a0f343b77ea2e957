//! History, chain heads and chain verification: readable by auditors, caseworkers and admins, never by
//! services; the hash chain links every entry from 64 zeros to the published head.

use crate::common::Harness;
use axum::http::StatusCode;
use lpaflow_api::Role;
use serde_json::{Value, json};

async fn history(h: &Harness, uid: &str, query: &str, role: Role) -> Vec<Value> {
    let r = h
        .get(&format!("/v1/lpas/{uid}/history{query}"))
        .role(role)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json().as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_lists_every_entry_in_a_hash_chain_ending_at_the_chain_head() {
    let h = Harness::start().await;
    let uid = h.lpa_in_signing().await;
    let revision = h.view(&uid, Role::Service).await["revision"]
        .as_u64()
        .unwrap();
    let entries = history(&h, &uid, "", Role::Auditor).await;
    assert_eq!(entries.len() as u64, revision, "one entry per revision");
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=revision).collect::<Vec<_>>());
    assert_eq!(entries[0]["event"], "create");
    assert!(entries[0].get("from").is_none(), "creation has no from");
    assert_eq!(entries[0]["to"], "created");
    assert_eq!(entries[0]["actor"], "test-service");
    assert_eq!(entries[0]["role"], "service");
    assert_eq!(entries[0]["prevHash"], "0".repeat(64));
    for pair in entries.windows(2) {
        assert_eq!(pair[1]["prevHash"], pair[0]["hash"], "the chain links");
        assert!(pair[1]["from"].is_string());
    }
    let events: Vec<&str> = entries
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(events.contains(&"submit"), "{events:?}");
    assert!(events.contains(&"record_payment"), "{events:?}");

    let r = h
        .get(&format!("/v1/lpas/{uid}/chain-head"))
        .role(Role::Caseworker)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"uid": uid, "revision": revision, "hash": entries.last().unwrap()["hash"]})
    );

    let page = history(&h, &uid, "?after=1&limit=2", Role::Admin).await;
    assert_eq!(
        page,
        entries[1..3].to_vec(),
        "after and limit page the history"
    );
    assert_eq!(
        history(&h, &uid, &format!("?after={revision}"), Role::Caseworker).await,
        Vec::<Value>::new()
    );
    let r = h
        .get(&format!("/v1/lpas/{uid}/history?after=-1"))
        .role(Role::Admin)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["pointer"], "/after", "{}", r.text());
    let beyond_int64 = "9223372036854775808";
    let r = h
        .get(&format!("/v1/lpas/{uid}/history?after={beyond_int64}"))
        .role(Role::Admin)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["code"], "invalid_query", "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_may_not_read_history_or_chain_heads_and_only_auditors_and_admins_verify() {
    let h = Harness::start().await;
    let uid = h.create().await;
    for path in [
        format!("/v1/lpas/{uid}/history"),
        format!("/v1/lpas/{uid}/chain-head"),
    ] {
        h.get(&path)
            .role(Role::Service)
            .send()
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden");
        for role in [Role::Auditor, Role::Caseworker, Role::Admin] {
            assert_eq!(h.get(&path).role(role).send().await.status, StatusCode::OK);
        }
    }
    for role in [Role::Service, Role::Caseworker] {
        h.get("/v1/audit/verify")
            .role(role)
            .send()
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_recomputes_every_chain_or_one() {
    let h = Harness::start().await;
    let a = h.create().await;
    let b = h.lpa_in_signing().await;
    let revisions = h.view(&a, Role::Service).await["revision"]
        .as_u64()
        .unwrap()
        + h.view(&b, Role::Service).await["revision"]
            .as_u64()
            .unwrap();
    for role in [Role::Auditor, Role::Admin] {
        let r = h.get("/v1/audit/verify").role(role).send().await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            r.json(),
            json!({"ok": true, "checked": 2, "entries": revisions, "broken": [], "orphans": []})
        );
    }
    let one = h
        .get(&format!("/v1/audit/verify?uid={a}"))
        .role(Role::Auditor)
        .send()
        .await
        .json();
    assert_eq!(
        one,
        json!({"ok": true, "checked": 1, "entries": 1, "broken": [], "orphans": []})
    );
}

/// Personal data by role (issue 17, item 8): services and caseworkers see the application whole; auditors and
/// admins see the same LPA and its history with names, dates of birth, contact details, addresses and income
/// masked, and the masked history still chains to the head (the hashes are the stored ones).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auditors_and_admins_see_personal_data_masked_in_the_lpa_and_its_history() {
    let h = Harness::start().await;
    let uid = h.lpa_in_signing().await;
    let whole = h.view(&uid, Role::Caseworker).await;
    let donor_name = whole["application"]["donor"]["lastName"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        h.view(&uid, Role::Service).await["application"],
        whole["application"]
    );
    for role in [Role::Auditor, Role::Admin] {
        let view = h.view(&uid, role).await;
        let app = &view["application"];
        assert_eq!(app["donor"]["lastName"], "[masked]", "{role}");
        assert_eq!(app["donor"]["dateOfBirth"], "[masked]", "{role}");
        assert_eq!(app["donor"]["address"], "[masked]", "{role}");
        assert_eq!(app["attorneys"][0]["firstNames"], "[masked]", "{role}");
        assert_eq!(
            app["lpaType"], whole["application"]["lpaType"],
            "{role}: not personal"
        );
        assert!(!view.to_string().contains(&donor_name), "{role}: {view}");
    }

    let seen = history(&h, &uid, "", Role::Caseworker).await;
    assert!(
        seen[0].to_string().contains(&donor_name),
        "caseworkers see it"
    );
    let masked = history(&h, &uid, "", Role::Auditor).await;
    assert!(
        !Value::Array(masked.clone())
            .to_string()
            .contains(&donor_name),
        "auditors do not"
    );
    assert_eq!(masked[0]["payload"]["donor"]["lastName"], "[masked]");
    assert_eq!(masked.len(), seen.len());
    for (m, s) in masked.iter().zip(&seen) {
        assert_eq!(m["hash"], s["hash"], "the same entries, the same chain");
        assert_eq!(m["event"], s["event"]);
    }
}
