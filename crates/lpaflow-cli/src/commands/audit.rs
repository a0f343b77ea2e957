//! `lpaflow audit verify|heads`: prove the history was not rewritten, and print chain heads to publish.
//! Each subcommand with more than a few lines lives in its own module.

mod verify;

use crate::database::DatabaseArgs;
use clap::{Args, Subcommand};
use std::process::ExitCode;
use verify::VerifyArgs;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every hash chain (or one LPA's), check each LPA's row against its last entry and look for
    /// orphaned history, on a database opened read-only. Exit 0 when all holds, 1 naming each LPA and entry
    /// at fault, 2 when the input is unusable (no such database: none is ever created).
    Verify(VerifyArgs),
    /// Print `uid revision hash` for every LPA: the chain heads, to publish or archive elsewhere.
    Heads(HeadsArgs),
}

#[derive(Debug, Args)]
pub struct HeadsArgs {
    #[command(flatten)]
    database: DatabaseArgs,
}

pub async fn run(cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Verify(args) => verify::run(args).await,
        AuditCommand::Heads(args) => heads(args).await,
    }
}

async fn heads(args: HeadsArgs) -> anyhow::Result<ExitCode> {
    let store = match lpaflow_store::Store::open_read_only(args.database.options()).await {
        Ok(store) => store,
        Err(e) => return Ok(verify::unusable(&e)),
    };
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
