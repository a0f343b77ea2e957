//! `X-Jwt-Authorization`: missing, malformed, forged, wrong issuer and future tokens are 401 UNAUTHORISED.

use axum::body::Body;
use jsonwebtoken::{EncodingKey, Header};
use lpaflow_opg::client::OpgClientConfig;
use lpaflow_opg::jwt::{DEFAULT_ISSUER, DEFAULT_SUBJECT, JWT_HEADER, Signer};
use lpaflow_opg::{OpgClient, OpgError};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{SECRET, start, uid};

async fn status_with(sim: &crate::common::Sim, header: Option<String>) -> (u16, Value) {
    let mut req = sim.http.get(sim.url(&format!("/lpas/{}", uid(1))));
    if let Some(h) = header {
        req = req.header(JWT_HEADER, h);
    }
    let resp = req.send().await.expect("response");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn bad_tokens_are_refused_with_401() {
    let sim = start().await;
    sim.create(&uid(1)).await;
    let now = chrono::Utc::now().timestamp();
    let forged = Signer::new("not-the-secret", DEFAULT_ISSUER, DEFAULT_SUBJECT)
        .expect("signer")
        .mint(now)
        .expect("mint");
    let future = Signer::new(SECRET, DEFAULT_ISSUER, DEFAULT_SUBJECT)
        .expect("signer")
        .mint(now + 600)
        .expect("mint");
    let claims = json!({"iss": "someone.else", "sub": DEFAULT_SUBJECT, "iat": now});
    let wrong_issuer = jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encode");
    for header in [
        None,
        Some("Bearer".to_owned()),
        Some(format!("Bearer {forged}")),
        Some(format!("Bearer {future}")),
        Some(format!("Bearer {wrong_issuer}")),
        Some(forged.clone()),
    ] {
        let (status, body) = status_with(&sim, header.clone()).await;
        assert_eq!(status, 401, "{header:?}");
        assert_eq!(body["code"], json!("UNAUTHORISED"), "{header:?}");
    }
    let (status, _) = status_with(&sim, Some(sim.token())).await;
    assert_eq!(status, 200);

    let mut config = OpgClientConfig::new(sim.handle.base_url(), "wrong-secret");
    config.timeout_ms = 5_000;
    let wrong = OpgClient::new(&config).expect("client");
    let result = wrong.get(&uid(1)).await;
    assert!(
        matches!(&result, Err(OpgError::Fatal { status: Some(401), code, .. }) if code == "UNAUTHORISED"),
        "{result:?}"
    );
    // Health and admin need no token.
    assert_eq!(
        sim.http
            .get(sim.url("/health-check"))
            .send()
            .await
            .expect("health")
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        sim.http
            .get(sim.url("/__admin/stats"))
            .send()
            .await
            .expect("stats")
            .status()
            .as_u16(),
        200
    );
    sim.stop().await;
}

#[tokio::test]
async fn the_router_alone_answers_401_without_a_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = lpaflow_opg::SimulatorConfig::new(dir.path().join("opg.db"), SECRET);
    let state = lpaflow_opg::simulator::SimulatorState::open(&config)
        .await
        .expect("state");
    let request = http::Request::get(format!("/lpas/{}", uid(1)))
        .body(Body::empty())
        .expect("request");
    let response = lpaflow_opg::simulator::router(state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(state.stats().status_count(401), 1);
}

#[test]
fn the_client_refuses_a_bad_configuration() {
    assert!(OpgClient::new(&OpgClientConfig::new("not a url", SECRET)).is_err());
    let mut config = OpgClientConfig::new("http://127.0.0.1:1", SECRET);
    config.issuer = "someone.else".to_owned();
    assert!(OpgClient::new(&config).is_err());
    let mut config = OpgClientConfig::new("http://127.0.0.1:1", SECRET);
    config.timeout_ms = 0;
    assert!(OpgClient::new(&config).is_err());
}
