//! `lpaflow bench lpa`: the real `workflows/lpa.toml` lifecycle for N LPAs (create, submit, payment, identity
//! checks, every signature, the waiting period, registration), with OPG sync through the simulator (reads
//! back after every write), a business clock moved 29 days forward, and `C` LPAs driven at once. Reports
//! LPAs/s, transitions/s and OPG requests per LPA, and checks every LPA ends `registered` and synced with
//! zero duplicate writes in OPG.

use super::lpa_faults::{self, Plan};
use crate::app::{LpaEngine, OpgDelivery, opg_jwt_secret};
use crate::bench::db;
use crate::bench::report::{Report, peak_rss_mb};
use chrono::TimeDelta;
use clap::Args;
use indicatif::ProgressBar;
use lpaflow_core::{Clock, Command, InstanceId, ManualClock};
use lpaflow_engine::Engine;
use lpaflow_store::{Store, SyncStatus};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct LpaArgs {
    /// LPAs.
    #[arg(long, default_value_t = 1000)]
    pub(super) n: usize,
    /// LPAs driven at once.
    #[arg(long, default_value_t = 32)]
    pub(super) concurrency: usize,
    /// OPG steps delivered at once.
    #[arg(long, default_value_t = 32)]
    pub(super) opg_concurrency: usize,
    /// The store (default: a fresh SQLite file in a temporary directory).
    #[arg(long)]
    pub(super) database_url: Option<String>,
    /// Workflow definitions.
    #[arg(long, default_value = "workflows")]
    pub(super) workflows: PathBuf,
    /// Also write a JSON record here.
    #[arg(long)]
    pub(super) json: Option<PathBuf>,
    /// Scale-out: run the lifecycle with this many engine processes sharing `--database-url` (PostgreSQL),
    /// comma-separated (e.g. `1,2,4`), each driving its share of the LPAs and delivering whatever OPG steps
    /// and timers it claims. Without it the run is one in-process engine.
    #[arg(long, value_delimiter = ',')]
    pub(super) processes: Vec<u64>,
    /// OPG is down (503) for this many seconds from the start while the LPAs are made; reports how long the
    /// backlog takes to drain once it is back and how many requests reached OPG while it was down.
    #[arg(long, default_value_t = 0)]
    pub(super) outage_s: u64,
    /// OPG misbehaves throughout: a 5xx for 15 % of requests, 5 % held past the client's 1 s timeout, 5 % of
    /// writes applied before the answer fails (the faults of tests/opg_chaos.rs, seeded).
    #[arg(long)]
    pub(super) chaos: bool,
    /// Crash: run the lifecycle in an engine process of its own, kill it (SIGKILL) once this share of the OPG
    /// writes has landed (0 to 1, e.g. 0.5) and every LPA is in its waiting period, start a new process on the
    /// same database, and report how long it takes to register every LPA; checks every write reached OPG
    /// exactly once.
    #[arg(long, value_name = "F", conflicts_with_all = ["processes", "outage_s", "chaos"])]
    pub(super) crash_at: Option<f64>,
    /// With `--crash-at`: a second engine process (its own node id) runs from the start, and the killed one is
    /// taken over by it from the heartbeats instead of being restarted; reports the time from the kill until
    /// every LPA is registered. Use it on PostgreSQL (`--database-url`).
    #[arg(long, requires = "crash_at")]
    pub(super) takeover: bool,
    /// Milliseconds OPG (the simulator) takes to answer each request (crash mode only).
    #[arg(long, default_value_t = 0, requires = "crash_at")]
    pub(super) opg_latency_ms: u64,
}

