//! Each fault setting, set at runtime through `PUT /__admin/faults`, as the client sees it.

use lpaflow_opg::OpgError;
use serde_json::{Value, json};

use crate::common::{client_for, document, start, start_with, uid};

fn retryable(result: &Result<impl std::fmt::Debug, OpgError>) -> (Option<u16>, Option<u64>) {
    match result {
        Err(OpgError::Retryable {
            status,
            retry_after_ms,
            ..
        }) => (*status, *retry_after_ms),
        other => panic!("expected retryable, got {other:?}"),
    }
}

#[tokio::test]
async fn outage_is_503_with_retry_after_everywhere() {
    let sim = start().await;
    sim.create(&uid(1)).await;
    sim.put_faults(json!({"outage": true})).await;
    assert_eq!(
        retryable(&sim.client.get(&uid(1)).await),
        (Some(503), Some(5_000))
    );
    assert_eq!(
        retryable(&sim.client.create(&uid(2), &document()).await),
        (Some(503), Some(5_000))
    );
    assert_eq!(
        retryable(&sim.client.health().await),
        (Some(503), Some(5_000))
    );
    sim.put_faults(json!({"outage": false})).await;
    sim.client.health().await.expect("healthy again");
    assert_eq!(
        sim.client.get(&uid(2)).await.expect("get"),
        None,
        "nothing was applied during the outage"
    );
    assert_eq!(sim.handle.stats().status_count(503), 3);
    sim.stop().await;
}

#[tokio::test]
async fn maintenance_window_is_503_inside_and_nothing_outside() {
    let sim = start().await;
    let now = chrono::Utc::now();
    let inside = json!({"from": (now - chrono::Duration::minutes(1)).to_rfc3339(), "to": (now + chrono::Duration::hours(1)).to_rfc3339()});
    sim.put_faults(json!({"maintenance": inside})).await;
    let (status, retry_after) = retryable(&sim.client.get(&uid(1)).await);
    assert_eq!(status, Some(503));
    assert!(
        retry_after.is_some_and(|ms| ms > 3_000_000 && ms <= 3_600_000),
        "{retry_after:?}"
    );
    assert_eq!(retryable(&sim.client.health().await).0, Some(503));
    let past = json!({"from": (now - chrono::Duration::hours(2)).to_rfc3339(), "to": (now - chrono::Duration::hours(1)).to_rfc3339()});
    sim.put_faults(json!({"maintenance": past})).await;
    assert_eq!(
        sim.client.get(&uid(1)).await.expect("outside the window"),
        None
    );
    sim.put_faults(json!({"maintenance": null})).await;
    assert!(sim.handle.faults().maintenance.is_none());
    sim.stop().await;
}

#[tokio::test]
async fn throttling_is_429_with_retry_after() {
    let sim = start().await;
    sim.put_faults(json!({"throttleRate": 1.0})).await;
    assert_eq!(
        retryable(&sim.client.get(&uid(1)).await),
        (Some(429), Some(1_000))
    );
    assert_eq!(
        retryable(&sim.client.create(&uid(1), &document()).await),
        (Some(429), Some(1_000))
    );
    sim.put_faults(json!({"throttleRate": 0.0})).await;
    assert_eq!(
        sim.client.get(&uid(1)).await.expect("get"),
        None,
        "a throttled write is not applied"
    );
    sim.stop().await;
}

async fn statuses(sim: &crate::common::Sim, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            sim.call(reqwest::Method::GET, &format!("/lpas/{}", uid(1)), None)
                .await
                .0,
        );
    }
    out
}

#[tokio::test]
async fn error_rate_is_reproducible_with_a_seed_and_classified_by_access() {
    let sim = start().await;
    sim.create(&uid(1)).await;
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
    let mut seen = Vec::new();
    for i in 0..12 {
        match sim.client.get(&uid(1)).await {
            Err(OpgError::Retryable {
                status: Some(s), ..
            }) => seen.push(s),
            other => panic!("a read fails retryably, got {other:?}"),
        }
        match sim.client.create(&uid(100 + i), &document()).await {
            Err(OpgError::Retryable {
                status: Some(502), ..
            }) => {}
            Err(OpgError::Ambiguous { detail }) => assert!(
                detail.starts_with("500") || detail.starts_with("504"),
                "{detail}"
            ),
            other => {
                panic!("a write fails retryably (502) or ambiguously (500, 504), got {other:?}")
            }
        }
    }
    assert!(seen.iter().all(|s| [500, 502, 504].contains(s)));
    sim.stop().await;
}

