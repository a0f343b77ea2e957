//! `lpaflow bench`: the benchmarks behind BENCHMARKS.md. Every figure there comes from these commands.

pub mod payload;
pub mod report;
pub mod workload;

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The engine-neutral workload of shared/bench/workload.md (throughput, recovery, crash).
    Workload(workload::WorkloadArgs),
    /// A worker process of the crash scenario (started by `bench workload`).
    #[command(hide = true)]
    Worker(workload::WorkerArgs),
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Workload(args) => workload::run(args).await,
        BenchCommand::Worker(args) => workload::worker(args).await,
    }
}
