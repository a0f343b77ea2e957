//! `serve --audit-key`: sign a checkpoint of the global log at most every `--checkpoint-interval`, only when the
//! log grew, write it to `--checkpoint-dir` (one file per tree size, never overwritten) and keep it in the
//! database so `GET /v1/audit/checkpoint` serves the latest. The files are what matters: copy them somewhere
//! the database's administrators cannot write.

use crate::commands::audit::keys::read_signing_key;
use anyhow::Context;
use clap::Args;
use ed25519_dalek::SigningKey;
use lpaflow_core::checkpoint::Checkpoint;
use lpaflow_store::Store;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Args)]
pub struct AuditCheckpointArgs {
    /// Sign checkpoints of the global log with this private key (`lpaflow audit keygen`).
    #[arg(long, env = "LPAFLOW_AUDIT_KEY")]
    audit_key: Option<PathBuf>,
    /// At most one checkpoint per this long, and only when the log grew (s, m, h).
    #[arg(long, env = "LPAFLOW_CHECKPOINT_INTERVAL", default_value = "60s")]
    checkpoint_interval: String,
    /// Where checkpoint files are written.
    #[arg(long, env = "LPAFLOW_CHECKPOINT_DIR", default_value = "./checkpoints")]
    checkpoint_dir: PathBuf,
}

/// What the loop needs, read and checked at start.
pub struct Checkpointer {
    key: SigningKey,
    dir: PathBuf,
    every: Duration,
}

impl AuditCheckpointArgs {
    /// `None` without `--audit-key`; an error for an unreadable key or directory or a bad interval.
    pub fn checkpointer(&self) -> anyhow::Result<Option<Checkpointer>> {
        let Some(path) = &self.audit_key else {
            return Ok(None);
        };
        let key = read_signing_key(path)?;
        let every = lpaflow_core::duration::parse_duration(&self.checkpoint_interval)
            .ok()
            .and_then(|d| d.to_std().ok())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| anyhow::anyhow!("--checkpoint-interval: a duration above zero"))?;
        std::fs::create_dir_all(&self.checkpoint_dir)
            .with_context(|| format!("creating {}", self.checkpoint_dir.display()))?;
        Ok(Some(Checkpointer {
            key,
            dir: self.checkpoint_dir.clone(),
            every,
        }))
    }
}

impl Checkpointer {
    /// Signs checkpoints until `cancel`.
    pub async fn run(self, store: Store, cancel: CancellationToken) {
        let mut last = 0u64;
        let mut tick = tokio::time::interval(self.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tick.tick() => {}
            }
            match self.take(&store, last).await {
                Ok(Some(size)) => last = size,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "could not sign a checkpoint"),
            }
        }
    }

    /// Signs one when the log has grown past `last`; returns its size.
    async fn take(&self, store: &Store, last: u64) -> anyhow::Result<Option<u64>> {
        if store.log_size().await? <= last {
            return Ok(None);
        }
        let (size, root, heads) = store.log_tree().await?.at(None)?;
        let checkpoint = Checkpoint::sign(size, &root, chrono::Utc::now(), heads, &self.key);
        let text = serde_json::to_string_pretty(&checkpoint)? + "\n";
        write_once(&self.dir.join(format!("checkpoint-{size:012}.json")), &text)?;
        store.save_checkpoint(size, checkpoint.time, &text).await?;
        tracing::info!(tree_size = size, root = %checkpoint.root, "signed a checkpoint of the global log");
        Ok(Some(size))
    }
}

/// Writes a new file through a temporary one, so a reader never sees half a checkpoint.
fn write_once(path: &Path, text: &str) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))
}
