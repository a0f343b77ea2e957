//! `/__admin/*`: faults at runtime with omitted keys kept, validation, stats, reset.

use serde_json::json;

use crate::sim_common::{example, start, uid};

#[tokio::test]
async fn put_faults_keeps_omitted_keys_and_validates() {
    let sim = start().await;
    let f = sim
        .put_faults(json!({"outage": true, "errorRate": 0.25, "seed": 3}))
        .await;
    assert_eq!(
        (f["outage"].clone(), f["errorRate"].clone()),
        (json!(true), json!(0.25))
    );
    let f = sim
        .put_faults(json!({"latencyMs": 5, "applyDifferentlyRate": 0.5}))
        .await;
    assert_eq!(
        (
            f["outage"].clone(),
            f["errorRate"].clone(),
            f["latencyMs"].clone(),
            f["applyDifferentlyRate"].clone()
        ),
        (json!(true), json!(0.25), json!(5), json!(0.5))
    );
    assert_eq!(f["acknowledgeWithoutApplyingRate"], json!(0.0));
    let got: serde_json::Value = sim
        .http
        .get(sim.url("/__admin/faults"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(got, f);
    assert!(sim.handle.faults().outage);

    let bad = sim
        .http
        .put(sim.url("/__admin/faults"))
        .json(&json!({"errorRate": 3, "resetRate": -1, "acknowledgeWithoutApplyingRate": 2}))
        .send()
        .await
        .expect("put");
    assert_eq!(bad.status().as_u16(), 400);
    let body: serde_json::Value = bad.json().await.expect("json");
    let sources: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["source"].as_str())
        .collect();
    assert_eq!(
        sources,
        [
            "/errorRate",
            "/resetRate",
            "/acknowledgeWithoutApplyingRate"
        ]
    );
    let unknown = sim
        .http
        .put(sim.url("/__admin/faults"))
        .json(&json!({"nope": true}))
        .send()
        .await
        .expect("put");
    assert_eq!(unknown.status().as_u16(), 400);
    assert!(
        sim.handle.faults().outage,
        "a refused patch changes nothing"
    );
    sim.stop().await;
}

#[tokio::test]
async fn stats_count_statuses_writes_and_reset_zeroes_them() {
    let sim = start().await;
    let u = uid(1);
    sim.create_example(&u).await;
    let again = sim.put_lpa(&u, &example("example-lpa.json")).await;
    assert_eq!(again.status, 400);
    assert_eq!(sim.get_lpa(&uid(2)).await.status, 404);
    let stats = sim.admin_stats().await;
    assert_eq!(stats["requests"], json!({"201": 1, "400": 1, "404": 1}));
    assert_eq!(stats["writesApplied"], json!(1));
    assert_eq!(stats["duplicates"], json!(1));
    assert_eq!(stats["duplicatesByLpa"], json!({ u.clone(): 1 }));
    assert_eq!(stats["writesAcknowledgedNotApplied"], json!(0));
    assert_eq!(stats["writesAppliedDifferently"], json!(0));

    let reset = sim
        .http
        .post(sim.url("/__admin/reset"))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status().as_u16(), 200);
    let stats = sim.admin_stats().await;
    assert_eq!(
        (stats["writesApplied"].clone(), stats["duplicates"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(stats["requests"], json!({}));
    assert_eq!(sim.get_lpa(&u).await.status, 200, "data kept");

    sim.http
        .post(sim.url("/__admin/reset?data=true"))
        .send()
        .await
        .expect("reset data");
    assert_eq!(sim.get_lpa(&u).await.status, 404, "data wiped");
    sim.create_example(&u).await;
    sim.stop().await;
}
