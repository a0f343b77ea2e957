//! `lpaflow audit checkpoint`: sign the log as it is now (its size, Merkle root and every LPA's head) with a key
//! kept outside the database, and write the checkpoint where the database's administrators cannot change it.

use super::keys::read_signing_key;
use crate::database::DatabaseArgs;
use anyhow::Context;
use clap::Args;
use lpaflow_core::checkpoint::Checkpoint;
use lpaflow_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The private key (`audit keygen`).
    #[arg(long, env = "LPAFLOW_AUDIT_KEY")]
    key: PathBuf,
    /// Where to write the checkpoint (JSON).
    #[arg(long)]
    out: PathBuf,
}

pub async fn run(args: CheckpointArgs) -> anyhow::Result<ExitCode> {
    let key = match read_signing_key(&args.key) {
        Ok(key) => key,
        Err(e) => return Ok(super::verify::unusable(&format!("{e:#}"))),
    };
    let store = match Store::open_read_only(args.database.options()).await {
        Ok(store) => store,
        Err(e) => return Ok(super::verify::unusable(&e)),
    };
    let tree = store.log_tree().await;
    store.shutdown().await;
    let (size, root, heads) = tree?.at(None)?;
    let checkpoint = Checkpoint::sign(size, &root, chrono::Utc::now(), heads, &key);
    let text = serde_json::to_string_pretty(&checkpoint)?;
    std::fs::write(&args.out, text + "\n")
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "checkpoint of {size} entries, root {}, {} LPAs, written to {}",
        checkpoint.root,
        checkpoint.heads.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
