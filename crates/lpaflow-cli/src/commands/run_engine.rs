//! `lpaflow run-engine` (hidden): an LPA engine with timers and OPG delivery and nothing else, until SIGINT or
//! SIGTERM (then it stops gracefully) or until it is killed. The end-to-end crash tests start it as a real
//! process and SIGKILL it in the middle of delivering; several of them on one PostgreSQL database share the
//! outbox. Not for production: `lpaflow serve` is the product.

use super::opg_sim::stop_signal;
use super::reconcile::OpgArgs;
use crate::app::{LpaEngine, OpgDelivery};
use crate::database::DatabaseArgs;
use clap::Args;
use lpaflow_core::SystemClock;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct RunEngineArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    business_time: crate::business_time::BusinessTimeArgs,
    /// Directory of workflow definitions (*.toml). Without it, `./workflows` when it exists, else the built-in
    /// `lpa.toml` (as `serve`).
    #[arg(long, env = "LPAFLOW_WORKFLOWS")]
    workflows: Option<PathBuf>,
    #[command(flatten)]
    opg: OpgArgs,
    /// OPG steps delivered at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// How long a claimed step is held, in milliseconds (a killed process's steps are taken over after it).
    #[arg(long, default_value_t = 30_000)]
    lease_ms: u64,
    /// How often to look for due steps, in milliseconds: steps of other processes whose leases expired and
    /// retries this process did not schedule; new steps, and steps a delivery unblocked, wake the worker at once.
    #[arg(long, default_value_t = 500)]
    poll_ms: u64,
    /// This process's lease-holder id (random by default).
    #[arg(long)]
    node_id: Option<String>,
    #[command(flatten)]
    liveness: crate::node_liveness::NodeLivenessArgs,
}

pub async fn run(args: RunEngineArgs) -> anyhow::Result<ExitCode> {
    if args.concurrency == 0 || args.lease_ms == 0 || args.poll_ms == 0 {
        anyhow::bail!("--concurrency, --lease-ms and --poll-ms must be positive");
    }
    let liveness = args.liveness.options(None)?;
    let store = args.database.open().await?;
    let engine = LpaEngine {
        workflows: crate::app::workflow_sources(args.workflows.as_deref())?,
        clock: Arc::new(SystemClock),
        node_id: args.node_id.clone(),
        opg: Some(OpgDelivery {
            client: args.opg.client_config()?,
            concurrency: args.concurrency,
        }),
        timers: true,
        zone: args.business_time.zone,
    }
    .start_with(store, |options| {
        options.liveness = Some(liveness);
        if let Some(d) = options.delivery.as_mut() {
            d.lease_ms = args.lease_ms;
            d.poll_ms = args.poll_ms;
        }
    })
    .await?;
    println!(
        "engine {} delivering to {}",
        engine.node_id(),
        args.opg.opg_url
    );
    stop_signal().await?;
    engine.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
