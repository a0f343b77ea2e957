//! The database is the source of truth: a restarted simulator on the same file still refuses a second create
//! and keeps its counters and change log.

use serde_json::{Value, json};

use crate::common::{document, eventually, start, start_in, uid};

#[tokio::test]
async fn a_restarted_simulator_still_refuses_a_second_create() {
    let sim = start().await;
    let u = uid(1);
    sim.create(&u).await;
    sim.update(
        &u,
        "DONOR_SIGN",
        json!([{"key": "/signedAt", "old": null, "new": "2025-01-02T10:00:00Z"}]),
    )
    .await
    .expect("sign");
    let _ = sim.client.create(&u, &document()).await;
    let dir = sim.stop().await;

    let sim = start_in(dir, |_| {}).await;
    let again = sim
        .client
        .create(&u, &document())
        .await
        .map(|()| Value::Null);
    crate::common::assert_refused(again, "LPA with UID already exists");
    let stored = sim.client.get(&u).await.expect("get").expect("kept");
    assert_eq!(stored["signedAt"], json!("2025-01-02T10:00:00Z"));
    assert_eq!(
        sim.client.updates(&u).await.expect("log").map(|l| l.len()),
        Some(1)
    );
    let stats = sim.handle.stats();
    assert_eq!(stats.writes_applied, 2);
    assert_eq!(stats.duplicates_by_lpa.get(&u), Some(&2));
    sim.stop().await;
}

#[tokio::test]
async fn shutdown_releases_requests_held_by_the_timeout_fault() {
    let sim = start().await;
    sim.put_faults(json!({"timeoutRate": 1.0})).await;
    let client = sim.client.clone();
    let held = tokio::spawn(async move { client.get(&uid(1)).await });
    let state = sim.handle.state().clone();
    eventually("the request to be held", || {
        let state = state.clone();
        async move { state.stats().timeouts == 1 }
    })
    .await;
    sim.stop().await;
    let result = held.await.expect("task");
    assert!(result.is_err(), "{result:?}");
}
