//! `lpaflow bench lpa --processes 1,2,4`: the real LPA lifecycle with several engine processes sharing one
//! database (PostgreSQL). Each process drives its share of the LPAs (every k-th) to the waiting period, moves
//! its own business clock past the 28 days, and from then on fires whatever timers and delivers whatever OPG
//! steps it claims, its own or another's. The run ends when every LPA is registered and nothing is left in
//! the outbox; the check: every chain verifies and the OPG simulator saw no duplicate write (every step ran
//! once).

use super::db;
use super::lpa::{LpaArgs, drive_all};
use super::report::Report;
use super::workload::check::registered_count;
use crate::app::{LpaEngine, OpgDelivery, opg_jwt_secret};
use chrono::TimeDelta;
use clap::Args;
use indicatif::ProgressBar;
use lpaflow_core::ManualClock;
use lpaflow_opg::{OpgClientConfig, SimulatorConfig, SimulatorHandle};
use lpaflow_store::{Store, StoreOptions};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// How long one run may take before it is called failed.
const RUN_LIMIT: Duration = Duration::from_secs(900);

#[derive(Debug, Args)]
pub struct LpaWorkerArgs {
    /// The shared database (already migrated by the parent).
    #[arg(long)]
    database_url: String,
    /// The OPG simulator the parent runs.
    #[arg(long)]
    opg_url: String,
    /// This process's share (0-based) of `--shares`.
    #[arg(long)]
    share: usize,
    #[arg(long)]
    shares: usize,
    #[arg(long)]
    n: usize,
    #[arg(long)]
    concurrency: usize,
    #[arg(long)]
    opg_concurrency: usize,
    #[arg(long)]
    workflows: PathBuf,
    #[arg(long)]
    node_id: String,
}

