//! `/__admin/*`: faults at runtime with omitted keys kept, validation, stats, reset.

use serde_json::json;

use crate::common::{start, uid};

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
    let f = sim.put_faults(json!({"latencyMs": 5})).await;
    assert_eq!(
        (
            f["outage"].clone(),
            f["errorRate"].clone(),
            f["latencyMs"].clone()
        ),
        (json!(true), json!(0.25), json!(5))
    );
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
        .json(&json!({"errorRate": 3, "resetRate": -1}))
        .send()
        .await
        .expect("put");
    assert_eq!(bad.status().as_u16(), 400);
    let body: serde_json::Value = bad.json().await.expect("json");
    assert_eq!(body["errors"][0]["source"], json!("/errorRate"));
    assert_eq!(body["errors"][1]["source"], json!("/resetRate"));
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
    sim.create(&u).await;
    let _ = sim.client.create(&u, &crate::common::document()).await;
    let _ = sim.client.get(&uid(2)).await;
    let stats = sim.admin_stats().await;
    assert_eq!(stats["requests"], json!({"201": 1, "400": 1, "404": 1}));
    assert_eq!(stats["writesApplied"], json!(1));
    assert_eq!(stats["duplicates"], json!(1));
    assert_eq!(stats["duplicatesByLpa"], json!({ u.clone(): 1 }));

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
    assert!(
        sim.client.get(&u).await.expect("get").is_some(),
        "data kept"
    );

    sim.http
        .post(sim.url("/__admin/reset?data=true"))
        .send()
        .await
        .expect("reset data");
    assert_eq!(sim.client.get(&u).await.expect("get"), None, "data wiped");
    sim.create(&u).await;
    sim.stop().await;
}
