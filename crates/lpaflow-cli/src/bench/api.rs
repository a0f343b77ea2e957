//! `lpaflow bench api`: HTTP transitions per second through the real router (JWT check, JSON parsing, the
//! engine, a durable commit) at 64 and 256 connections, answered with the LPA's view and, in a second
//! measurement, with `Prefer: return=minimal` (the revision only), and the same server's ceiling measured in the same
//! run with a no-op route that does the JWT check and the JSON round trip and nothing else. The load
//! generator runs in this process, on the same cores (as `wrk` would on this machine).

use crate::app::LpaEngine;
use crate::bench::db;
use crate::bench::report::{Report, WriterCounts, peak_rss_mb, process_cpu_seconds};
use axum_free::noop_router;
use clap::Args;
use hdrhistogram::Histogram;
use lpaflow_api::{ApiConfig, AppState, Authenticator, Role};
use lpaflow_core::{Command, InstanceId, SystemClock};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Connections, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "64,256")]
    connections: Vec<usize>,
    /// Seconds of each measurement.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// LPAs the transitions are spread over.
    #[arg(long, default_value_t = 1024)]
    lpas: usize,
    /// The store (default: a fresh SQLite file in a temporary directory).
    #[arg(long)]
    database_url: Option<String>,
    /// Workflow definitions.
    #[arg(long, default_value = "workflows")]
    workflows: PathBuf,
    /// LPAs the engine keeps as it last committed them (0: every command reads its LPA from the store).
    #[arg(long, default_value_t = lpaflow_engine::DEFAULT_INSTANCE_CACHE)]
    instance_cache: usize,
    /// Also write a JSON record here.
    #[arg(long)]
    json: Option<PathBuf>,
}

mod axum_free {
    //! The no-op route: the HTTP ceiling of this server (JWT check + JSON in and out, no engine).
    use axum::Json;
    use axum::routing::post;
    use lpaflow_api::{AppState, Caller};
    use serde_json::{Value, json};

    async fn noop(caller: Caller, Json(body): Json<Value>) -> Json<Value> {
        Json(json!({"ok": true, "sub": caller.sub, "echo": body.get("event")}))
    }

    /// `POST /bench/noop`.
    pub fn noop_router() -> axum::Router<AppState> {
        axum::Router::new().route("/bench/noop", post(noop))
    }
}

fn application() -> Value {
    let address = |line1: &str| json!({"line1": line1, "town": "Leeds", "postcode": "LS1 1AA", "country": "GB"});
    json!({
        "lpaType": "property-and-affairs", "channel": "online", "language": "en",
        "donor": {"firstNames": "Ada", "lastName": "Lovelace", "dateOfBirth": "1950-01-02", "address": address("1 Road"),
                  "contactLanguagePreference": "en"},
        "attorneys": [{"firstNames": "Charles", "lastName": "Babbage", "dateOfBirth": "1971-12-26", "address": address("2 Road"), "appointmentType": "original",
                       "channel": "online", "email": "charles@example.org"}],
        "certificateProvider": {"firstNames": "Michael", "lastName": "Faraday", "address": address("4 Road"), "relationship": "professional",
                                "channel": "paper", "phone": "07700900000"},
        "whenTheLpaCanBeUsed": "when-has-capacity", "fee": {"claimedType": "FullFee"}
    })
}

/// What a request asks of the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// The default: the LPA's whole view.
    View,
    /// `Prefer: return=minimal`: the revision only.
    Minimal,
}

/// What one measurement gave: requests per second, the latency histogram in µs, errors, and the process's CPU
/// microseconds per request (server and load generator together).
struct Measured {
    rate: f64,
    hist: Histogram<u64>,
    errors: u64,
    cpu_us_per_request: f64,
}

/// `connections` loops POSTing for `seconds`.
async fn load(
    url: String,
    token: &str,
    (connections, answer): (usize, Answer),
    seconds: f64,
    body_of: Arc<dyn Fn(usize, u64) -> (String, String) + Send + Sync>,
) -> anyhow::Result<Measured> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .tcp_nodelay(true)
        .build()?;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let cpu_before = process_cpu_seconds().unwrap_or_default();
    let tasks: Vec<_> = (0..connections)
        .map(|c| {
            let (client, url, token, body_of) = (
                client.clone(),
                url.clone(),
                format!("Bearer {token}"),
                body_of.clone(),
            );
            tokio::spawn(async move {
                let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
                let mut errors = 0u64;
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let (path, body) = body_of(c, n);
                    n += 1;
                    let t = Instant::now();
                    let mut request = client
                        .post(format!("{url}{path}"))
                        .header("authorization", &token)
                        .header("content-type", "application/json");
                    if answer == Answer::Minimal {
                        request = request.header("prefer", "return=minimal");
                    }
                    let r = request.body(body).send().await;
                    match r {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            hist.record(t.elapsed().as_micros().max(1) as u64)?;
                        }
                        _ => errors += 1,
                    }
                }
                anyhow::Ok((hist, errors))
            })
        })
        .collect();
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut errors = 0;
    for t in tasks {
        let (h, e) = t.await??;
        all.add(h)?;
        errors += e;
    }
    let cpu = process_cpu_seconds().unwrap_or_default() - cpu_before;
    Ok(Measured {
        rate: all.len() as f64 / started.elapsed().as_secs_f64(),
        cpu_us_per_request: cpu * 1e6 / all.len().max(1) as f64,
        hist: all,
        errors,
    })
}

