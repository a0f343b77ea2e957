//! The database is the source of truth: a restarted simulator on the same file still refuses a second create
//! and keeps its LPAs, change log and counters.

use serde_json::json;

use crate::sim_common::{eventually, example, example_json, start, start_in, uid};

#[tokio::test]
async fn a_restarted_simulator_keeps_everything() {
    let sim = start().await;
    let u = uid(1);
    sim.create_example(&u).await;
    let signed = sim
        .update(&u, &example_json("certificate-provider-sign.json"))
        .await;
    assert_eq!(signed.status, 201);
    assert_eq!(
        sim.put_lpa(&u, &example("example-lpa.json")).await.status,
        400
    );
    let before = sim.get_lpa(&u).await.body;
    let dir = sim.stop().await;

    let sim = start_in(dir, |_| {}).await;
    let again = sim.put_lpa(&u, &example("example-lpa.json")).await;
    assert_eq!(
        (again.status, again.body["detail"].clone()),
        (400, json!("LPA with UID already exists"))
    );
    assert_eq!(sim.get_lpa(&u).await.body, before, "the LPA as it was");
    let log = sim.updates(&u).await;
    assert_eq!(log.body.as_array().map(Vec::len), Some(1));
    assert_eq!(log.body[0]["type"], json!("CERTIFICATE_PROVIDER_SIGN"));
    let stats = sim.handle.stats();
    assert_eq!(stats.writes_applied, 2);
    assert_eq!(stats.duplicates_by_lpa.get(&u), Some(&2));
    sim.stop().await;
}

#[tokio::test]
async fn shutdown_releases_requests_held_by_the_timeout_fault() {
    let sim = start().await;
    sim.put_faults(json!({"timeoutRate": 1.0})).await;
    let request = sim.http.get(sim.url(&format!("/lpas/{}", uid(1)))).send();
    let held = tokio::spawn(request);
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
