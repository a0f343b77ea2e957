//! `lpaflow audit verify|heads|keygen|checkpoint|proof|prove`: prove the history was not rewritten, print
//! chain heads to publish, sign checkpoints of the global log and check proofs against them (`docs/audit.md`).
//! Each subcommand with more than a few lines lives in its own module.

mod checkpoint;
pub(crate) mod keys;
mod proof;
mod verify;

use crate::database::DatabaseArgs;
use checkpoint::CheckpointArgs;
use clap::{Args, Subcommand};
use keys::KeygenArgs;
use proof::{ProofCommand, ProveArgs};
use std::process::ExitCode;
use verify::VerifyArgs;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every hash chain (or one LPA's), check each LPA's row against its last entry and look for
    /// orphaned history, on a database opened read-only. Exit 0 when all holds, 1 naming each LPA and entry
    /// at fault, 2 when the input is unusable (no such database: none is ever created).
    Verify(VerifyArgs),
    /// Print `uid revision hash state` for every LPA: the chain heads and the digest of each LPA's row as stored,
    /// to publish or archive elsewhere.
    Heads(HeadsArgs),
    /// Create a checkpoint signing key: writes the private key (mode 0600) and prints the public key.
    Keygen(KeygenArgs),
    /// Sign a checkpoint of the global log as it is now (size, Merkle root, every LPA's head).
    Checkpoint(CheckpointArgs),
    /// Write an inclusion or consistency proof read from the database.
    #[command(subcommand)]
    Proof(ProofCommand),
    /// Check an inclusion or consistency proof offline, with only the public key and signed checkpoints.
    Prove(ProveArgs),
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
        AuditCommand::Keygen(args) => keys::keygen(args),
        AuditCommand::Checkpoint(args) => checkpoint::run(args).await,
        AuditCommand::Proof(cmd) => proof::write(cmd).await,
        AuditCommand::Prove(args) => proof::prove(args),
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
            println!("{uid} {} {} {}", head.revision, head.hash, head.state);
        }
    }
    store.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
