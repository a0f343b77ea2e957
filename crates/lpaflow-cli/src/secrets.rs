//! The API's JWT secret: `LPAFLOW_JWT_SECRET`, or a file (`--jwt-secret-file`), or in development a random
//! secret kept in `.lpaflow-dev-secret` (so dev tokens survive a restart and `lpaflow token issue --dev`
//! signs with the same secret as `serve --dev`).

use anyhow::Context as _;
use rand::RngCore;
use std::path::{Path, PathBuf};

/// Where the development secret is kept.
pub const DEV_SECRET_FILE: &str = ".lpaflow-dev-secret";

/// The configured secret, if any: the environment wins, then the file.
pub fn configured(file: Option<&Path>) -> anyhow::Result<Option<String>> {
    if let Ok(s) = std::env::var("LPAFLOW_JWT_SECRET")
        && !s.is_empty()
    {
        return Ok(Some(s));
    }
    match file {
        Some(f) => {
            let s = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the JWT secret file {}", f.display()))?;
            let s = s.trim().to_owned();
            if s.is_empty() {
                anyhow::bail!("the JWT secret file {} is empty", f.display());
            }
            Ok(Some(s))
        }
        None => Ok(None),
    }
}

/// The development secret: read from `.lpaflow-dev-secret`, or created there (owner-only).
pub fn development() -> anyhow::Result<String> {
    let path = PathBuf::from(DEV_SECRET_FILE);
    if let Ok(s) = std::fs::read_to_string(&path)
        && s.trim().len() >= 32
    {
        return Ok(s.trim().to_owned());
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    write_private(&path, &secret)
        .with_context(|| format!("cannot write the development secret to {}", path.display()))?;
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