/// One process: drives its share, moves its clock past the waiting period, then keeps delivering until the
/// parent stops it.
pub async fn worker(args: LpaWorkerArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(StoreOptions::new(&args.database_url)).await?;
    let clock = Arc::new(ManualClock::offset_from_system());
    let engine = LpaEngine {
        workflows: crate::app::read_workflow_dir(&args.workflows)?,
        clock: clock.clone(),
        node_id: Some(args.node_id.clone()),
        opg: Some(OpgDelivery {
            client: OpgClientConfig::new(args.opg_url.clone(), opg_jwt_secret()),
            concurrency: args.opg_concurrency,
        }),
        timers: true,
        zone: lpaflow_core::BusinessZone::LONDON,
    }
    .start(store)
    .await?;
    let mine: Vec<usize> = (args.share..args.n).step_by(args.shares.max(1)).collect();
    drive_all(
        &engine,
        &clock,
        mine,
        args.concurrency,
        &ProgressBar::hidden(),
    )
    .await?;
    clock.advance(TimeDelta::days(29));
    engine.wake_timers();
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

/// The parent: one run per process count, each on a fresh database and a fresh simulator.
pub async fn run(args: &LpaArgs) -> anyhow::Result<ExitCode> {
    let mut report = Report::default();
    let mut correct = true;
    for &k in &args.processes {
        anyhow::ensure!(k > 0, "--processes must be positive");
        correct &= run_once(args, k, &mut report).await?;
    }
    if let Some(path) = &args.json {
        report.write_json(path, json!({"benchmark": "lpa-scaleout", "processes": args.processes, "n": args.n,
            "concurrency": args.concurrency, "opgConcurrency": args.opg_concurrency,
            "store": args.database_url.as_deref().map_or("sqlite (temporary file)".to_owned(), lpaflow_store::url::mask_password)}))?;
    }
    Ok(if correct {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn run_once(args: &LpaArgs, k: u64, report: &mut Report) -> anyhow::Result<bool> {
    let dir = tempfile::tempdir()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sim = lpaflow_opg::simulator::start(
        SimulatorConfig::new(dir.path().join("sim.db"), opg_jwt_secret()),
        listener,
    )
    .await
    .map_err(|e| anyhow::anyhow!("simulator: {e}"))?;
    let database = db::fresh(args.database_url.as_deref(), &format!("lpa_scaleout_{k}")).await?;
    // Opened (and migrated) before the workers start, so they never race to create the schema.
    let store = Store::open(StoreOptions::new(&database.url)).await?;
    let started = Instant::now();
    let mut children = Vec::new();
    for share in 0..k {
        let worker = Worker {
            node_id: format!("lpa-scaleout-{k}-{share}"),
            share,
            shares: k,
            n: args.n,
        };
        children.push(spawn_worker(args, &database.url, &sim, &worker)?);
    }
    let bar = super::workload::progress(args.n as u64, &format!("{k} processes"));
    let registered = wait_until_done(&store, &mut children, args.n as u64, &bar).await;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    for c in children.iter_mut() {
        let _ = c.start_kill();
        let _ = c.wait().await;
    }
    let registered = registered?;
    let verify = store.verify(None, |_| {}).await?;
    let stats = serde_json::to_value(sim.stats())?;
    let requests: u64 = stats["requests"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    let duplicates = stats["duplicates"].as_u64().unwrap_or(0);
    let n = args.n as f64;
    let p = format!("lpa.{}.processes_{k}", store.backend());
    report.metric(&format!("{p}.lpas_per_s"), n / seconds);
    report.metric(
        &format!("{p}.transitions_per_s"),
        verify.entries as f64 / seconds,
    );
    report.metric(&format!("{p}.opg_requests_per_lpa"), requests as f64 / n);
    report.metric(
        &format!("{p}.opg_writes_applied"),
        stats["writesApplied"].as_u64().unwrap_or(0),
    );
    report.metric(&format!("{p}.opg_duplicates"), duplicates);
    report.metric(&format!("{p}.not_registered"), args.n as u64 - registered);
    report.metric(&format!("{p}.chains_verified"), verify.checked);
    store.shutdown().await;
    let _ = sim.shutdown().await;
    Ok(verify.ok() && duplicates == 0 && registered == args.n as u64)
}

/// Who one engine process is.
pub(super) struct Worker {
    pub(super) node_id: String,
    /// Its share (0-based) of `shares`: it drives every `shares`-th LPA from `share`.
    pub(super) share: u64,
    pub(super) shares: u64,
    /// LPAs in all (0: drive none, only deliver and fire timers).
    pub(super) n: usize,
}

/// Starts `lpaflow bench lpa-worker` as `worker` on `database_url`, delivering to `sim`.
pub(super) fn spawn_worker(
    args: &LpaArgs,
    database_url: &str,
    sim: &SimulatorHandle,
    worker: &Worker,
) -> anyhow::Result<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .args(["bench", "lpa-worker", "--database-url", database_url])
        .args(["--opg-url", &sim.base_url()])
        .args([
            "--share",
            &worker.share.to_string(),
            "--shares",
            &worker.shares.to_string(),
        ])
        .args(["--n", &worker.n.to_string()])
        .args(["--concurrency", &args.concurrency.to_string()])
        .args(["--opg-concurrency", &args.opg_concurrency.to_string()])
        .arg("--workflows")
        .arg(&args.workflows)
        .args(["--node-id", &worker.node_id])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()?)
}

/// Waits until `n` LPAs are registered and the outbox is empty; returns how many are registered.
async fn wait_until_done(
    store: &Store,
    children: &mut [Child],
    n: u64,
    bar: &ProgressBar,
) -> anyhow::Result<u64> {
    let t0 = Instant::now();
    loop {
        let registered = registered_count(store).await?;
        bar.set_position(registered);
        if registered >= n && store.backlog().await?.open() == 0 {
            return Ok(registered);
        }
        anyhow::ensure!(
            t0.elapsed() < RUN_LIMIT,
            "the LPAs were not all registered and synced within {RUN_LIMIT:?} ({registered} of {n} registered)"
        );
        for c in children.iter_mut() {
            if let Some(status) = c.try_wait()? {
                anyhow::bail!("an engine process exited early ({status})");
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
