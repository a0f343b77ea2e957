//! `lpaflow opg-sim`: the OPG simulator on its own (the LPA Store API over its own SQLite file, with fault
//! injection), for development, demos and benchmarks. Prints its URL on stdout, then serves until SIGINT or
//! SIGTERM, and stops gracefully (held requests released, database closed).

use crate::app::opg_jwt_secret;
use anyhow::Context as _;
use clap::Args;
use lpaflow_opg::simulator::{self, AwsVerification, Faults, Maintenance, SimulatorConfig};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct OpgSimArgs {
    /// Port to listen on (0 picks a free one; the URL printed says which).
    #[arg(long, env = "LPAFLOW_OPG_SIM_PORT", default_value_t = 8089)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "LPAFLOW_OPG_SIM_HOST", default_value = "127.0.0.1")]
    host: String,
    /// The simulator's SQLite file (created if missing; data and duplicate counts survive restarts).
    #[arg(long, env = "LPAFLOW_OPG_SIM_DB", default_value = "lpaflow-opg-sim.db")]
    db: PathBuf,
    /// Start in an outage: every API request is a 503.
    #[arg(long)]
    outage: bool,
    /// A planned maintenance window, `FROM/TO` in RFC 3339: 503 with Retry-After inside it.
    #[arg(long, value_name = "FROM/TO")]
    maintenance: Option<Maintenance>,
    /// Share of API requests answered 500, 502 or 504 without being applied (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share of API requests held past any client timeout, then dropped (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    timeout_rate: f64,
    /// Share of API requests whose connection is dropped without an answer (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    reset_rate: f64,
    /// Share of API requests answered 429 with Retry-After (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    throttle_rate: f64,
    /// Latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Delay between storing a write and answering it, in milliseconds (a client that dies meanwhile never
    /// learns that its write took effect).
    #[arg(long, default_value_t = 0)]
    reply_delay_ms: u64,
    /// Share of successful writes applied and then answered 500 or 502, or dropped (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    commit_then_fail_rate: f64,
    /// Reads answer the version before the last write, with an `Age` header.
    #[arg(long)]
    stale_reads: bool,
    /// Share of reads (and of the store's own read before an update) that miss a write of the last second,
    /// as DynamoDB's eventually consistent reads may, with nothing to say so (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    lagging_read_rate: f64,
    /// Share of writes that pass every rule and are answered as applied but not stored (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    acknowledge_without_applying_rate: f64,
    /// Share of writes that pass every rule and are stored with a visible difference (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    apply_differently_rate: f64,
    /// Seed of the fault dice (the same seed replays the same faults).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// How long the timeout fault holds a request before dropping it, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    timeout_hold_ms: u64,
    /// Require an AWS Signature V4 (service `execute-api`) from this access key on every LPA route, as API
    /// Gateway's `AWS_IAM` does (needs `--aws-secret-access-key`).
    #[arg(
        long,
        env = "LPAFLOW_OPG_SIM_AWS_ACCESS_KEY_ID",
        requires = "aws_secret_access_key"
    )]
    aws_access_key_id: Option<String>,
    /// The secret access key of `--aws-access-key-id`.
    #[arg(
        long,
        env = "LPAFLOW_OPG_SIM_AWS_SECRET_ACCESS_KEY",
        hide_env_values = true,
        requires = "aws_access_key_id"
    )]
    aws_secret_access_key: Option<String>,
    /// The region requests must be signed for.
    #[arg(long, env = "LPAFLOW_OPG_SIM_AWS_REGION", default_value = "eu-west-1")]
    aws_region: String,
}

impl OpgSimArgs {
    fn faults(&self) -> Faults {
        Faults {
            outage: self.outage,
            maintenance: self.maintenance,
            error_rate: self.error_rate,
            timeout_rate: self.timeout_rate,
            reset_rate: self.reset_rate,
            throttle_rate: self.throttle_rate,
            latency_ms: self.latency_ms,
            reply_delay_ms: self.reply_delay_ms,
            commit_then_fail_rate: self.commit_then_fail_rate,
            stale_reads: self.stale_reads,
            lagging_read_rate: self.lagging_read_rate,
            acknowledge_without_applying_rate: self.acknowledge_without_applying_rate,
            apply_differently_rate: self.apply_differently_rate,
            seed: self.seed,
        }
    }

    /// The key pair to verify AWS signatures with, when given.
    fn aws(&self) -> Option<AwsVerification> {
        match (&self.aws_access_key_id, &self.aws_secret_access_key) {
            (Some(id), Some(secret)) => Some(AwsVerification {
                access_key_id: id.clone(),
                secret_access_key: secret.clone(),
                region: self.aws_region.clone(),
            }),
            _ => None,
        }
    }
}

pub async fn run(args: OpgSimArgs) -> anyhow::Result<ExitCode> {
    let mut config = SimulatorConfig::new(&args.db, opg_jwt_secret());
    config.faults = args.faults();
    config.timeout_hold_ms = args.timeout_hold_ms;
    config.aws = args.aws();
    let address = format!("{}:{}", args.host, args.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let handle = simulator::start(config, listener).await?;
    println!("{}", handle.base_url());
    eprintln!(
        "OPG simulator on {} (data in {}); faults: PUT {}/__admin/faults, stats: GET {}/__admin/stats; Ctrl-C stops it",
        handle.base_url(),
        args.db.display(),
        handle.base_url(),
        handle.base_url()
    );
    stop_signal().await?;
    tracing::info!("stopping the OPG simulator");
    handle.shutdown().await?;
    Ok(ExitCode::SUCCESS)
}

/// Waits for SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("cannot watch SIGINT")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("cannot watch Ctrl-C")?;
    Ok(())
}
