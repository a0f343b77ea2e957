//! lpaflow-cli: the `lpaflow` command line. The only crate that knows clap, reads files, environment
//! variables and flags, and installs the tracing subscriber; everything below it receives typed options.

pub mod app;
mod audit_checkpoints;
pub mod aws;
pub mod bench;
pub mod business_time;
mod closed_pipe;
mod commands;
pub mod database;
mod definitions;
pub mod logging;
pub mod node_liveness;
mod secrets;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// lpaflow: a durable workflow engine for the progressive approval of Lasting Powers of Attorney.
#[derive(Debug, Parser)]
#[command(name = "lpaflow", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Log line format (logs go to stderr).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "LPAFLOW_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the lpaflow server (HTTP API, engine, embedded OPG simulator by default).
    Serve(Box<commands::serve::ServeArgs>),
    /// Create or update the database schema.
    Migrate(commands::migrate::MigrateArgs),
    /// Check and draw workflow definitions (workflows/*.toml).
    #[command(subcommand)]
    Workflow(commands::workflow::WorkflowCommand),
    /// Verify the tamper-evident history and print chain heads.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Mint API tokens.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Run the OPG simulator on its own (fault injection, duplicate counts).
    OpgSim(commands::opg_sim::OpgSimArgs),
    /// Manage the OPG integration: planned maintenance windows.
    #[command(subcommand)]
    Opg(commands::opg::OpgCommand),
    /// Compare local state with OPG for every LPA; --repair fixes what is safe and flags the rest.
    Reconcile(commands::reconcile::ReconcileArgs),
    /// An engine that only delivers OPG steps and fires timers (end-to-end crash tests).
    #[command(hide = true)]
    RunEngine(commands::run_engine::RunEngineArgs),
    /// Run the benchmarks (workload, store, ...).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Runs the command line and maps the outcome to an exit code: 0 on success, 1 on failure (with a one-line
/// reason on stderr), 2 for usage errors (clap's convention).
pub fn main() -> ExitCode {
    closed_pipe::stop_quietly_when_stdout_closes();
    let cli = Cli::parse();
    logging::init(cli.log_format, "info");
    let result = match cli.command {
        Command::Workflow(cmd) => commands::workflow::run(cmd),
        Command::Token(cmd) => commands::token::run(cmd),
        Command::Serve(args) => commands::serve::run(*args),
        other => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(run_async(other)),
            Err(e) => Err(anyhow::anyhow!("cannot start the async runtime: {e}")),
        },
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lpaflow: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_async(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(_) | Command::Token(_) => Err(anyhow::anyhow!("not an async command")),
        Command::Migrate(args) => commands::migrate::run(args).await,
        Command::Audit(cmd) => commands::audit::run(cmd).await,
        Command::Bench(cmd) => bench::run(cmd).await,
        Command::OpgSim(args) => commands::opg_sim::run(args).await,
        Command::Opg(cmd) => commands::opg::run(cmd).await,
        Command::Reconcile(args) => commands::reconcile::run(args).await,
        Command::RunEngine(args) => commands::run_engine::run(args).await,
        Command::Workflow(cmd) => commands::workflow::run(cmd),
    }
}
