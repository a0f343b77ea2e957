use std::time::Duration;

use lpaflow_opg::client::OpgClientConfig;
use lpaflow_opg::jwt::{DEFAULT_ISSUER, DEFAULT_SUBJECT, JWT_HEADER, Signer};
use lpaflow_opg::simulator::{self, SimulatorConfig, SimulatorHandle};
use lpaflow_opg::{OpgClient, OpgError, Update};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const SECRET: &str = "test-secret";

pub struct Sim {
    pub handle: SimulatorHandle,
    pub dir: TempDir,
    pub client: OpgClient,
    pub http: reqwest::Client,
}

pub async fn start() -> Sim {
    start_with(|_| {}).await
}

pub async fn start_with(adjust: impl FnOnce(&mut SimulatorConfig)) -> Sim {
    let dir = tempfile::tempdir().expect("tempdir");
    start_in(dir, adjust).await
}

pub async fn start_in(dir: TempDir, adjust: impl FnOnce(&mut SimulatorConfig)) -> Sim {
    let mut config = SimulatorConfig::new(dir.path().join("opg.db"), SECRET);
    adjust(&mut config);
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

    pub fn token(&self) -> String {
        let signer = Signer::new(SECRET, DEFAULT_ISSUER, DEFAULT_SUBJECT).expect("signer");
        format!(
            "Bearer {}",
            signer.mint(chrono::Utc::now().timestamp()).expect("mint")
        )
    }

    /// A request with a valid token; the status and the JSON body (`null` when empty or not JSON).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header(JWT_HEADER, self.token());
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("response");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.json().await.unwrap_or(Value::Null);
        (status, headers, body)
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

    pub async fn admin_stats(&self) -> Value {
        self.http
            .get(self.url("/__admin/stats"))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats json")
    }

    pub async fn create(&self, uid: &str) {
        self.client.create(uid, &document()).await.expect("create");
    }

    pub async fn update(&self, uid: &str, kind: &str, changes: Value) -> Result<Value, OpgError> {
        let update: Update = serde_json::from_value(json!({"type": kind, "changes": changes}))
            .expect("valid update");
        self.client.update(uid, &update).await
    }

    pub async fn stop(self) -> TempDir {
        self.handle.shutdown().await.expect("clean shutdown");
        self.dir
    }
}

pub fn uid(n: u32) -> String {
    format!("M-TEST-{:04}-{:04}", n / 10_000, n % 10_000)
}

pub fn document() -> Value {
    let address =
        json!({"line1": "1 Road", "town": "Leeds", "postcode": "LS1 1AA", "country": "GB"});
    json!({
        "lpaType": "property-and-affairs",
        "channel": "online",
        "donor": {"firstNames": "Ada", "lastName": "Lovelace", "dateOfBirth": "1950-01-02", "email": "a@example.org", "address": address},
        "attorneys": [
            {"uid": "a-1", "firstNames": "Bea", "lastName": "Smith", "dateOfBirth": "1980-01-01", "address": address, "appointmentType": "original"},
            {"uid": "a-2", "firstNames": "Cal", "lastName": "Jones", "dateOfBirth": "1981-01-01", "address": address, "appointmentType": "original", "status": "active"}
        ],
        "certificateProvider": {"firstNames": "Dee", "lastName": "Brown", "address": address, "relationship": "professional"},
        "howAttorneysMakeDecisions": "jointly",
        "whenTheLpaCanBeUsed": "when-has-capacity",
        "restrictionsAndConditions": "none",
        "peopleToNotify": [],
        "fee": {"claimedType": "HalfFee"}
    })
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

#[track_caller]
pub fn assert_refused(result: Result<Value, OpgError>, needle: &str) {
    let (status, details) = refusal(result);
    assert_eq!(status, 400, "{details:?}");
    assert!(
        details.iter().any(|d| d.contains(needle)),
        "expected `{needle}` in {details:?}"
    );
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
