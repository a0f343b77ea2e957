//! `lpaflow bench`: the benchmarks behind BENCHMARKS.md. Every figure there comes from these commands.

pub mod api;
pub mod db;
pub mod lpa;
mod lpa_crash;
mod lpa_faults;
pub mod lpa_scaleout;
pub mod payload;
pub mod report;
pub mod scaleout;
pub mod store;
pub mod workload;

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The engine-neutral workload of shared/bench/workload.md (throughput, recovery, crash).
    Workload(workload::WorkloadArgs),
    /// HTTP transitions per second (JWT, JSON, durable commit) against a no-op route's ceiling.
    Api(api::ApiArgs),
    /// The real LPA lifecycle for N LPAs with OPG sync: LPAs/s, transitions/s, OPG requests per LPA.
    Lpa(lpa::LpaArgs),
    /// The workload with several engine processes sharing one database.
    Scaleout(scaleout::ScaleoutArgs),
    /// Durable transitions per second of the store alone, at several concurrencies.
    Store(store::StoreArgs),
    /// A worker process of the crash scenario (started by `bench workload`).
    #[command(hide = true)]
    Worker(workload::WorkerArgs),
    /// One engine process of `bench lpa --processes` (started by it).
    #[command(hide = true)]
    LpaWorker(lpa_scaleout::LpaWorkerArgs),
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Workload(args) => workload::run(args).await,
        BenchCommand::Worker(args) => workload::worker(args).await,
        BenchCommand::Store(args) => store::run(args).await,
        BenchCommand::Api(args) => api::run(args).await,
        BenchCommand::Lpa(args) => lpa::run(args).await,
        BenchCommand::Scaleout(args) => scaleout::run(args).await,
        BenchCommand::LpaWorker(args) => lpa_scaleout::worker(args).await,
    }
}