fn application(i: usize) -> Value {
    let address = |line1: String| json!({"line1": line1, "town": "Leeds", "postcode": "LS1 1AA", "country": "GB"});
    json!({
        "lpaType": if i.is_multiple_of(2) { "property-and-affairs" } else { "personal-welfare" }, "channel": "online",
        "language": "en",
        "donor": {"firstNames": "Ada", "lastName": format!("Donor{i}"), "dateOfBirth": "1950-01-02", "address": address(format!("{i} Road")),
                  "contactLanguagePreference": "en"},
        "attorneys": [{"firstNames": "Charles", "lastName": "Babbage", "dateOfBirth": "1971-12-26", "address": address("2 Road".into()), "appointmentType": "original",
                       "channel": "online", "email": "charles@example.org"}],
        "certificateProvider": {"firstNames": "Michael", "lastName": "Faraday", "address": address("4 Road".into()), "relationship": "professional",
                                "channel": "paper", "phone": "07700900000"},
        "whenTheLpaCanBeUsed": "when-has-capacity", "lifeSustainingTreatmentOption": "option-a", "fee": {"claimedType": "FullFee"}
    })
}

/// Drives the LPAs `indices`, `concurrency` at once, from creation to the waiting period; returns their uids.
pub(super) async fn drive_all(
    engine: &Engine,
    clock: &Arc<ManualClock>,
    indices: Vec<usize>,
    concurrency: usize,
    bar: &ProgressBar,
) -> anyhow::Result<Vec<InstanceId>> {
    let indices = Arc::new(indices);
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (engine, clock, next, bar, indices) = (
                engine.clone(),
                clock.clone(),
                next.clone(),
                bar.clone(),
                indices.clone(),
            );
            tokio::spawn(async move {
                let mut uids = Vec::new();
                while let Some(&i) = indices.get(next.fetch_add(1, Ordering::Relaxed)) {
                    uids.push(drive(&engine, &clock, i).await?);
                    bar.inc(1);
                }
                anyhow::Ok(uids)
            })
        })
        .collect();
    let mut uids = Vec::new();
    for t in tasks {
        uids.extend(t.await??);
    }
    Ok(uids)
}

/// Drives one LPA from creation to the waiting period.
async fn drive(engine: &Engine, clock: &Arc<ManualClock>, i: usize) -> anyhow::Result<InstanceId> {
    let uid = lpaflow_api::uid::generate();
    let mut app = application(i);
    if i % 2 == 1 {
        app.as_object_mut().map(|o| o.remove("whenTheLpaCanBeUsed"));
    } else {
        app.as_object_mut()
            .map(|o| o.remove("lifeSustainingTreatmentOption"));
    }
    let service = |event: &str, payload: Value| {
        Command::new(event, "bench-service", "service").with_payload(payload)
    };
    engine
        .create("lpa", uid.clone(), service("create", app))
        .await?;
    engine.fire(&uid, service("submit", json!({}))).await?;
    engine
        .fire(
            &uid,
            service("record_payment", json!({"amountPence": 9200})),
        )
        .await?;
    let now = clock.now().to_rfc3339();
    engine
        .fire(
            &uid,
            service(
                "confirm_donor_identity",
                json!({"type": "one-login", "checkedAt": now}),
            ),
        )
        .await?;
    engine
        .fire(
            &uid,
            service(
                "confirm_certificate_provider_identity",
                json!({"type": "opg-paper-id", "checkedAt": now}),
            ),
        )
        .await?;
    engine
        .fire(&uid, service("sign_as_donor", json!({})))
        .await?;
    engine
        .fire(&uid, service("sign_as_certificate_provider", json!({})))
        .await?;
    let stored = engine
        .get(&uid)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{uid} vanished"))?;
    let attorney = stored.instance.data["application"]["attorneys"][0]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    engine
        .fire(
            &uid,
            service(
                "sign_as_attorney",
                json!({"uid": attorney, "confirmedNotBankrupt": true}),
            ),
        )
        .await?;
    engine
        .fire(
            &uid,
            Command::new("enter_waiting_period", "bench-caseworker", "caseworker"),
        )
        .await?;
    Ok(uid)
}

/// Waits until no OPG step is open (at most ten minutes).
async fn drained(store: &Store) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while store.backlog().await?.open() > 0 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "OPG steps still open after ten minutes"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

