//! Proofs: `lpaflow audit proof inclusion|consistency` reads them from the database (as the HTTP API would
//! serve them); `lpaflow audit prove` checks a proof file offline, with only the public key and signed
//! checkpoints. Exit 0 when the proof holds, 1 when it does not, 2 for unreadable input.

use super::keys::{read_public_key, trusted_checkpoint};
use super::verify::{PROBLEMS, unusable};
use crate::database::DatabaseArgs;
use anyhow::Context;
use clap::{Args, Subcommand};
use lpaflow_core::InstanceId;
use lpaflow_core::proof::{ConsistencyProof, InclusionProof};
use lpaflow_store::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ProofCommand {
    /// Write the inclusion proof of one LPA's entry in the tree of `--tree-size` entries (default: all).
    Inclusion(InclusionArgs),
    /// Write the proof that the tree of `--to` entries (default: all) extends the tree of `--from` entries.
    Consistency(ConsistencyArgs),
}

#[derive(Debug, Args)]
pub struct InclusionArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The LPA.
    #[arg(long)]
    uid: String,
    /// The entry.
    #[arg(long)]
    seq: u64,
    /// The tree size (a checkpoint's `treeSize`).
    #[arg(long)]
    tree_size: Option<u64>,
    /// Where to write the proof (JSON).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ConsistencyArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The older tree's size.
    #[arg(long)]
    from: u64,
    /// The newer tree's size.
    #[arg(long)]
    to: Option<u64>,
    /// Where to write the proof (JSON).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The public key the checkpoints were signed with.
    #[arg(long)]
    public_key: PathBuf,
    /// The checkpoint the proof leads to (for consistency: the newer one).
    #[arg(long)]
    checkpoint: PathBuf,
    /// For consistency: the older checkpoint.
    #[arg(long, requires = "consistency")]
    old_checkpoint: Option<PathBuf>,
    /// An inclusion proof file.
    #[arg(
        long,
        conflicts_with = "consistency",
        required_unless_present = "consistency"
    )]
    inclusion: Option<PathBuf>,
    /// A consistency proof file.
    #[arg(long, requires = "old_checkpoint")]
    consistency: Option<PathBuf>,
}

pub async fn write(cmd: ProofCommand) -> anyhow::Result<ExitCode> {
    let (database, out) = match &cmd {
        ProofCommand::Inclusion(a) => (&a.database, &a.out),
        ProofCommand::Consistency(a) => (&a.database, &a.out),
    };
    let store = match Store::open_read_only(database.options()).await {
        Ok(store) => store,
        Err(e) => return Ok(unusable(&e)),
    };
    let json = proof_json(&store, &cmd).await;
    store.shutdown().await;
    std::fs::write(out, json? + "\n").with_context(|| format!("writing {}", out.display()))?;
    println!("proof written to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

async fn proof_json(store: &Store, cmd: &ProofCommand) -> anyhow::Result<String> {
    let tree = store.log_tree().await?;
    Ok(match cmd {
        ProofCommand::Inclusion(a) => {
            let uid = InstanceId::new(&a.uid);
            let proof = store
                .inclusion_proof(&tree, &uid, a.seq, a.tree_size)
                .await?;
            serde_json::to_string_pretty(&proof)?
        }
        ProofCommand::Consistency(a) => {
            serde_json::to_string_pretty(&tree.consistency(a.from, a.to)?)?
        }
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("the proof {}", path.display()))
}

pub fn prove(args: ProveArgs) -> anyhow::Result<ExitCode> {
    match check(&args) {
        Err(e) => Ok(unusable(&format!("{e:#}"))),
        Ok(Err(e)) => {
            eprintln!("the proof does not hold: {e}");
            Ok(ExitCode::from(PROBLEMS))
        }
        Ok(Ok(what)) => {
            println!("ok: {what}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `Err`: unusable input; `Ok(Err)`: the proof does not hold; `Ok(Ok)`: what it proved.
fn check(args: &ProveArgs) -> anyhow::Result<Result<String, lpaflow_core::proof::ProofError>> {
    let key = read_public_key(&args.public_key)?;
    let (checkpoint, root) = trusted_checkpoint(&args.checkpoint, &key)?;
    if let Some(path) = &args.inclusion {
        let proof: InclusionProof = read_json(path)?;
        return Ok(proof.verify(checkpoint.tree_size, &root).map(|()| {
            format!(
                "entry {} of {} is entry {} of the log the checkpoint of {} entries commits to",
                proof.seq, proof.uid, proof.leaf_index, checkpoint.tree_size
            )
        }));
    }
    let (Some(path), Some(old_path)) = (&args.consistency, &args.old_checkpoint) else {
        anyhow::bail!("give --inclusion FILE, or --consistency FILE with --old-checkpoint FILE");
    };
    let (old, old_root) = trusted_checkpoint(old_path, &key)?;
    let proof: ConsistencyProof = read_json(path)?;
    Ok(proof
        .verify((old.tree_size, &old_root), (checkpoint.tree_size, &root))
        .map(|()| {
            format!(
                "the log of {} entries extends the log of {} entries by appending only",
                checkpoint.tree_size, old.tree_size
            )
        }))
}
