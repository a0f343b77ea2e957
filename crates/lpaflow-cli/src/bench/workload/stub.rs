//! Talking to the workload's OPG stub (`shared/bench/opg_stub.py`, or the built-in simulator's stub
//! protocol): the step handler that POSTs `/lpas`, and the admin calls the scenarios need.

use super::phases::PostTimes;
use super::workflow::SYNCED_EVENT;
use async_trait::async_trait;
use lpaflow_engine::{Attempt, ClaimedStep, Report, StepHandler};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// A client of the stub.
#[derive(Clone)]
pub struct Stub {
    http: reqwest::Client,
    base: String,
}

impl Stub {
    /// A client for the stub at `base` (e.g. `http://127.0.0.1:8089`).
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    async fn admin(&self, method: reqwest::Method, path: &str) -> anyhow::Result<Value> {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "stub {path} answered {}",
            r.status()
        );
        Ok(r.json().await?)
    }

    /// `POST /admin/reset`.
    pub async fn reset(&self) -> anyhow::Result<Value> {
        self.admin(reqwest::Method::POST, "/admin/reset").await
    }

    /// `POST /admin/offline` or `/admin/online`.
    pub async fn set_online(&self, online: bool) -> anyhow::Result<Value> {
        self.admin(
            reqwest::Method::POST,
            if online {
                "/admin/online"
            } else {
                "/admin/offline"
            },
        )
        .await
    }

    /// `GET /admin/stats`.
    pub async fn stats(&self) -> anyhow::Result<Value> {
        self.admin(reqwest::Method::GET, "/admin/stats").await
    }

    /// `GET /admin/counts`: 201s per id.
    pub async fn counts(&self) -> anyhow::Result<serde_json::Map<String, Value>> {
        match self.admin(reqwest::Method::GET, "/admin/counts").await? {
            Value::Object(m) => Ok(m),
            other => anyhow::bail!("stub counts are not an object: {other}"),
        }
    }

    /// POSTs `body`; `Ok(Some(response))` on 201, `Ok(None)` on 503, `Err` on anything else.
    pub async fn post(&self, body: String) -> Result<Option<Value>, String> {
        let r = self
            .http
            .post(format!("{}/lpas", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("transport: {e}"))?;
        match r.status().as_u16() {
            201 => r
                .json()
                .await
                .map(Some)
                .map_err(|e| format!("bad 201 body: {e}")),
            503 => Ok(None),
            s => Err(format!("status {s}")),
        }
    }

    /// The stub's own capacity: `connections` loops POSTing unique ids for `seconds`; POSTs per second.
    pub async fn capacity(&self, connections: usize, seconds: f64) -> anyhow::Result<f64> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(seconds);
        let started = std::time::Instant::now();
        let tasks: Vec<_> = (0..connections)
            .map(|c| {
                let stub = self.clone();
                tokio::spawn(async move {
                    let mut n = 0u64;
                    while tokio::time::Instant::now() < deadline {
                        let body = json!({"lpa_id": format!("CAP-{c}-{n}")}).to_string();
                        if matches!(stub.post(body).await, Ok(Some(_))) {
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap_or(0);
        }
        Ok(total as f64 / started.elapsed().as_secs_f64())
    }
}

/// The step handler of `stub.post`: 201 is done (its `opg_ref` committed with the registration), 503 or a
/// transport error is "unavailable" (retry; the breaker holds the rest back), anything else fails the step.
pub struct StubHandler {
    pub stub: Stub,
    /// Where the POSTs' instants are noted, when the run times them.
    pub posts: Option<Arc<PostTimes>>,
}

#[async_trait]
impl StepHandler for StubHandler {
    async fn deliver(&self, step: &ClaimedStep) -> Attempt {
        if step.claim.still_held().is_err() {
            return Attempt::Deferred {
                retry_after: std::time::Duration::from_secs(1),
            };
        }
        let body = step.payload["body"].as_str().unwrap_or_default().to_owned();
        let lpa_id = step.payload["lpa_id"].as_str().unwrap_or_default();
        if let Some(posts) = &self.posts {
            posts.started(lpa_id);
        }
        let answer = self.stub.post(body).await;
        if let Some(posts) = &self.posts {
            posts.answered(lpa_id);
        }
        match answer {
            Ok(Some(answer)) => Attempt::Done {
                result: answer.clone(),
                report: Some(Report {
                    event: SYNCED_EVENT.into(),
                    payload: json!({"opg_ref": answer["opg_ref"], "attempts": step.attempts + 1}),
                }),
            },
            Ok(None) => Attempt::Retry {
                error: json!({"status": 503}),
                retry_after: None,
                ambiguous: false,
                unavailable: true,
            },
            Err(e) if e.starts_with("transport") => Attempt::Retry {
                error: json!({"error": e}),
                retry_after: None,
                ambiguous: true,
                unavailable: true,
            },
            Err(e) => Attempt::Failed {
                error: json!({"error": e}),
                report: None,
            },
        }
    }
}
