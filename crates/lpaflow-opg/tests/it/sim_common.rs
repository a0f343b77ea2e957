//! Helpers for the simulator's own tests: a simulator on 127.0.0.1 port 0 with its SQLite file in a tempdir,
//! spoken to over raw HTTP (reqwest and the wire types of `lpaflow_lpa::lpa_store`), never through lpaflow's
//! client, so that these tests say what the simulator does and not what the client expects.

use std::time::Duration;

use jsonwebtoken::{EncodingKey, Header};
use lpaflow_opg::simulator::{self, JWT_HEADER, SimulatorConfig, SimulatorHandle};
use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;

pub const SECRET: &str = "test-secret";

/// The store's own tests sign as Sirius user 34 (`api_test.go`).
pub const AUTHOR: &str = "urn:opg:poas:sirius:users:34";

pub struct Sim {
    pub handle: SimulatorHandle,
    pub dir: TempDir,
    pub http: reqwest::Client,
}

/// An answer: status, headers and the JSON body (`null` when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `source`s of a problem's errors.
    pub fn sources(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["source"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `source detail` of each error.
    pub fn errors(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {}",
                            e["source"].as_str().unwrap_or_default(),
                            e["detail"].as_str().unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
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
    Sim {
        handle,
        dir,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("http client"),
    }
}

/// A token as `api_test.go`'s `makeJwt` makes it: HS256, `exp` in a day, `iat` a day ago, issuer Sirius.
pub fn token_for(secret: &str, subject: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "exp": now + 86_400,
        "iat": now - 86_400,
        "iss": "opg.poas.sirius",
        "sub": subject,
    });
    jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("token")
}

/// An LPA uid as `api_test.go`'s `makeLpaUID` makes them.
pub fn uid(n: u32) -> String {
    format!("M-{:04X}-{:04X}-{:04X}", n / 0x1_0000, n % 0x1_0000, 0xC0DE)
}

/// One of the store's example files (`lpa_store_examples/`).
pub fn example(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/lpa_store_examples")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An example as JSON.
pub fn example_json(name: &str) -> Value {
    serde_json::from_slice(&example(name)).expect("example is JSON")
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.base_url())
    }

    /// A request with a valid token for `author` and `body` sent as is.
    pub async fn send_as(
        &self,
        author: &str,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let token = token_for(SECRET, author);
        let mut request = self
            .http
            .request(method, self.url(path))
            .header(JWT_HEADER, format!("Bearer {token}"));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        answer(request.send().await.expect("response")).await
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Answer {
        self.send_as(AUTHOR, method, path, body).await
    }

    pub async fn put_lpa(&self, uid: &str, body: &[u8]) -> Answer {
        self.send(Method::PUT, &format!("/lpas/{uid}"), Some(body.to_vec()))
            .await
    }

    /// Creates `uid` from `example-lpa.json` and checks the 201.
    pub async fn create_example(&self, uid: &str) {
        let created = self.put_lpa(uid, &example("example-lpa.json")).await;
        assert_eq!(created.status, 201, "{created:?}");
    }

    pub async fn get_lpa(&self, uid: &str) -> Answer {
        self.send(Method::GET, &format!("/lpas/{uid}"), None).await
    }

    pub async fn update(&self, uid: &str, update: &Value) -> Answer {
        self.update_as(AUTHOR, uid, update).await
    }

    pub async fn update_as(&self, author: &str, uid: &str, update: &Value) -> Answer {
        let body = serde_json::to_vec(update).expect("json");
        self.send_as(
            author,
            Method::POST,
            &format!("/lpas/{uid}/updates"),
            Some(body),
        )
        .await
    }

    pub async fn updates(&self, uid: &str) -> Answer {
        self.send(Method::GET, &format!("/lpas/{uid}/updates"), None)
            .await
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

    pub async fn stop(self) -> TempDir {
        self.handle.shutdown().await.expect("clean shutdown");
        self.dir
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap_or_default();
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// `{"type": kind, "changes": changes}`.
pub fn update(kind: &str, changes: Value) -> Value {
    json!({ "type": kind, "changes": changes })
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
