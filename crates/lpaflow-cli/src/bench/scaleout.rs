//! `lpaflow bench scaleout`: the workload with 1, 2, 4 ... engine processes sharing one database (PostgreSQL:
//! several processes is what it is for). Each process submits its share of the instances and delivers
//! whatever steps it claims; throughput is the whole set from the first submission to the last
//! registration. The check: every instance registered exactly once and one successful OPG POST per id.

use crate::bench::db;
use crate::bench::report::Report;
use crate::bench::workload::check::{check, registered_count};
use crate::bench::workload::stub::Stub;
use clap::Args;
use lpaflow_store::{Store, StoreOptions};
use serde_json::json;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};
use tokio::process::Command;

#[derive(Debug, Args)]
pub struct ScaleoutArgs {
    /// Engine processes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    processes: Vec<u64>,
    /// Instances per run.
    #[arg(long, default_value_t = 5_000)]
    n: u64,
    /// Steps delivered at once per process.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// The shared database (a fresh schema per run on PostgreSQL; default: a SQLite file).
    #[arg(long)]
    database_url: Option<String>,
    /// The OPG stub (default: the built-in simulator's stub protocol in this process).
    #[arg(long)]
    opg_url: Option<String>,
    /// Also write a JSON record here.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub async fn run(args: ScaleoutArgs) -> anyhow::Result<ExitCode> {
    let mut report = Report::default();
    let sim_dir = tempfile::tempdir()?;
    let simulator = match &args.opg_url {
        Some(_) => None,
        None => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let config = lpaflow_opg::SimulatorConfig::new(
                sim_dir.path().join("sim.db"),
                crate::app::opg_jwt_secret(),
            );
            Some(
                lpaflow_opg::simulator::start(config, listener)
                    .await
                    .map_err(|e| anyhow::anyhow!("simulator: {e}"))?,
            )
        }
    };
    let stub_url = args
        .opg_url
        .clone()
        .or_else(|| simulator.as_ref().map(|s| s.base_url()))
        .unwrap_or_default();
    let stub = Stub::new(&stub_url)?;
    let mut correct = true;
    for &k in &args.processes {
        anyhow::ensure!(k > 0, "--processes must be positive");
        stub.reset().await?;
        let database = db::fresh(args.database_url.as_deref(), &format!("scaleout_{k}")).await?;
        let store = Store::open(StoreOptions::new(&database.url)).await?;
        let started = chrono::Utc::now();
        let t0 = Instant::now();
        let mut children = Vec::new();
        for share in 0..k {
            children.push(
                Command::new(std::env::current_exe()?)
                    .args([
                        "bench",
                        "worker",
                        "--database-url",
                        &database.url,
                        "--opg-url",
                        &stub_url,
                    ])
                    .args([
                        "--node-id",
                        &format!("scaleout-{k}-{share}"),
                        "--concurrency",
                        &args.concurrency.to_string(),
                    ])
                    .args([
                        "--submit",
                        &args.n.to_string(),
                        "--share",
                        &share.to_string(),
                        "--shares",
                        &k.to_string(),
                    ])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .kill_on_drop(true)
                    .spawn()?,
            );
        }
        let bar = crate::bench::workload::progress(args.n, &format!("{k} processes"));
        loop {
            let registered = registered_count(&store).await?;
            bar.set_position(registered);
            if registered >= args.n {
                break;
            }
            anyhow::ensure!(
                t0.elapsed() < Duration::from_secs(900),
                "scale-out run with {k} processes did not finish in 15 minutes"
            );
            for c in children.iter_mut() {
                if let Some(status) = c.try_wait()? {
                    anyhow::bail!("a worker exited early ({status})");
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bar.finish_and_clear();
        for c in children.iter_mut() {
            let _ = c.start_kill();
            let _ = c.wait().await;
        }
        let checked = check(&store, &stub, args.n).await?;
        let last = checked.last_registered_at.unwrap_or_else(chrono::Utc::now);
        let seconds = (last - started).num_microseconds().unwrap_or(1) as f64 / 1e6;
        let p = format!("scaleout.{}.processes_{k}", store.backend());
        report.metric(
            &format!("{p}.workflows_per_s"),
            args.n as f64 / seconds.max(1e-9),
        );
        report.metric(&format!("{p}.not_registered"), checked.not_registered);
        report.metric(
            &format!("{p}.dup_registrations"),
            checked.duplicate_registrations,
        );
        report.metric(&format!("{p}.dup_opg_posts"), checked.dup_opg_posts);
        correct &= checked.correct() && checked.dup_opg_posts == 0;
        store.shutdown().await;
    }
    if let Some(path) = &args.json {
        report.write_json(path, json!({"benchmark": "scaleout", "processes": args.processes, "n": args.n, "concurrency": args.concurrency,
            "store": args.database_url.as_deref().map_or("sqlite (temporary file)".to_owned(), lpaflow_store::url::mask_password)}))?;
    }
    if let Some(sim) = simulator {
        let _ = sim.shutdown().await;
    }
    Ok(if correct {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
