//! Helpers for the client's tests (`deliver`): a simulator on 127.0.0.1 port 0 and lpaflow's real client
//! pointed at it, with a create body in the store's own shape.

use std::time::Duration;

use lpaflow_opg::client::OpgClientConfig;
use lpaflow_opg::simulator::{self, SimulatorConfig, SimulatorHandle};
use lpaflow_opg::{OpgClient, OpgError};
use serde_json::Value;
use tempfile::TempDir;

pub const SECRET: &str = "test-secret";

/// The attorney of [`document`].
pub const ATTORNEY: &str = "9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d";

pub struct Sim {
    pub handle: SimulatorHandle,
    pub dir: TempDir,
    pub client: OpgClient,
    pub http: reqwest::Client,
}

pub async fn start() -> Sim {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = SimulatorConfig::new(dir.path().join("opg.db"), SECRET);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let handle = simulator::start(config, listener)
        .await
        .expect("simulator starts");
    let client = client_for(&handle, 5_000);
    Sim {
        handle,
        dir,
        client,
        http: reqwest::Client::new(),
    }
}

pub fn client_for(handle: &SimulatorHandle, timeout_ms: u64) -> OpgClient {
    let mut config = OpgClientConfig::new(handle.base_url(), SECRET);
    config.timeout_ms = timeout_ms;
    config.connect_timeout_ms = 1_000;
    OpgClient::new(&config).expect("client config")
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.base_url())
    }

    pub async fn put_faults(&self, patch: Value) -> Value {
        let resp = self
            .http
            .put(self.url("/__admin/faults"))
            .json(&patch)
            .send()
            .await
            .expect("put faults");
        assert_eq!(resp.status().as_u16(), 200, "PUT /__admin/faults {patch}");
        resp.json().await.expect("faults json")
    }

    pub async fn create(&self, uid: &str) {
        self.client.create(uid, &document()).await.expect("create");
    }

    pub async fn stop(self) -> TempDir {
        self.handle.shutdown().await.expect("clean shutdown");
        self.dir
    }
}

pub fn uid(n: u32) -> String {
    format!("M-TEST-{:04}-{:04}", n / 10_000, n % 10_000)
}

/// The store's own online example create (`docs/example-lpa.json`), which lpaflow's client sends as given.
pub fn document() -> Value {
    serde_json::from_str(include_str!("lpa_store_examples/example-lpa.json")).expect("example")
}

/// The details of a refusal (the top-level detail and every error's).
#[track_caller]
pub fn refusal(result: Result<Value, OpgError>) -> (u16, Vec<String>) {
    match result {
        Err(OpgError::Fatal {
            status: Some(status),
            detail,
            errors,
            ..
        }) => {
            let mut all = vec![detail];
            all.extend(
                errors
                    .into_iter()
                    .map(|e| format!("{} {}", e.source, e.detail)),
            );
            (status, all)
        }
        other => panic!("expected a fatal refusal, got {other:?}"),
    }
}

/// Polls `check` until it is true or 10 s have passed.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
