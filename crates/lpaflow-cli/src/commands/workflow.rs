//! `lpaflow workflow validate|graph`: work on definition files without a database or a server.

use crate::definitions::{load_file, product_catalog};
use clap::{Args, Subcommand, ValueEnum};
use lpaflow_core::graph::{GraphFormat, render};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// Validate definition files; exit 0 if all are valid, or 1 listing every problem on stderr.
    Validate(ValidateArgs),
    /// Print a definition as a Mermaid state diagram or a Graphviz digraph.
    Graph(GraphArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Definition files (workflows/*.toml).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Mermaid,
    Dot,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The definition file.
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "mermaid")]
    format: Format,
    /// Highlight this state (e.g. an instance's current state).
    #[arg(long)]
    highlight: Option<String>,
}

pub fn run(cmd: WorkflowCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        WorkflowCommand::Validate(args) => validate(args),
        WorkflowCommand::Graph(args) => graph(args),
    }
}

fn validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let catalog = product_catalog();
    let mut failed = 0;
    for file in &args.files {
        match load_file(file, &catalog)? {
            Ok(def) => println!(
                "{}: ok ({} v{}, {} states, {} transitions, sha256 {})",
                file.display(),
                def.name(),
                def.version(),
                def.states().len(),
                def.transitions().len(),
                &def.hash()[..12]
            ),
            Err(e) => {
                failed += 1;
                eprint!("{e}");
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} files have problems", args.files.len());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn graph(args: GraphArgs) -> anyhow::Result<ExitCode> {
    let def = match load_file(&args.file, &product_catalog())? {
        Ok(def) => def,
        Err(e) => {
            eprint!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let highlight = match &args.highlight {
        Some(h) => {
            let state = lpaflow_core::StateName::new(h);
            if def.state(&state).is_none() {
                anyhow::bail!("--highlight {h:?} is not a state of {}", def.reference());
            }
            Some(state)
        }
        None => None,
    };
    let format = match args.format {
        Format::Mermaid => GraphFormat::Mermaid,
        Format::Dot => GraphFormat::Dot,
    };
    print!("{}", render(&def, format, highlight.as_ref()));
    Ok(ExitCode::SUCCESS)
}
