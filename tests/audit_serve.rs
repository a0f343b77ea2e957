//! `serve --audit-key`: the real server signs checkpoints of the global log on its own (here every second while
//! the log grows), writes them to `--checkpoint-dir` and serves the latest at `GET /v1/audit/checkpoint`; the
//! proofs it serves over HTTP verify offline against that file with only the public key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit_support;
mod common;

use audit_support::{keygen, run};
use common::server::Server;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

/// Polls the latest checkpoint until it covers at least `size` entries.
async fn checkpoint_of_at_least(server: &Server, size: u64) -> Value {
    let started = Instant::now();
    loop {
        let (status, body) = server
            .call(Method::GET, "/v1/audit/checkpoint", Some("auditor"), None)
            .await;
        if status == StatusCode::OK && body["treeSize"].as_u64().unwrap_or(0) >= size {
            return body;
        }
        assert!(
            status == StatusCode::OK || status == StatusCode::NOT_FOUND,
            "{status} {body}"
        );
        assert!(
            started.elapsed() < DEADLINE,
            "no checkpoint of {size}: {body}\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_signs_checkpoints_and_serves_proofs_that_verify_offline() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = keygen(keys.path());
    let out = keys.path().join("checkpoints");
    let server = Server::start_dev(&[
        "--audit-key",
        &key,
        "--checkpoint-interval",
        "1s",
        "--checkpoint-dir",
        out.to_str().unwrap(),
    ]);
    let (status, _) = server
        .call(Method::GET, "/v1/audit/checkpoint", Some("service"), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, created) = server
        .call(
            Method::POST,
            "/v1/lpas",
            Some("service"),
            Some(&common::opg::application()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created:#}");
    let uid = created["uid"].as_str().unwrap().to_owned();
    let first = checkpoint_of_at_least(&server, 1).await;
    let (status, _) = server
        .call(
            Method::POST,
            &format!("/v1/lpas/{uid}/events"),
            Some("service"),
            Some(&json!({"event": "submit", "payload": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let size = first["treeSize"].as_u64().unwrap();
    let later = checkpoint_of_at_least(&server, size + 1).await;
    let later_size = later["treeSize"].as_u64().unwrap();

    // The files are the checkpoints served.
    let file = |n: u64| out.join(format!("checkpoint-{n:012}.json"));
    for (served, n) in [(&first, size), (&later, later_size)] {
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(file(n)).unwrap()).unwrap();
        assert_eq!(&written, served);
    }

    let (status, inclusion) = server
        .call(
            Method::GET,
            &format!("/v1/lpas/{uid}/history/1/proof?treeSize={size}"),
            Some("auditor"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{inclusion}");
    let (status, consistency) = server
        .call(
            Method::GET,
            &format!("/v1/audit/consistency?from={size}&to={later_size}"),
            Some("auditor"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{consistency}");
    let (status, beyond) = server
        .call(
            Method::GET,
            &format!("/v1/lpas/{uid}/history/1/proof?treeSize=999999"),
            Some("auditor"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{beyond}");
    let (status, missing) = server
        .call(
            Method::GET,
            &format!("/v1/lpas/{uid}/history/99/proof"),
            Some("auditor"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    assert_eq!(missing["code"], "not_in_log");

    let proofs = keys.path();
    std::fs::write(proofs.join("inclusion.json"), inclusion.to_string()).unwrap();
    std::fs::write(proofs.join("consistency.json"), consistency.to_string()).unwrap();
    let path = |p: std::path::PathBuf| p.display().to_string();
    let out = run(&[
        "audit",
        "prove",
        "--public-key",
        &public,
        "--checkpoint",
        &path(file(size)),
        "--inclusion",
        &path(proofs.join("inclusion.json")),
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let out = run(&[
        "audit",
        "prove",
        "--public-key",
        &public,
        "--old-checkpoint",
        &path(file(size)),
        "--checkpoint",
        &path(file(later_size)),
        "--consistency",
        &path(proofs.join("consistency.json")),
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
}
