//! Fault drills on the database under the real server: PostgreSQL restarted under load (the server reconnects
//! by itself and loses no acknowledged LPA), and a database that refuses writes (read-only) named as such in
//! every refusal and in `/readyz`, with writes resuming by themselves once it is writable again.
#![allow(clippy::unwrap_used)]

mod common;

use common::cluster::Cluster;
use common::server::Server;
use lpaflow_test_support::TestDb;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `POST /v1/lpas` as the service: the status and body.
async fn create_lpa(server: &Server, application: &Value) -> (StatusCode, Value) {
    server
        .call(Method::POST, "/v1/lpas", Some("service"), Some(application))
        .await
}

/// `GET /v1/lpas/{uid}` as a caseworker: the status and body.
async fn read_lpa(server: &Server, uid: &str) -> (StatusCode, Value) {
    server
        .call(
            Method::GET,
            &format!("/v1/lpas/{uid}"),
            Some("caseworker"),
            None,
        )
        .await
}

/// What the clients saw: uids acknowledged (201), and the other answers by status and code.
#[derive(Default)]
struct Seen {
    acknowledged: Vec<(String, Instant)>,
    refused: BTreeMap<String, u32>,
}

/// Fires `event` on `uid` until the server answers it: a request may meet the restart (a refusal may hide a
/// commit that took effect; its Idempotency-Key makes the retry replay the answer).
async fn fire_until_answered(server: &Server, uid: &str, event: &str, payload: Value) {
    let path = format!("/v1/lpas/{uid}/events");
    let body = json!({"event": event, "payload": payload});
    let key = format!("{event}-{uid}");
    loop {
        let (s, b) = server
            .call_keyed(
                Method::POST,
                &path,
                Some("service"),
                Some(&body),
                Some(&key),
            )
            .await;
        if s == StatusCode::OK {
            return;
        }
        let retryable = s == StatusCode::SERVICE_UNAVAILABLE
            || (s == StatusCode::CONFLICT && b["code"] == "idempotency_key_in_progress");
        assert!(retryable, "{event} {uid}: {s} {b}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates LPAs (and takes each to the donor's signature, which enqueues its OPG create step) until `stop`,
/// recording every answer.
async fn client(server: Arc<Server>, seen: Arc<Mutex<Seen>>, stop: Arc<AtomicBool>) {
    let application = common::opg::application();
    while !stop.load(Ordering::SeqCst) {
        let (status, body) = create_lpa(&server, &application).await;
        if status == StatusCode::CREATED {
            let uid = body["uid"].as_str().unwrap().to_owned();
            fire_until_answered(&server, &uid, "submit", json!({})).await;
            let payment = json!({"amountPence": 9200});
            fire_until_answered(&server, &uid, "record_payment", payment).await;
            fire_until_answered(&server, &uid, "sign_as_donor", json!({})).await;
            seen.lock()
                .unwrap()
                .acknowledged
                .push((uid, Instant::now()));
        } else {
            let key = format!(
                "{} {}",
                status.as_u16(),
                body["code"].as_str().unwrap_or("?")
            );
            *seen.lock().unwrap().refused.entry(key).or_default() += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn wait_for(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_load_loses_no_acknowledged_lpa() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let server = Arc::new(Server::start_dev_on(Some(&cluster.url()), &[]));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..6)
        .map(|_| tokio::spawn(client(server.clone(), seen.clone(), stop.clone())))
        .collect();
    wait_for(
        "LPAs before the restart",
        Duration::from_secs(30),
        async || seen.lock().unwrap().acknowledged.len() >= 20,
    )
    .await;

    cluster.stop();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.start_again();
    let restarted = Instant::now();

    wait_for(
        "LPAs acknowledged after the restart",
        Duration::from_secs(60),
        async || {
            let s = seen.lock().unwrap();
            s.acknowledged
                .iter()
                .filter(|(_, at)| *at > restarted)
                .count()
                >= 20
        },
    )
    .await;
    let serving_again = restarted.elapsed();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }
    let (acknowledged, refused) = {
        let s = seen.lock().unwrap();
        (
            s.acknowledged
                .iter()
                .map(|(u, _)| u.clone())
                .collect::<Vec<_>>(),
            s.refused.clone(),
        )
    };
    assert!(
        refused.keys().all(|k| k == "503 store_unavailable"),
        "during the restart requests are refused as store_unavailable (retryable), nothing else: {refused:?}"
    );

    for uid in &acknowledged {
        let (status, view) = read_lpa(&server, uid).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "acknowledged {uid} is present: {view}"
        );
    }
    // The delivery loop reconnected too: every signed LPA's OPG create step is confirmed.
    let mut reported_slow = false;
    for uid in &acknowledged {
        let path = format!("/v1/lpas/{uid}/sync");
        wait_for(
            "the OPG steps delivered",
            Duration::from_secs(60),
            async || {
                let (_, sync) = server
                    .call(Method::GET, &path, Some("caseworker"), None)
                    .await;
                let done = sync["steps"].as_array().is_some_and(|steps| {
                    !steps.is_empty() && steps.iter().all(|s| s["status"] == "done")
                });
                if !done && restarted.elapsed() > Duration::from_secs(5) && !reported_slow {
                    eprintln!("{uid} still syncing 5 s after the restart: {sync}");
                    reported_slow = true;
                }
                done
            },
        )
        .await;
    }
    let synced = restarted.elapsed();
    let mut retried = Vec::new();
    for uid in &acknowledged {
        let (_, sync) = server
            .call(
                Method::GET,
                &format!("/v1/lpas/{uid}/sync"),
                Some("caseworker"),
                None,
            )
            .await;
        for step in sync["steps"].as_array().into_iter().flatten() {
            if step["attempts"].as_u64().unwrap_or(0) > 1 || step["ambiguous"] == true {
                retried.push(step.clone());
            }
        }
    }
    let (status, verify) = server
        .call(Method::GET, "/v1/audit/verify", Some("auditor"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{verify}");
    assert_eq!(verify["ok"], true, "every hash chain verifies: {verify}");
    let (status, ready) = server.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (status, &ready["status"]),
        (StatusCode::OK, &json!("ready")),
        "{ready}"
    );
    eprintln!(
        "{} LPAs acknowledged, refusals during the restart: {refused:?}; 20 more acknowledged {serving_again:?} \
         after the restart, all synced after {synced:?}; cluster in {}; steps retried: {retried:?}; \
         server warnings:\n{}",
        acknowledged.len(),
        cluster.dir().display(),
        server
            .log()
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Makes every new session of the test database read-only (or writable again) and closes the open ones, so
/// the server's pool reconnects with the setting.
async fn set_read_only(db: &TestDb, on: bool) {
    let TestDb::Postgres {
        admin_url, name, ..
    } = db
    else {
        unreachable!("a PostgreSQL test database");
    };
    let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
    let value = if on { "on" } else { "off" };
    sqlx::query(&format!(
        "ALTER DATABASE {name} SET default_transaction_read_only = {value}"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(name)
    .execute(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_is_named_and_writes_resume_when_it_is_writable() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let server = Server::start_dev_on(Some(db.url()), &[]);
    let application = common::opg::application();
    let (status, created) = create_lpa(&server, &application).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let uid = created["uid"].as_str().unwrap().to_owned();

    set_read_only(&db, true).await;
    let mut refusal = Value::Null;
    wait_for(
        "writes refused as read-only",
        Duration::from_secs(30),
        async || {
            let (status, body) = create_lpa(&server, &application).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            refusal = body;
            refusal["code"] == "database_read_only"
        },
    )
    .await;
    assert!(
        refusal["detail"].as_str().unwrap().contains("read-only"),
        "{refusal}"
    );
    let (status, ready) = server.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(
        (&ready["status"], &ready["database"]),
        (&json!("not_ready"), &json!("read_only")),
        "{ready}"
    );
    let (status, view) = read_lpa(&server, &uid).await;
    assert_eq!(status, StatusCode::OK, "reads are still served: {view}");

    set_read_only(&db, false).await;
    wait_for(
        "writes accepted again",
        Duration::from_secs(30),
        async || {
            let (status, _) = create_lpa(&server, &application).await;
            status == StatusCode::CREATED
        },
    )
    .await;
    let (status, ready) = server.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "ready again once writes succeed: {ready}"
    );
    assert!(
        !server.log().contains("panicked"),
        "the server did not panic: {}",
        server.log()
    );
}

/// A small tmpfs of the test's own, so the database's disk can really fill up (needs the right to mount:
/// root in the test sandbox). Unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(SmallDisk { dir }),
            Ok(out) => {
                eprintln!(
                    "skipping: cannot mount a small tmpfs to fill ({})",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipping: cannot run mount ({e})");
                None
            }
        }
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_named_and_writes_resume_when_space_is_freed() {
    let Some(disk) = SmallDisk::mount(4) else {
        return;
    };
    // Most of the disk is taken by a ballast file the "operator" deletes later.
    let ballast = disk.path().join("ballast");
    std::fs::write(&ballast, vec![1u8; 3 * 1024 * 1024]).unwrap();
    let url = format!("sqlite://{}", disk.path().join("lpaflow.db").display());
    let server = Server::start_dev_on(Some(&url), &[]);
    let application = common::opg::application();

    let mut acknowledged = Vec::new();
    let refusal = loop {
        let (status, body) = create_lpa(&server, &application).await;
        if status != StatusCode::CREATED {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            break body;
        }
        acknowledged.push(body["uid"].as_str().unwrap().to_owned());
        assert!(acknowledged.len() < 5_000, "the disk never filled up");
    };
    assert_eq!(refusal["code"], "database_full", "{refusal}");
    assert!(
        refusal["detail"].as_str().unwrap().contains("full"),
        "{refusal}"
    );
    let (status, ready) = server.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["database"], "full", "{ready}");
    let first = &acknowledged[0];
    let (status, _) = read_lpa(&server, first).await;
    assert_eq!(status, StatusCode::OK, "reads are still served");

    std::fs::remove_file(&ballast).unwrap();
    wait_for(
        "writes accepted again",
        Duration::from_secs(30),
        async || {
            let (status, body) = create_lpa(&server, &application).await;
            if status == StatusCode::CREATED {
                acknowledged.push(body["uid"].as_str().unwrap().to_owned());
            }
            status == StatusCode::CREATED
        },
    )
    .await;
    let (status, ready) = server.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "ready again: {ready}");
    for uid in &acknowledged {
        let (status, _) = read_lpa(&server, uid).await;
        assert_eq!(status, StatusCode::OK, "acknowledged {uid} is present");
    }
    let (_, verify) = server
        .call(Method::GET, "/v1/audit/verify", Some("auditor"), None)
        .await;
    assert_eq!(verify["ok"], true, "every hash chain verifies: {verify}");
    drop(server);
}