#[tokio::test]
async fn timeouts_are_ambiguous_for_writes_and_retryable_for_reads() {
    let sim = start().await;
    let impatient = client_for(&sim.handle, 300);
    sim.put_faults(json!({"timeoutRate": 1.0})).await;
    let write = impatient.create(&uid(1), &document()).await;
    assert!(
        matches!(&write, Err(OpgError::Ambiguous { detail }) if detail.starts_with("timeout")),
        "{write:?}"
    );
    let read = impatient.get(&uid(1)).await;
    assert!(
        matches!(read, Err(OpgError::Retryable { status: None, .. })),
        "{read:?}"
    );
    assert_eq!(sim.handle.stats().timeouts, 2);
    sim.put_faults(json!({"timeoutRate": 0.0})).await;
    assert_eq!(
        sim.client.get(&uid(1)).await.expect("get"),
        None,
        "a timed-out request is not applied"
    );
    sim.stop().await;
}

#[tokio::test]
async fn resets_drop_the_connection_without_a_response() {
    let sim = start().await;
    sim.put_faults(json!({"resetRate": 1.0})).await;
    let raw = sim
        .http
        .get(sim.url(&format!("/lpas/{}", uid(1))))
        .header(lpaflow_opg::jwt::JWT_HEADER, sim.token())
        .send()
        .await;
    let err = raw.expect_err("no response at all");
    assert!(
        !err.is_status() && !err.is_timeout(),
        "a transport error: {err:?}"
    );
    let write = sim.client.create(&uid(1), &document()).await;
    assert!(
        matches!(write, Err(OpgError::Ambiguous { .. })),
        "{write:?}"
    );
    let read = sim.client.get(&uid(1)).await;
    assert!(
        matches!(read, Err(OpgError::Retryable { status: None, .. })),
        "{read:?}"
    );
    assert_eq!(sim.handle.stats().connections_dropped, 3);
    sim.put_faults(json!({"resetRate": 0.0})).await;
    assert_eq!(sim.client.get(&uid(1)).await.expect("get"), None);
    sim.stop().await;
}

#[tokio::test]
async fn commit_then_fail_applies_the_write_and_the_client_sees_ambiguous() {
    let sim = start().await;
    sim.put_faults(json!({"commitThenFailRate": 1.0, "seed": 1}))
        .await;
    for i in 0..6 {
        let write = sim.client.create(&uid(i), &document()).await;
        assert!(
            matches!(write, Err(OpgError::Ambiguous { .. })),
            "{write:?}"
        );
        assert!(
            sim.client
                .get(&uid(i))
                .await
                .expect("reads are not affected")
                .is_some(),
            "applied"
        );
    }
    let stats = sim.handle.stats();
    assert_eq!(stats.writes_applied, 6);
    assert!(
        stats.status_count(500) + stats.connections_dropped == 6,
        "{stats:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn stale_reads_answer_the_previous_version_with_an_age_header() {
    let sim = start().await;
    let (u, fresh) = (uid(1), uid(2));
    sim.create(&u).await;
    sim.create(&fresh).await;
    sim.update(
        &u,
        "DONOR_SIGN",
        json!([{"key": "/signedAt", "old": null, "new": "2025-01-02T10:00:00Z"}]),
    )
    .await
    .expect("sign");
    sim.put_faults(json!({"staleReads": true})).await;
    let read = sim.client.read(&u).await.expect("read");
    assert!(read.is_stale());
    assert_eq!(
        read.lpa.as_ref().map(|l| l["signedAt"].clone()),
        Some(Value::Null),
        "the version before signing"
    );
    let (status, headers, _) = sim
        .call(reqwest::Method::GET, &format!("/lpas/{fresh}"), None)
        .await;
    assert_eq!(status, 404, "no version before the create");
    assert!(headers.contains_key("age"));
    let batch = sim
        .client
        .get_many(&[u.clone(), fresh.clone()])
        .await
        .expect("batch");
    assert_eq!(batch.len(), 1);
    sim.put_faults(json!({"staleReads": false})).await;
    let read = sim.client.read(&u).await.expect("read");
    assert!(!read.is_stale());
    assert_eq!(
        read.lpa.map(|l| l["signedAt"].clone()),
        Some(json!("2025-01-02T10:00:00Z"))
    );
    sim.stop().await;
}

#[tokio::test]
async fn faults_given_at_start_apply_and_latency_round_trips() {
    let sim = start_with(|c| c.faults.outage = true).await;
    assert_eq!(retryable(&sim.client.health().await).0, Some(503));
    let f = sim
        .put_faults(json!({"outage": false, "latencyMs": 20}))
        .await;
    assert_eq!(f["latencyMs"], json!(20));
    sim.client.health().await.expect("up");
    assert_eq!(sim.client.get(&uid(1)).await.expect("slow but fine"), None);
    sim.stop().await;
}
