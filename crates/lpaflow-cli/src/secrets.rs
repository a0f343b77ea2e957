//! The API's JWT secret: `LPAFLOW_JWT_SECRET`, or a file (`--jwt-secret-file`), or in development a random
//! secret kept in `.lpaflow-dev-secret` (so dev tokens survive a restart and `lpaflow token issue --dev`
//! signs with the same secret as `serve --dev`).

use anyhow::Context as _;
use rand::RngCore;
use std::path::Path;

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

/// The development secret: read from `.lpaflow-dev-secret`, or created there (owner-only). An existing file
/// is trusted only when this user owns it and no one else may write it: a secret planted in a shared
/// directory would let its author mint tokens for this server.
pub fn development() -> anyhow::Result<String> {
    development_at(Path::new(DEV_SECRET_FILE))
}

/// [`development`] with the file at `path`.
pub fn development_at(path: &Path) -> anyhow::Result<String> {
    let path = path.to_path_buf();
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        check_private(&path, &meta)?;
    }
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

/// Refuses a secret file that is not a regular file owned by this user, or that others may write.
#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    if !meta.file_type().is_file() {
        anyhow::bail!(
            "{} is not a regular file: refusing it as the development secret",
            path.display()
        );
    }
    if meta.uid() != me {
        anyhow::bail!(
            "{} is owned by user {}, not by this user ({me}): refusing it as the development secret; delete it",
            path.display(),
            meta.uid()
        );
    }
    if meta.mode() & 0o022 != 0 {
        anyhow::bail!(
            "{} may be written by others (mode {:o}): refusing it as the development secret; delete it or chmod 600",
            path.display(),
            meta.mode() & 0o777
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_group_or_world_writable_secret_file_is_refused_and_a_private_one_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DEV_SECRET_FILE);
        let planted = "p".repeat(64);
        std::fs::write(&path, &planted).unwrap();
        for mode in [0o666, 0o620, 0o602] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let refused = development_at(&path).unwrap_err().to_string();
            assert!(refused.contains("written by others"), "{mode:o}: {refused}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(development_at(&path).unwrap(), planted);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(development_at(&link).is_err(), "a symlink is refused");
    }

    #[test]
    fn a_secret_file_owned_by_another_user_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = if rustix::process::geteuid().is_root() {
            // Root can give a file away: to `nobody`.
            let path = dir.path().join(DEV_SECRET_FILE);
            std::fs::write(&path, "p".repeat(64)).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
            path
        } else {
            // Files under /etc belong to root, another user.
            std::path::PathBuf::from("/etc/passwd")
        };
        let refused = development_at(&path).unwrap_err().to_string();
        assert!(refused.contains("owned by user"), "{refused}");
    }
}
