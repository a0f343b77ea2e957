//! Each fault setting, set at runtime through `PUT /__admin/faults`, as a client sees it over HTTP.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::sim_common::{Sim, example, example_json, start, start_with, uid};

fn retry_after(a: &crate::sim_common::Answer) -> Option<u64> {
    a.headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

async fn health(sim: &Sim) -> crate::sim_common::Answer {
    crate::sim_common::answer(
        sim.http
            .get(sim.url("/health-check"))
            .send()
            .await
            .expect("health"),
    )
    .await
}

#[tokio::test]
async fn outage_is_503_with_retry_after_everywhere() {
    let sim = start().await;
    sim.create_example(&uid(1)).await;
    sim.put_faults(json!({"outage": true})).await;
    let read = sim.get_lpa(&uid(1)).await;
    assert_eq!((read.status, retry_after(&read)), (503, Some(5)));
    assert_eq!(read.body["code"], json!("SERVICE_UNAVAILABLE"));
    let write = sim.put_lpa(&uid(2), &example("example-lpa.json")).await;
    assert_eq!((write.status, retry_after(&write)), (503, Some(5)));
    assert_eq!(health(&sim).await.status, 503);
    sim.put_faults(json!({"outage": false})).await;
    assert_eq!(health(&sim).await.status, 200);
    assert_eq!(
        sim.get_lpa(&uid(2)).await.status,
        404,
        "nothing was applied during the outage"
    );
    assert_eq!(
        sim.handle.stats().status_count(503),
        3,
        "the health check is counted too"
    );
    sim.stop().await;
}

#[tokio::test]
async fn maintenance_window_is_503_inside_and_nothing_outside() {
    let sim = start().await;
    let now = chrono::Utc::now();
    let inside = json!({"from": (now - chrono::Duration::minutes(1)).to_rfc3339(), "to": (now + chrono::Duration::hours(1)).to_rfc3339()});
    sim.put_faults(json!({"maintenance": inside})).await;
    let read = sim.get_lpa(&uid(1)).await;
    assert_eq!(read.status, 503);
    assert!(
        retry_after(&read).is_some_and(|s| s > 3_000 && s <= 3_600),
        "{read:?}"
    );
    assert_eq!(health(&sim).await.status, 503);
    let past = json!({"from": (now - chrono::Duration::hours(2)).to_rfc3339(), "to": (now - chrono::Duration::hours(1)).to_rfc3339()});
    sim.put_faults(json!({"maintenance": past})).await;
    assert_eq!(sim.get_lpa(&uid(1)).await.status, 404);
    sim.put_faults(json!({"maintenance": null})).await;
    assert!(sim.handle.faults().maintenance.is_none());
    sim.stop().await;
}

#[tokio::test]
async fn throttling_is_429_with_retry_after_and_applies_nothing() {
    let sim = start().await;
    sim.put_faults(json!({"throttleRate": 1.0})).await;
    let write = sim.put_lpa(&uid(1), &example("example-lpa.json")).await;
    assert_eq!((write.status, retry_after(&write)), (429, Some(1)));
    sim.put_faults(json!({"throttleRate": 0.0})).await;
    assert_eq!(sim.get_lpa(&uid(1)).await.status, 404);
    sim.stop().await;
}

async fn statuses(sim: &Sim, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(sim.get_lpa(&uid(1)).await.status);
    }
    out
}

#[tokio::test]
async fn error_rate_is_reproducible_with_a_seed() {
    let sim = start().await;
    sim.create_example(&uid(1)).await;
    sim.put_faults(json!({"errorRate": 0.5, "seed": 42})).await;
    let first = statuses(&sim, 30).await;
    sim.put_faults(json!({"seed": 42})).await;
    assert_eq!(statuses(&sim, 30).await, first, "same seed, same faults");
    assert!(
        first.contains(&200) && first.iter().any(|s| [500, 502, 504].contains(s)),
        "{first:?}"
    );
    assert!(
        first.iter().all(|s| [200, 500, 502, 504].contains(s)),
        "{first:?}"
    );
    sim.put_faults(json!({"errorRate": 1.0})).await;
    let write = sim.put_lpa(&uid(2), &example("example-lpa.json")).await;
    assert!([500, 502, 504].contains(&write.status));
    sim.put_faults(json!({"errorRate": 0.0})).await;
    assert_eq!(
        sim.get_lpa(&uid(2)).await.status,
        404,
        "an injected error applies nothing"
    );
    sim.stop().await;
}

#[tokio::test]
async fn timeouts_hold_the_request_and_apply_nothing() {
    let sim = start().await;
    sim.put_faults(json!({"timeoutRate": 1.0})).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let err = impatient
        .put(sim.url(&format!("/lpas/{}", uid(1))))
        .body(example("example-lpa.json"))
        .send()
        .await
        .expect_err("times out");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(sim.handle.stats().timeouts, 1);
    sim.put_faults(json!({"timeoutRate": 0.0})).await;
    assert_eq!(
        sim.get_lpa(&uid(1)).await.status,
        404,
        "a timed-out request is not applied"
    );
    sim.stop().await;
}

