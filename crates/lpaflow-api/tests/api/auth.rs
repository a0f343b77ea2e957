//! Authentication: every `/v1` route refuses a request without a valid bearer token with 401 problem+json
//! and `WWW-Authenticate: Bearer`; health, metrics and the OpenAPI document are open.

use crate::common::{Harness, SECRET};
use axum::http::StatusCode;
use lpaflow_api::{Authenticator, Role};
use serde_json::json;

/// Every route that needs a token, with a request that would otherwise get past authentication.
const AUTHENTICATED: &[(&str, &str)] = &[
    ("POST", "/v1/lpas"),
    ("GET", "/v1/lpas"),
    ("GET", "/v1/lpas/M-QWER-TY34-6789"),
    ("POST", "/v1/lpas/M-QWER-TY34-6789/events"),
    ("GET", "/v1/lpas/M-QWER-TY34-6789/history"),
    ("GET", "/v1/lpas/M-QWER-TY34-6789/chain-head"),
    ("GET", "/v1/lpas/M-QWER-TY34-6789/sync"),
    ("POST", "/v1/lpas/M-QWER-TY34-6789/sync/1/retry"),
    ("POST", "/v1/lpas/M-QWER-TY34-6789/sync/1/skip"),
    ("GET", "/v1/audit/verify"),
    ("GET", "/v1/opg/status"),
    ("POST", "/v1/opg/maintenance"),
    ("GET", "/v1/opg/maintenance"),
    ("DELETE", "/v1/opg/maintenance/1"),
    ("GET", "/v1/workflows"),
    ("GET", "/v1/workflows/lpa/4"),
    ("GET", "/v1/workflows/lpa/4/graph"),
    ("POST", "/v1/dev/clock"),
];

/// Sends every authenticated route with `authorization` (or none) and requires 401 with `code`.
async fn refused_everywhere(h: &Harness, authorization: Option<&str>, code: &str) {
    for (method, path) in AUTHENTICATED {
        let mut req = h
            .req(method.parse().unwrap(), path)
            .json(&json!({"event": "submit"}));
        if let Some(a) = authorization {
            req = req.header("authorization", a);
        }
        let r = req.send().await;
        let p = r.problem(StatusCode::UNAUTHORIZED, code);
        assert_eq!(
            r.header("www-authenticate"),
            Some("Bearer"),
            "{method} {path}: {p}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_a_token_is_401_unauthenticated_on_every_v1_route() {
    let h = Harness::start().await;
    refused_everywhere(&h, None, "unauthenticated").await;
    refused_everywhere(&h, Some("Basic dXNlcjpwYXNz"), "unauthenticated").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_401_invalid_token() {
    let h = Harness::start().await;
    let expired = h.auth.issue("test-service", Role::Service, -120).unwrap();
    refused_everywhere(&h, Some(&format!("Bearer {expired}")), "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_signed_with_another_secret_is_401_invalid_token() {
    let h = Harness::start().await;
    let other = Authenticator::new(b"another secret, also long enough").unwrap();
    let token = other.issue("test-admin", Role::Admin, 3600).unwrap();
    refused_everywhere(&h, Some(&format!("Bearer {token}")), "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_or_malformed_token_is_401_invalid_token() {
    let h = Harness::start().await;
    let genuine = h.token(Role::Service);
    // Same signature, claims changed to the admin role.
    let parts: Vec<&str> = genuine.split('.').collect();
    let admin_claims = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": "test-service", "role": "admin", "exp": 4_000_000_000_i64, "iat": 0}),
        &jsonwebtoken::EncodingKey::from_secret(b"whatever"),
    )
    .unwrap();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        admin_claims.split('.').nth(1).unwrap(),
        parts[2]
    );
    let sign = |claims: serde_json::Value| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    };
    let unsigned = format!("{}.{}.", parts[0], parts[1]);
    let cases = [
        forged,
        unsigned,
        "not.a.token".to_owned(),
        "garbage".to_owned(),
        sign(json!({"sub": "x", "role": "admin"})),
        sign(json!({"sub": "x", "role": "superuser", "exp": 4_000_000_000_i64})),
        sign(json!({"role": "admin", "exp": 4_000_000_000_i64})),
        sign(json!({"sub": "", "role": "admin", "exp": 4_000_000_000_i64})),
        sign(json!({"sub": "x".repeat(300), "role": "admin", "exp": 4_000_000_000_i64})),
    ];
    for token in cases {
        for (method, path) in [("GET", "/v1/opg/status"), ("POST", "/v1/lpas")] {
            let r = h
                .req(method.parse().unwrap(), path)
                .bearer(&token)
                .json(&json!({}))
                .send()
                .await;
            r.problem(StatusCode::UNAUTHORIZED, "invalid_token");
            assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{token}");
        }
    }
    let r = h.get("/v1/opg/status").bearer(&genuine).send().await;
    assert_eq!(r.status, StatusCode::OK, "the genuine token passes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_metrics_and_the_openapi_document_need_no_token() {
    let h = Harness::start().await;
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let r = h.get(path).send().await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    }
}
