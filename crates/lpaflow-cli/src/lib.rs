//! lpaflow-cli: the `lpaflow` command line. The only crate that knows clap, reads files, environment
//! variables and flags, and installs the tracing subscriber; everything below it receives typed options.

mod commands;
mod definitions;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// lpaflow: a durable workflow engine for the progressive approval of Lasting Powers of Attorney.
#[derive(Debug, Parser)]
#[command(name = "lpaflow", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the lpaflow server (HTTP API, engine, embedded OPG simulator by default).
    Serve(commands::serve::ServeArgs),
    /// Check and draw workflow definitions (workflows/*.toml).
    #[command(subcommand)]
    Workflow(commands::workflow::WorkflowCommand),
}

/// Runs the command line and maps the outcome to an exit code: 0 on success, 1 on failure (with a one-line
/// reason on stderr), 2 for usage errors (clap's convention).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Workflow(cmd) => commands::workflow::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lpaflow: {e:#}");
            ExitCode::FAILURE
        }
    }
}