#[tokio::test]
async fn resets_drop_the_connection_without_a_response() {
    let sim = start().await;
    sim.put_faults(json!({"resetRate": 1.0})).await;
    let err = sim
        .http
        .get(sim.url(&format!("/lpas/{}", uid(1))))
        .send()
        .await
        .expect_err("no response at all");
    assert!(
        !err.is_status() && !err.is_timeout(),
        "a transport error: {err:?}"
    );
    let write = sim
        .http
        .put(sim.url(&format!("/lpas/{}", uid(1))))
        .body(example("example-lpa.json"))
        .send()
        .await;
    assert!(write.is_err());
    assert_eq!(sim.handle.stats().connections_dropped, 2);
    sim.put_faults(json!({"resetRate": 0.0})).await;
    assert_eq!(sim.get_lpa(&uid(1)).await.status, 404);
    sim.stop().await;
}

#[tokio::test]
async fn commit_then_fail_applies_the_write_then_fails_the_answer() {
    let sim = start().await;
    sim.put_faults(json!({"commitThenFailRate": 1.0, "seed": 1}))
        .await;
    for i in 0..6 {
        let token =
            crate::sim_common::token_for(crate::sim_common::SECRET, crate::sim_common::AUTHOR);
        let write = sim
            .http
            .put(sim.url(&format!("/lpas/{}", uid(i))))
            .header("x-jwt-authorization", format!("Bearer {token}"))
            .body(example("example-lpa.json"))
            .send()
            .await;
        match write {
            Ok(r) => assert!(matches!(r.status().as_u16(), 500 | 502), "{r:?}"),
            Err(e) => assert!(!e.is_timeout(), "{e:?}"),
        }
        assert_eq!(sim.get_lpa(&uid(i)).await.status, 200, "applied");
    }
    let stats = sim.handle.stats();
    assert_eq!(stats.writes_applied, 6);
    assert_eq!(
        stats.status_count(500) + stats.status_count(502) + stats.connections_dropped,
        6,
        "{stats:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn stale_reads_answer_the_previous_version_with_an_age_header() {
    let sim = start().await;
    let (u, fresh) = (uid(1), uid(2));
    sim.create_example(&u).await;
    sim.create_example(&fresh).await;
    let signed = sim
        .update(&u, &example_json("certificate-provider-sign.json"))
        .await;
    assert_eq!(signed.status, 201);
    sim.put_faults(json!({"staleReads": true})).await;
    let read = sim.get_lpa(&u).await;
    assert!(read.headers.contains_key("age"));
    assert_eq!(
        read.body["certificateProvider"].get("signedAt"),
        None,
        "the version before signing"
    );
    let never_updated = sim.get_lpa(&fresh).await;
    assert_eq!(never_updated.status, 404, "no version before the create");
    assert!(never_updated.headers.contains_key("age"));
    let batch = sim
        .send(
            Method::POST,
            "/lpas",
            Some(serde_json::to_vec(&json!({"uids": [u, fresh]})).expect("json")),
        )
        .await;
    assert_eq!(batch.body["lpas"].as_array().map(Vec::len), Some(1));
    sim.put_faults(json!({"staleReads": false})).await;
    let read = sim.get_lpa(&u).await;
    assert!(!read.headers.contains_key("age"));
    assert_eq!(
        read.body["certificateProvider"]["signedAt"],
        json!("2024-01-13T22:00:00Z")
    );
    sim.stop().await;
}

/// DynamoDB's eventually consistent reads, as the store makes them: a read within a second of a write may
/// miss it (with no header to say so), an update built on such a read overwrites the write it missed, and a
/// create whose existence check missed an LPA created a moment ago is stored over it.
#[tokio::test]
async fn lagging_reads_miss_the_last_second_of_writes_and_lose_updates_built_on_them() {
    let sim = start().await;
    let (u, v) = (uid(1), uid(2));
    sim.create_example(&u).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let signed = sim
        .update(&u, &example_json("certificate-provider-sign.json"))
        .await;
    assert_eq!(signed.status, 201);
    sim.put_faults(json!({"laggingReadRate": 1.0})).await;
    let read = sim.get_lpa(&u).await;
    assert_eq!(read.status, 200);
    assert!(!read.headers.contains_key("age"), "nothing says it lags");
    assert_eq!(read.body["certificateProvider"].get("signedAt"), None);
    let batch = sim
        .send(
            Method::POST,
            "/lpas",
            Some(serde_json::to_vec(&json!({"uids": [u]})).expect("json")),
        )
        .await;
    assert_eq!(
        batch.body["lpas"][0]["certificateProvider"].get("signedAt"),
        None
    );
    let confirmed = sim
        .update(&u, &example_json("donor-confirm-identity.json"))
        .await;
    assert_eq!(
        confirmed.status, 201,
        "built on the version before the signature"
    );
    sim.create_example(&v).await;
    let again = sim.put_lpa(&v, &example("example-lpa.json")).await;
    assert_eq!(
        again.status, 201,
        "the existence check missed the first create"
    );
    sim.put_faults(json!({"laggingReadRate": 0.0})).await;
    let read = sim.get_lpa(&u).await;
    assert_eq!(
        read.body["donor"]["identityCheck"]["type"],
        json!("one-login")
    );
    assert_eq!(
        read.body["certificateProvider"].get("signedAt"),
        None,
        "the signature was lost"
    );
    let stats = sim.handle.stats();
    assert!(stats.lagging_reads >= 4, "{stats:?}");
    assert_eq!(stats.duplicates_by_lpa.get(&v), Some(&1), "{stats:?}");
    sim.put_faults(json!({"laggingReadRate": 1.0})).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let settled = sim.get_lpa(&u).await;
    assert_eq!(
        settled.body["donor"]["identityCheck"]["type"],
        json!("one-login"),
        "a second after the last write every read sees it"
    );
    sim.stop().await;
}

#[tokio::test]
async fn faults_given_at_start_apply_and_latency_round_trips() {
    let sim = start_with(|c| c.faults.outage = true).await;
    assert_eq!(health(&sim).await.status, 503);
    let f = sim
        .put_faults(json!({"outage": false, "latencyMs": 20}))
        .await;
    assert_eq!(f["latencyMs"], json!(20));
    assert_eq!(health(&sim).await.status, 200);
    assert_eq!(sim.get_lpa(&uid(1)).await.status, 404, "slow but fine");
    sim.stop().await;
}

#[tokio::test]
async fn acknowledged_writes_are_not_stored() {
    let sim = start().await;
    let u = uid(1);
    sim.put_faults(json!({"acknowledgeWithoutApplyingRate": 1.0}))
        .await;
    let created = sim.put_lpa(&u, &example("example-lpa.json")).await;
    assert_eq!((created.status, created.body), (201, json!({})));
    assert_eq!(
        sim.get_lpa(&u).await.status,
        404,
        "answered 201, never stored"
    );
    sim.put_faults(json!({"acknowledgeWithoutApplyingRate": 0.0}))
        .await;
    sim.create_example(&u).await;
    sim.put_faults(json!({"acknowledgeWithoutApplyingRate": 1.0}))
        .await;
    let signed = sim
        .update(&u, &example_json("certificate-provider-sign.json"))
        .await;
    assert_eq!(signed.status, 201);
    assert_eq!(
        signed.body["certificateProvider"]["signedAt"],
        json!("2024-01-13T22:00:00Z"),
        "the body the store would send"
    );
    let stored = sim.get_lpa(&u).await;
    assert_eq!(stored.body["certificateProvider"].get("signedAt"), None);
    assert_eq!(
        sim.updates(&u).await.status,
        404,
        "no change-log row either"
    );
    let refused = sim
        .update(&u, &json!({"type": "REGISTER", "changes": []}))
        .await;
    assert_eq!(
        refused.status, 400,
        "a write the rules refuse is refused as usual"
    );
    let stats = sim.admin_stats().await;
    assert_eq!(
        (
            stats["writesAcknowledgedNotApplied"].clone(),
            stats["writesApplied"].clone()
        ),
        (json!(2), json!(1))
    );
    sim.stop().await;
}

#[tokio::test]
async fn writes_applied_differently_show_a_difference_on_read_back() {
    let sim = start().await;
    let u = uid(1);
    sim.put_faults(json!({"applyDifferentlyRate": 1.0})).await;
    assert_eq!(
        sim.put_lpa(&u, &example("example-lpa.json")).await.status,
        201
    );
    let stored = sim.get_lpa(&u).await.body;
    assert_ne!(
        stored["attorneys"][0]["firstNames"],
        json!("Herman"),
        "the last attorney is altered"
    );
    let signed = sim
        .update(&u, &example_json("certificate-provider-sign.json"))
        .await;
    assert_eq!(signed.status, 201);
    assert_eq!(
        signed.body["certificateProvider"]["email"],
        json!("b@example.com"),
        "answered as if applied"
    );
    let stored: Value = sim.get_lpa(&u).await.body;
    // certificate-provider-sign.json's last change is the email: stored without it.
    assert_eq!(
        stored["certificateProvider"]["email"],
        json!("a@example.com")
    );
    assert_eq!(
        stored["certificateProvider"]["signedAt"],
        json!("2024-01-13T22:00:00Z")
    );
    assert_eq!(sim.updates(&u).await.body.as_array().map(Vec::len), Some(1));
    let stats = sim.admin_stats().await;
    assert_eq!(
        (
            stats["writesAppliedDifferently"].clone(),
            stats["writesApplied"].clone()
        ),
        (json!(2), json!(2))
    );
    sim.stop().await;
}
