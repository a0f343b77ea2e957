//! `lpaflow audit verify|heads`: prove the history was not rewritten, and print chain heads to publish.

use crate::database::DatabaseArgs;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use lpaflow_core::InstanceId;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every hash chain (or one LPA's) and compare it with the stored rows; exit 1 naming each LPA
    /// whose chain is broken and the first broken entry.
    Verify(VerifyArgs),
    /// Print `uid revision hash` for every LPA: the chain heads, to publish or archive elsewhere.
    Heads(HeadsArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Verify only this LPA.
    #[arg(long)]
    uid: Option<String>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct HeadsArgs {
    #[command(flatten)]
    database: DatabaseArgs,
}

pub async fn run(cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Verify(args) => verify(args).await,
        AuditCommand::Heads(args) => heads(args).await,
    }
}

async fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let store = args.database.open().await?;
    let uid = args.uid.as_deref().map(InstanceId::new);
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{spinner} verified {pos} LPAs ({per_sec}) {elapsed}",
    )?);
    let report = store.verify(uid.as_ref(), |n| bar.set_position(n)).await;
    bar.finish_and_clear();
    store.shutdown().await;
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    for b in &report.broken {
        eprintln!("BROKEN {} at entry {}: {}", b.uid, b.seq, b.reason);
    }
    if report.ok() {
        if !args.json {
            println!(
                "ok: {} LPAs, {} history entries, every hash chain intact",
                report.checked, report.entries
            );
        }
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "{} of {} LPAs have a broken history chain",
            report.broken.len(),
            report.checked
        );
        Ok(ExitCode::FAILURE)
    }
}

async fn heads(args: HeadsArgs) -> anyhow::Result<ExitCode> {
    let store = args.database.open().await?;
    let mut after = String::new();
    loop {
        let page = store.chain_heads(&after, 1000).await?;
        let Some((last, _)) = page.last() else { break };
        after = last.to_string();
        for (uid, head) in &page {
            println!("{uid} {} {}", head.revision, head.hash);
        }
    }
    store.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
