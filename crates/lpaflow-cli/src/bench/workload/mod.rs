//! `lpaflow bench workload`: `shared/bench/workload.md` on lpaflow, scenario by scenario, against the Python
//! stub (`--opg-url`, started with `bench/run-opg-stub.sh`) or the built-in simulator's stub protocol.

pub(crate) mod check;
mod clients;
mod crash;

mod engine;
mod phases;
mod recovery;
pub mod stub;
pub(crate) use check::check;
mod throughput;
pub mod workflow;

use crate::app::opg_jwt_secret;
use crate::bench::report::Report;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// The scenarios of `workload.md` section 6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// (a, b) throughput and latency.
    Throughput,
    /// (c) outage recovery.
    Recovery,
    /// (d) crash of the worker.
    Crash,
}

#[derive(Debug, Args)]
pub struct WorkloadArgs {
    /// Scenarios to run, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "throughput,recovery,crash"
    )]
    scenarios: Vec<Scenario>,
    /// Instances in the throughput run.
    #[arg(long, default_value_t = 10_000)]
    n: u64,
    /// Instances in the recovery run.
    #[arg(long, default_value_t = 3_000)]
    n_recovery: u64,
    /// Instances in the crash run.
    #[arg(long, default_value_t = 3_000)]
    n_crash: u64,
    /// Instances in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Warm-up instances before the timed throughput run.
    #[arg(long, default_value_t = 200)]
    warmup: u64,
    /// Statutory wait in seconds, or `skip`.
    #[arg(long, default_value = "0")]
    wait_s: String,
    /// Outage length in the recovery run (seconds).
    #[arg(long, default_value_t = 20.0)]
    offline_s: f64,
    /// Fraction registered when the worker is killed.
    #[arg(long, default_value_t = 0.5)]
    kill_frac: f64,
    /// Seconds spent measuring the stub's own capacity before the throughput run (0: skip).
    #[arg(long, default_value_t = 3.0)]
    stub_capacity_s: f64,
    /// The store: default a fresh SQLite file per scenario in a temporary directory; `sqlite://PATH` (a file
    /// per scenario beside PATH) or `postgres://...` (a fresh schema `bench_<scenario>` per scenario).
    #[arg(long)]
    database_url: Option<String>,
    /// The OPG stub (`shared/bench/opg_stub.py`); default: the built-in simulator's stub protocol.
    #[arg(long)]
    opg_url: Option<String>,
    /// Also write a JSON record here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Validated settings shared by the scenarios.
pub struct Settings {
    pub n: u64,
    pub n_recovery: u64,
    pub n_crash: u64,
    pub concurrency: usize,
    pub warmup: u64,
    pub wait_s: u64,
    pub offline_s: f64,
    pub kill_frac: f64,
    pub stub_capacity_s: f64,
    pub database_url: Option<String>,
    pub stub_url: String,
}

/// A progress bar on stderr.
pub fn progress(n: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(n);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{what} {{bar:40}} {{pos}}/{{len}} registered ({{per_sec}}) {{elapsed}}"
    )) {
        bar.set_style(style);
    }
    bar
}

fn wait_seconds(raw: &str) -> anyhow::Result<u64> {
    match raw {
        "skip" => Ok(0),
        s => s.parse().map_err(|_| {
            anyhow::anyhow!("--wait-s must be a whole number of seconds or `skip`, not {s:?}")
        }),
    }
}

pub async fn run(args: WorkloadArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.kill_frac),
        "--kill-frac must be between 0 and 1"
    );
    let wait_s = wait_seconds(&args.wait_s)?;
    let simulator = match &args.opg_url {
        Some(_) => None,
        None => {
            let dir = tempfile::tempdir()?;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let config =
                lpaflow_opg::SimulatorConfig::new(dir.path().join("sim.db"), opg_jwt_secret());
            let handle = lpaflow_opg::simulator::start(config, listener)
                .await
                .map_err(|e| anyhow::anyhow!("the built-in simulator did not start: {e}"))?;
            Some((handle, dir))
        }
    };
    let stub_url = args
        .opg_url
        .clone()
        .or_else(|| simulator.as_ref().map(|(h, _)| h.base_url()))
        .unwrap_or_default();
    let settings = Arc::new(Settings {
        n: args.n,
        n_recovery: args.n_recovery,
        n_crash: args.n_crash,
        concurrency: args.concurrency,
        warmup: args.warmup,
        wait_s,
        offline_s: args.offline_s,
        kill_frac: args.kill_frac,
        stub_capacity_s: args.stub_capacity_s,
        database_url: args.database_url.clone(),
        stub_url: stub_url.clone(),
    });
    let stub = stub::Stub::new(&stub_url)?;
    let mut report = Report::default();
    let mut correct = true;
    for scenario in &args.scenarios {
        let ok = match scenario {
            Scenario::Throughput => throughput::run(&settings, &stub, &mut report).await?,
            Scenario::Recovery => recovery::run(&settings, &stub, &mut report).await?,
            Scenario::Crash => crash::run(&settings, &stub, &mut report).await?,
        };
        if !ok {
            eprintln!(
                "lpaflow bench: the {scenario:?} scenario failed its correctness check (see the metrics above)"
            );
        }
        correct &= ok;
    }
    if let Some(path) = &args.json {
        let config = json!({
            "benchmark": "workload", "scenarios": args.scenarios.iter().map(|s| format!("{s:?}").to_lowercase()).collect::<Vec<_>>(),
            "n": args.n, "nRecovery": args.n_recovery, "nCrash": args.n_crash, "concurrency": args.concurrency, "warmup": args.warmup,
            "waitS": args.wait_s, "offlineS": args.offline_s, "killFrac": args.kill_frac,
            "store": args.database_url.as_deref().map_or("sqlite (temporary file, synchronous=FULL)".to_owned(), lpaflow_store::url::mask_password),
            "opg": if args.opg_url.is_some() { "external stub" } else { "built-in simulator (stub protocol)" },
        });
        report.write_json(path, config)?;
    }
    if let Some((handle, _dir)) = simulator {
        let _ = handle.shutdown().await;
    }
    Ok(if correct {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `lpaflow bench worker` (hidden): a worker process for the crash scenario.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[arg(long)]
    database_url: String,
    #[arg(long)]
    opg_url: String,
    #[arg(long)]
    node_id: String,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    #[arg(long, default_value_t = 0)]
    wait_s: u64,
    /// Submit instances 0..N first (the first worker); a restarted worker submits nothing.
    #[arg(long)]
    submit: Option<u64>,
    /// With `--submit`: submit only the instances `i` with `i % shares == share` (scale-out runs).
    #[arg(long, default_value_t = 0)]
    share: u64,
    /// With `--submit`: how many workers share the instances.
    #[arg(long, default_value_t = 1)]
    shares: u64,
}

pub async fn worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let config = engine::WorkerConfig {
        database_url: args.database_url,
        stub_url: args.opg_url,
        concurrency: args.concurrency,
        wait_s: args.wait_s,
        node_id: args.node_id,
    };
    let (engine, _store) =
        engine::start(&config, Arc::new(engine::Registrations::default())).await?;
    if let Some(n) = args.submit {
        anyhow::ensure!(
            args.shares > 0 && args.share < args.shares,
            "--share must be below --shares"
        );
        clients::submit_share(&engine, 'M', n, args.share, args.shares, args.concurrency).await?;
    }
    let _ = tokio::signal::ctrl_c().await;
    engine.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
