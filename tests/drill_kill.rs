//! Fault drill: `kill -9` of the real server at random points while services drive LPAs through the HTTP
//! API, several times per run and with several seeds. Clients do what a careful service does: every POST
//! carries an `Idempotency-Key`, and after a dropped connection or a refusal to connect it retries the same
//! request with the same key. Afterwards: every acknowledged transition is present, every event of every LPA
//! happened exactly once, every hash chain verifies, every LPA ends `registered` and synced, and the OPG
//! simulator saw zero duplicate writes.
#![allow(clippy::unwrap_used)]

mod common;

use common::server::Server;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

const LPAS: usize = 10;
const KILLS: usize = 3;

/// Where the server is now (the port changes at every restart) and its tokens.
#[derive(Clone)]
struct Target {
    base: Arc<RwLock<String>>,
    log: std::path::PathBuf,
    tokens: BTreeMap<String, String>,
    client: reqwest::Client,
}

impl Target {
    /// POSTs until the server answers with something other than "gone" (connection refused or dropped, 503,
    /// or the idempotency key still held by a request the kill interrupted).
    async fn post(&self, path: &str, role: &str, key: &str, body: &Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if Instant::now() >= deadline {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                panic!(
                    "no answer to {path} ({key}) within 90 s; the server's last log lines:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            let base = self.base.read().unwrap().clone();
            let sent = self
                .client
                .post(format!("{base}{path}"))
                .bearer_auth(&self.tokens[role])
                .header("idempotency-key", key)
                .json(body)
                .timeout(Duration::from_secs(20))
                .send()
                .await;
            let Ok(response) = sent else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let status = response.status();
            let value: Value = response.json().await.unwrap_or(Value::Null);
            match status {
                StatusCode::OK | StatusCode::CREATED => return value,
                StatusCode::SERVICE_UNAVAILABLE | StatusCode::CONFLICT
                    if value["code"] != "revision_conflict" && retryable(&value) =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => panic!("{path} ({key}) answered {other}: {value}"),
            }
        }
    }

    async fn get(&self, path: &str, role: &str) -> Value {
        loop {
            let base = self.base.read().unwrap().clone();
            let r = self
                .client
                .get(format!("{base}{path}"))
                .bearer_auth(&self.tokens[role])
                .send()
                .await;
            if let Ok(r) = r
                && r.status() == StatusCode::OK
            {
                return r.json().await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn retryable(problem: &Value) -> bool {
    matches!(
        problem["code"].as_str(),
        Some("idempotency_key_in_progress" | "store_unavailable" | "shutting_down" | "contended")
            | None
    )
}

fn application(k: usize) -> Value {
    let mut app = common::opg::application();
    app["donor"]["lastName"] = json!(format!("Drill{k}"));
    app
}

/// Drives LPA `k` to the waiting period; returns its uid and every acknowledged revision.
async fn drive(t: Target, seed: u64, k: usize, acked: Arc<Mutex<Vec<(String, u64)>>>) -> String {
    let key = |step: &str| format!("drill-{seed}-{k}-{step}");
    let created = t
        .post("/v1/lpas", "service", &key("create"), &application(k))
        .await;
    let uid = created["uid"].as_str().unwrap().to_owned();
    acked
        .lock()
        .unwrap()
        .push((uid.clone(), created["revision"].as_u64().unwrap()));
    let events = format!("/v1/lpas/{uid}/events");
    let now = chrono::Utc::now().to_rfc3339();
    let attorney = created["application"]["attorneys"][0]["uid"]
        .as_str()
        .unwrap()
        .to_owned();
    let steps: Vec<(&str, &str, Value)> = vec![
        ("service", "submit", json!({})),
        ("service", "record_payment", json!({"amountPence": 9200})),
        (
            "service",
            "confirm_donor_identity",
            json!({"type": "one-login", "checkedAt": now}),
        ),
        (
            "service",
            "confirm_certificate_provider_identity",
            json!({"type": "opg-paper-id", "checkedAt": now}),
        ),
        ("service", "sign_as_donor", json!({})),
        ("service", "sign_as_certificate_provider", json!({})),
        (
            "service",
            "sign_as_attorney",
            json!({"uid": attorney, "confirmedNotBankrupt": true}),
        ),
        ("caseworker", "enter_waiting_period", json!({})),
    ];
    for (role, event, payload) in steps {
        let view = t
            .post(
                &events,
                role,
                &key(event),
                &json!({"event": event, "payload": payload}),
            )
            .await;
        acked
            .lock()
            .unwrap()
            .push((uid.clone(), view["revision"].as_u64().unwrap()));
    }
    uid
}

fn simulator_url(server: &Server) -> String {
    let log = server.log();
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains("embedded OPG simulator started"))
        .expect("the simulator's start is logged");
    let v: Value = serde_json::from_str(line).expect("JSON log line");
    v["url"]
        .as_str()
        .or_else(|| v["fields"]["url"].as_str())
        .expect("url field")
        .to_owned()
}

async fn drill(seed: u64) {
    let mut server = Server::start_dev(&[
        "--node-id",
        "drill",
        "--idempotency-lock-timeout",
        "2s",
        "--log-format",
        "json",
    ]);
    let target = Target {
        base: Arc::new(RwLock::new(server.base.clone())),
        log: server.dir.path().join("server.log"),
        tokens: server.tokens.clone(),
        client: reqwest::Client::new(),
    };
    let acked = Arc::new(Mutex::new(Vec::new()));
    let drivers: Vec<_> = (0..LPAS)
        .map(|k| tokio::spawn(drive(target.clone(), seed, k, acked.clone())))
        .collect();
    let mut rng = SmallRng::seed_from_u64(seed);
    for _ in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..900))).await;
        server.kill_and_restart();
        *target.base.write().unwrap() = server.base.clone();
    }
    let mut uids = Vec::new();
    for d in drivers {
        uids.push(d.await.unwrap());
    }
    // The statutory waiting period passes (the development clock restarts at zero with each process).
    target
        .post(
            "/v1/dev/clock",
            "admin",
            &format!("drill-{seed}-clock"),
            &json!({"advance": "29d"}),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(120);
    for uid in &uids {
        loop {
            let v = target.get(&format!("/v1/lpas/{uid}"), "caseworker").await;
            if v["state"] == "registered" && v["sync"]["status"] == "synced" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "seed {seed}: {uid} is {} / {}",
                v["state"],
                v["sync"]["status"]
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let acked = acked.lock().unwrap().clone();
    for uid in &uids {
        let view = target.get(&format!("/v1/lpas/{uid}"), "caseworker").await;
        let history = target
            .get(&format!("/v1/lpas/{uid}/history"), "auditor")
            .await;
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for e in history.as_array().unwrap() {
            *counts
                .entry(e["event"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        for (event, n) in &counts {
            assert_eq!(
                *n, 1,
                "seed {seed}: {uid} has {event} {n} times: {counts:?}"
            );
        }
        assert_eq!(
            counts.get("registration_confirmed"),
            Some(&1),
            "seed {seed}: {uid}"
        );
        for (_, rev) in acked.iter().filter(|(u, _)| u == uid) {
            assert!(
                view["revision"].as_u64().unwrap() >= *rev,
                "seed {seed}: {uid} lost acknowledged revision {rev}"
            );
        }
    }
    let verify = target.get("/v1/audit/verify", "auditor").await;
    assert_eq!(verify["ok"], true, "seed {seed}: {verify}");
    assert_eq!(verify["checked"].as_u64(), Some(LPAS as u64));
    let stats: Value = reqwest::get(format!("{}/__admin/stats", simulator_url(&server)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats["duplicates"], 0,
        "seed {seed}: OPG saw duplicate writes: {stats}"
    );
    // The create (with the identity checks and the donor's signature), the certificate provider's and the
    // attorney's signatures, the waiting period, registration: each applied exactly once.
    assert_eq!(
        stats["writesApplied"].as_u64(),
        Some((LPAS * 5) as u64),
        "seed {seed}: {stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_loses_nothing_and_duplicates_nothing() {
    for seed in [42, 7, 19] {
        drill(seed).await;
    }
}