pub async fn run(args: LpaArgs) -> anyhow::Result<ExitCode> {
    if !args.processes.is_empty() {
        return super::lpa_scaleout::run(&args).await;
    }
    if let Some(crash_at) = args.crash_at {
        return super::lpa_crash::run(&args, crash_at).await;
    }
    let plan = Plan::of(args.outage_s, args.chaos)?;
    let mut report = Report::default();
    let dir = tempfile::tempdir()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let secret = opg_jwt_secret();
    let (sim_config, client_config) = lpa_faults::configs(plan, dir.path(), &secret);
    let sim = lpaflow_opg::simulator::start(sim_config, listener)
        .await
        .map_err(|e| anyhow::anyhow!("simulator: {e}"))?;
    let database = db::fresh(args.database_url.as_deref(), "lpa").await?;
    let store = lpaflow_store::Store::open(lpaflow_store::StoreOptions::new(&database.url)).await?;
    let clock = Arc::new(ManualClock::offset_from_system());
    let engine = LpaEngine {
        workflows: crate::app::read_workflow_dir(&args.workflows)?,
        clock: clock.clone(),
        node_id: None,
        opg: Some(OpgDelivery {
            client: client_config(&sim.base_url()),
            concurrency: args.opg_concurrency,
        }),
        timers: true,
        zone: lpaflow_core::BusinessZone::LONDON,
    }
    .start(store.clone())
    .await?;
    let started = Instant::now();
    let outage = lpa_faults::start(plan, &sim)?;
    let bar = ProgressBar::new(args.n as u64);
    let uids = drive_all(
        &engine,
        &clock,
        (0..args.n).collect(),
        args.concurrency,
        &bar,
    )
    .await?;
    report.metric("lpa.made_s", started.elapsed().as_secs_f64());
    if let Some(outage) = outage {
        let (back, during) = outage.ended().await?;
        drained(&store).await?;
        report.metric("lpa.outage_requests", during);
        report.metric("lpa.opg_back_to_drained_s", back.elapsed().as_secs_f64());
    }
    clock.advance(TimeDelta::days(29));
    engine.wake_timers();
    let deadline = Instant::now() + Duration::from_secs(600);
    for uid in &uids {
        loop {
            let s = engine
                .get(uid)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{uid} vanished"))?;
            if s.instance.state == "registered" && s.sync_status == SyncStatus::Synced {
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{uid} did not reach registered and synced in time (state {}, sync {})",
                s.instance.state,
                s.sync_status
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    lpa_faults::calm(&sim)?;
    let mut transitions = 0usize;
    for uid in &uids {
        transitions += engine.history(uid, 0, 1000).await?.len();
    }
    let stats = sim.stats();
    let stats = serde_json::to_value(&stats)?;
    let requests: u64 = stats["requests"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    report.metric("lpa.lpas_per_s", args.n as f64 / seconds);
    report.metric("lpa.transitions_per_s", transitions as f64 / seconds);
    report.metric(
        "lpa.transitions_per_lpa",
        transitions as f64 / args.n as f64,
    );
    report.metric("lpa.opg_requests_per_lpa", requests as f64 / args.n as f64);
    report.metric(
        "lpa.opg_writes_applied",
        stats["writesApplied"].as_u64().unwrap_or(0),
    );
    report.metric(
        "lpa.opg_duplicates",
        stats["duplicates"].as_u64().unwrap_or(0),
    );
    report.metric("lpa.peak_rss_mb", peak_rss_mb(None).unwrap_or_default());
    let verify = store.verify(None, |_| {}).await?;
    report.metric("lpa.chains_verified", verify.checked);
    engine.shutdown().await;
    let _ = sim.shutdown().await;
    if let Some(path) = &args.json {
        report.write_json(path, json!({"benchmark": "lpa", "n": args.n, "concurrency": args.concurrency, "opgConcurrency": args.opg_concurrency,
            "opg": plan.name(), "outageSeconds": args.outage_s, "signed": "AWS SigV4",
            "store": args.database_url.as_deref().map_or("sqlite (temporary file, WAL, synchronous=FULL)".to_owned(), lpaflow_store::url::mask_password)}))?;
    }
    let ok = verify.ok() && stats["duplicates"].as_u64() == Some(0);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