/// Writes one measurement under `prefix`: its rate (named `rate_name`), p50 and p99 in ms, its errors and its
/// CPU per request.
fn record(report: &mut Report, prefix: &str, rate_name: &str, m: &Measured) {
    report.metric(&format!("{prefix}.{rate_name}"), m.rate);
    for (q, name) in [(0.5, "p50_ms"), (0.99, "p99_ms")] {
        report.metric(
            &format!("{prefix}.{name}"),
            m.hist.value_at_quantile(q) as f64 / 1000.0,
        );
    }
    report.metric(&format!("{prefix}.errors"), m.errors);
    report.metric(
        &format!("{prefix}.cpu_us_per_request"),
        m.cpu_us_per_request,
    );
}

pub async fn run(args: ApiArgs) -> anyhow::Result<ExitCode> {
    let mut report = Report::default();
    let database = db::fresh(args.database_url.as_deref(), "api").await?;
    let store = lpaflow_store::Store::open(lpaflow_store::StoreOptions::new(&database.url)).await?;
    let engine_store = store.clone();
    let lpas = LpaEngine {
        workflows: crate::app::read_workflow_dir(&args.workflows)?,
        clock: Arc::new(SystemClock),
        node_id: None,
        opg: None,
        timers: false,
        zone: lpaflow_core::BusinessZone::LONDON,
    }
    .start_service(
        engine_store,
        lpaflow_app::ServiceSettings::default(),
        |options| options.instance_cache = args.instance_cache,
    )
    .await?;
    let mut uids = Vec::with_capacity(args.lpas);
    for _ in 0..args.lpas {
        let uid = lpaflow_api::uid::generate();
        lpas.create_one(
            uid.clone(),
            Command::new("create", "bench", "service").with_payload(application()),
            None,
        )
        .await?;
        uids.push(uid);
    }
    let secret =
        uuid::Uuid::new_v4().simple().to_string() + &uuid::Uuid::new_v4().simple().to_string();
    let auth = Authenticator::new(secret.as_bytes()).map_err(|e| anyhow::anyhow!(e))?;
    let token = auth
        .issue("bench", Role::Service, 3600)
        .map_err(|e| anyhow::anyhow!(e))?;
    let state = AppState::new(lpas.clone(), auth, ApiConfig::default());
    let router = lpaflow_api::router(state.clone()).merge(noop_router().with_state(state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(lpaflow_api::serve(
        listener,
        router,
        lpaflow_api::ConnectionLimits::default(),
        async move {
            let _ = stop_rx.await;
        },
    ));
    let uids: Arc<Vec<InstanceId>> = Arc::new(uids);
    for &connections in &args.connections {
        let noop: Arc<dyn Fn(usize, u64) -> (String, String) + Send + Sync> = Arc::new(|_, n| {
            (
                "/bench/noop".to_owned(),
                json!({"event": "record_payment", "payload": {"amountPence": 1, "n": n}})
                    .to_string(),
            )
        });
        let measured = load(
            url.clone(),
            &token,
            (connections, Answer::View),
            args.seconds,
            noop,
        )
        .await?;
        let p = format!("api.noop.connections_{connections}");
        record(&mut report, &p, "requests_per_s", &measured);
        let u = uids.clone();
        let fire: Arc<dyn Fn(usize, u64) -> (String, String) + Send + Sync> =
            Arc::new(move |c, n| {
                let uid = &u[(c + n as usize * 7919) % u.len()];
                (
                    format!("/v1/lpas/{uid}/events"),
                    json!({"event": "record_payment", "payload": {"amountPence": 1}}).to_string(),
                )
            });
        for (answer, name) in [
            (Answer::View, "transitions"),
            (Answer::Minimal, "transitions_minimal"),
        ] {
            let before = WriterCounts::now(&store);
            let measured = load(
                url.clone(),
                &token,
                (connections, answer),
                args.seconds,
                fire.clone(),
            )
            .await?;
            let p = format!("api.{name}.connections_{connections}");
            record(&mut report, &p, "per_s", &measured);
            before.record_since(&mut report, &p, &store);
        }
    }
    report.metric("api.peak_rss_mb", peak_rss_mb(None).unwrap_or_default());
    let _ = stop_tx.send(());
    let _ = server.await;
    let verify = lpas.verify(None, |_| {}).await?;
    anyhow::ensure!(verify.ok(), "history chains broken after the run");
    lpas.shutdown().await;
    if let Some(path) = &args.json {
        report.write_json(path, json!({"benchmark": "api", "connections": args.connections, "seconds": args.seconds, "lpas": args.lpas, "instance_cache": args.instance_cache, "event": "record_payment",
            "store": args.database_url.as_deref().map_or("sqlite (temporary file, WAL, synchronous=FULL)".to_owned(), lpaflow_store::url::mask_password)}))?;
    }
    Ok(ExitCode::SUCCESS)
}
