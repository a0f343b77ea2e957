//! The workload stub protocol, against the JSON of `shared/bench/opg_stub.py`.

use serde_json::{Value, json};

use crate::sim_common::{Sim, start, start_with};

async fn post(sim: &Sim, path: &str, body: Option<&str>) -> (u16, Value) {
    let mut req = sim
        .http
        .post(sim.url(path))
        .header("content-type", "application/json");
    if let Some(b) = body {
        req = req.body(b.to_owned());
    }
    let resp = req.send().await.expect("response");
    (resp.status().as_u16(), resp.json().await.expect("json"))
}

async fn get(sim: &Sim, path: &str) -> (String, Value) {
    let text = sim
        .http
        .get(sim.url(path))
        .send()
        .await
        .expect("response")
        .text()
        .await
        .expect("text");
    let value = serde_json::from_str(&text).expect("json");
    (text, value)
}

#[tokio::test]
async fn the_stub_protocol_matches_the_python_stub() {
    let sim = start().await;
    let body = r#"{"lpa_id":"M-0000-0000-0001","type":"property-and-affairs","lpa":{}}"#;
    let (status, reply) = post(&sim, "/lpas", Some(body)).await;
    assert_eq!(
        (status, reply),
        (
            201,
            json!({"opg_ref": "OPG-00000001", "lpa_id": "M-0000-0000-0001", "received_count": 1})
        )
    );
    let (_, reply) = post(&sim, "/lpas", Some(body)).await;
    assert_eq!(
        reply,
        json!({"opg_ref": "OPG-00000002", "lpa_id": "M-0000-0000-0001", "received_count": 2})
    );
    post(&sim, "/lpas", Some(r#"{"lpa_id":"M-0000-0000-0002"}"#)).await;
    for bad in [r#"{"lpa_id": 5}"#, "not json", "[1]"] {
        let (status, reply) = post(&sim, "/lpas", Some(bad)).await;
        assert_eq!(
            (status, reply),
            (
                400,
                json!({"error": "body must be a JSON object with string lpa_id"})
            )
        );
    }

    let (status, stats) = post(&sim, "/admin/offline", None).await;
    assert_eq!((status, stats["offline"].clone()), (200, json!(true)));
    let (status, reply) = post(&sim, "/lpas", Some(body)).await;
    assert_eq!((status, reply), (503, json!({"error": "opg offline"})));
    let (_, stats) = post(&sim, "/admin/online", None).await;
    assert!(stats["switched_online_at"].is_f64());

    let (text, stats) = get(&sim, "/admin/stats").await;
    assert!(text.starts_with(r#"{"offline":false,"posts_201":3,"posts_503":1,"posts_400":3,"unique_ids":2,"dup_ids":1,"dup_extra_posts":1,"first_post":"#), "{text}");
    assert!(stats["first_post"].is_f64() && stats["last_ok"].is_f64());
    let (_, counts) = get(&sim, "/admin/counts").await;
    assert_eq!(
        counts,
        json!({"M-0000-0000-0001": 2, "M-0000-0000-0002": 1})
    );

    post(&sim, "/admin/offline", None).await;
    let (_, stats) = post(&sim, "/admin/reset", None).await;
    assert_eq!(
        stats,
        json!({"offline": true, "posts_201": 0, "posts_503": 0, "posts_400": 0, "unique_ids": 0, "dup_ids": 0,
               "dup_extra_posts": 0, "first_post": null, "last_ok": null, "switched_online_at": null}),
        "reset keeps the switch"
    );
    assert_eq!(
        sim.admin_stats().await["requests"],
        json!({}),
        "the stub protocol is not an OPG API request"
    );
    sim.stop().await;
}

#[tokio::test]
async fn the_stub_can_start_offline() {
    let sim = start_with(|c| c.stub_offline = true).await;
    let (status, _) = post(&sim, "/lpas", Some(r#"{"lpa_id":"M-0000-0000-0001"}"#)).await;
    assert_eq!(status, 503);
    sim.stop().await;
}
