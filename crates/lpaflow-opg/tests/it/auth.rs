//! Authentication as the real store has it: the store's JWT check on every LPA route (401
//! `{"code":"UNAUTHORISED","detail":"Invalid JWT"}`), and, when the simulator is given a key pair, API
//! Gateway's AWS Signature V4 check before it (403 `{"message": ...}`).

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::body::Body;
use jsonwebtoken::{EncodingKey, Header};
use lpaflow_opg::simulator::{AwsVerification, JWT_HEADER};
use reqwest::Method;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::sim_common::{AUTHOR, SECRET, Sim, answer, start, start_with, token_for, uid};

fn token(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encode")
}

async fn get_with(sim: &Sim, header: Option<String>) -> (u16, Value) {
    let mut req = sim.http.get(sim.url(&format!("/lpas/{}", uid(1))));
    if let Some(h) = header {
        req = req.header(JWT_HEADER, h);
    }
    let a = answer(req.send().await.expect("response")).await;
    (a.status, a.body)
}

#[tokio::test]
async fn bad_tokens_are_refused_with_401() {
    let sim = start().await;
    sim.create_example(&uid(1)).await;
    let now = chrono::Utc::now().timestamp();
    let claims = |iat: i64, iss: &str, sub: &str| json!({"iat": iat, "iss": iss, "sub": sub});
    let forged = token_for("not-the-secret", AUTHOR);
    for header in [
        None,
        Some("Bearer".to_owned()),
        Some(format!("Bearer {forged}")),
        Some(forged.clone()),
        // iat one second ahead: the store allows no leeway
        Some(format!(
            "Bearer {}",
            token(&claims(now + 1, "opg.poas.sirius", AUTHOR))
        )),
        Some(format!(
            "Bearer {}",
            token(&claims(now, "someone.else", AUTHOR))
        )),
        Some(format!(
            "Bearer {}",
            token(&claims(now, "opg.poas.use", "not-a-urn"))
        )),
        Some(format!(
            "Bearer {}",
            token(&json!({"iat": now, "exp": now, "iss": "opg.poas.use", "sub": AUTHOR}))
        )),
    ] {
        let (status, body) = get_with(&sim, header.clone()).await;
        assert_eq!(
            (status, body),
            (
                401,
                json!({"code": "UNAUTHORISED", "detail": "Invalid JWT"})
            ),
            "{header:?}"
        );
    }
    // Go's `^Bearer[ ]+` only removes the prefix: a bare token is accepted, and any of the three issuers.
    for iss in ["opg.poas.sirius", "opg.poas.makeregister", "opg.poas.use"] {
        let (status, _) = get_with(&sim, Some(token(&claims(now, iss, AUTHOR)))).await;
        assert_eq!(status, 200, "{iss}");
    }
    // A token without iat makes the store's verifier dereference nil: the Lambda fails and API Gateway answers 502.
    let (status, _) = get_with(
        &sim,
        Some(format!(
            "Bearer {}",
            token(&json!({"iss": "opg.poas.use", "sub": AUTHOR}))
        )),
    )
    .await;
    assert_eq!(status, 502);
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

const KEY_ID: &str = "AKIDSIMULATOR";
const KEY_SECRET: &str = "simulator-secret-access-key";

/// A request signed as `api_test.go`'s `doRequest` signs it (SigV4, `execute-api`, body hash).
fn signed(
    sim: &Sim,
    method: Method,
    path: &str,
    body: &[u8],
    key_id: &str,
    secret: &str,
    at: SystemTime,
) -> reqwest::RequestBuilder {
    let url = sim.url(path);
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let identity = Credentials::new(key_id, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("execute-api")
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let headers = [
        ("host", host.as_str()),
        ("content-type", "application/json"),
    ];
    let request = SignableRequest::new(
        method.as_str(),
        url.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .expect("signable");
    let (instructions, _) = sign(request, &params).expect("signs").into_parts();
    let mut builder = sim
        .http
        .request(method, &url)
        .header("content-type", "application/json")
        .header(JWT_HEADER, format!("Bearer {}", token_for(SECRET, AUTHOR)))
        .body(body.to_vec());
    for (name, value) in instructions.headers() {
        builder = builder.header(name, value);
    }
    builder
}

#[tokio::test]
async fn aws_signatures_are_verified_when_a_key_pair_is_given() {
    let sim = start_with(|c| c.aws = Some(AwsVerification::new(KEY_ID, KEY_SECRET))).await;
    let now = SystemTime::now();
    let lpa = uid(7);
    let body = crate::sim_common::example("example-lpa.json");
    let create = answer(
        signed(
            &sim,
            Method::PUT,
            &format!("/lpas/{lpa}"),
            &body,
            KEY_ID,
            KEY_SECRET,
            now,
        )
        .send()
        .await
        .expect("put"),
    )
    .await;
    assert_eq!(create.status, 201, "{create:?}");
    let read = answer(
        signed(
            &sim,
            Method::GET,
            &format!("/lpas/{lpa}?presign-images"),
            b"",
            KEY_ID,
            KEY_SECRET,
            now,
        )
        .send()
        .await
        .expect("get"),
    )
    .await;
    assert_eq!(read.status, 200, "{read:?}");

    let message =
        |a: &crate::sim_common::Answer| a.body["message"].as_str().unwrap_or_default().to_owned();
    let unsigned = sim.get_lpa(&lpa).await;
    assert_eq!(
        (unsigned.status, message(&unsigned)),
        (403, "Missing Authentication Token".to_owned())
    );
    assert_eq!(
        unsigned
            .headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok()),
        Some("MissingAuthenticationTokenException")
    );
    let wrong_secret = answer(
        signed(
            &sim,
            Method::GET,
            &format!("/lpas/{lpa}"),
            b"",
            KEY_ID,
            "other",
            now,
        )
        .send()
        .await
        .expect("get"),
    )
    .await;
    assert_eq!(wrong_secret.status, 403);
    assert!(
        message(&wrong_secret).starts_with("The request signature we calculated does not match"),
        "{wrong_secret:?}"
    );
    let stranger = answer(
        signed(
            &sim,
            Method::GET,
            &format!("/lpas/{lpa}"),
            b"",
            "AKIDOTHER",
            KEY_SECRET,
            now,
        )
        .send()
        .await
        .expect("get"),
    )
    .await;
    assert_eq!(
        (stranger.status, message(&stranger)),
        (
            403,
            "The security token included in the request is invalid.".to_owned()
        )
    );
    let stale = now - Duration::from_secs(600);
    let expired = answer(
        signed(
            &sim,
            Method::GET,
            &format!("/lpas/{lpa}"),
            b"",
            KEY_ID,
            KEY_SECRET,
            stale,
        )
        .send()
        .await
        .expect("get"),
    )
    .await;
    assert_eq!(expired.status, 403);
    assert!(
        message(&expired).starts_with("Signature expired: "),
        "{expired:?}"
    );
    // The body is signed: another body than the one signed is refused.
    let tampered = signed(
        &sim,
        Method::POST,
        &format!("/lpas/{lpa}/updates"),
        b"{}",
        KEY_ID,
        KEY_SECRET,
        now,
    )
    .body(r#"{"type":"REGISTER"}"#)
    .send()
    .await
    .expect("post");
    assert_eq!(tampered.status().as_u16(), 403);
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
    sim.stop().await;
}
