//! The checkpoint signing key: `lpaflow audit keygen` and reading key and checkpoint files. The private key is
//! the 32-byte Ed25519 seed in hex, in a file only its owner can read (0600), created anew (never overwriting a
//! key); the public key is the same in hex, printed and written beside it as `FILE.pub`.

use anyhow::Context;
use clap::Args;
use ed25519_dalek::{SigningKey, VerifyingKey};
use lpaflow_core::checkpoint::{Checkpoint, public_key, signing_key};
use rand::TryRngCore;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the private key (created with mode 0600; an existing file is never overwritten).
    #[arg(long)]
    out: PathBuf,
}

pub fn keygen(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .context("reading the operating system's randomness")?;
    let key = SigningKey::from_bytes(&seed);
    let public = hex::encode(key.verifying_key().as_bytes());
    write_new(&args.out, 0o600, &hex::encode(seed))?;
    let public_path = pub_path(&args.out);
    write_new(&public_path, 0o644, &public)?;
    println!("{public}");
    eprintln!(
        "private key written to {} (keep it outside the database's machine); public key to {}",
        args.out.display(),
        public_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn pub_path(private: &Path) -> PathBuf {
    let mut name = private.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn write_new(path: &Path, mode: u32, text: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(file, "{text}").with_context(|| format!("writing {}", path.display()))?;
    file.sync_all()
        .with_context(|| format!("syncing {}", path.display()))
}

/// Reads a private key file.
pub fn read_signing_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the key {}", path.display()))?;
    signing_key(&text).with_context(|| format!("the key {}", path.display()))
}

/// Reads a public key file (the key's hex, as `keygen` prints it).
pub fn read_public_key(path: &Path) -> anyhow::Result<VerifyingKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the public key {}", path.display()))?;
    public_key(&text).with_context(|| format!("the public key {}", path.display()))
}

/// Reads a checkpoint file.
pub fn read_checkpoint(path: &Path) -> anyhow::Result<Checkpoint> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the checkpoint {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("the checkpoint {}", path.display()))
}

/// Reads a checkpoint and checks its signature with `key`; returns it with its root.
pub fn trusted_checkpoint(
    path: &Path,
    key: &VerifyingKey,
) -> anyhow::Result<(Checkpoint, lpaflow_core::merkle::Hash)> {
    let checkpoint = read_checkpoint(path)?;
    let root = checkpoint
        .verify(key)
        .with_context(|| format!("the checkpoint {}", path.display()))?;
    Ok((checkpoint, root))
}
