//! Development mode through the real binary (issue 17, point 3): only on loopback unless forced with
//! `--dev-on-public-address`, the banner says which mode and why, and a planted development secret that others
//! may write is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::server::{Server, workflows_dir};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};

/// Runs `lpaflow serve` in `dir` with `args`, expecting it to refuse to start.
fn refused(dir: &std::path::Path, args: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lpaflow"));
    command
        .current_dir(dir)
        .arg("serve")
        .args(args)
        .arg("--workflows")
        .arg(workflows_dir())
        .stdin(Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("LPAFLOW_") {
            command.env_remove(name);
        }
    }
    let Output { status, stderr, .. } = command.output().unwrap();
    assert!(!status.success(), "serve {args:?} must refuse to start");
    String::from_utf8_lossy(&stderr).into_owned()
}

#[test]
fn development_mode_on_a_public_address_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let why = refused(dir.path(), &["--listen", "0.0.0.0:0", "--dev"]);
    assert!(why.contains("--dev-on-public-address"), "{why}");
    // Nothing configured on a public address is not development mode: a secret is required.
    let why = refused(dir.path(), &["--listen", "0.0.0.0:0"]);
    assert!(why.contains("no JWT secret"), "{why}");
}

#[test]
fn the_banner_says_which_mode_and_why() {
    let server = Server::start_dev(&[]);
    let banner = server.banner();
    assert!(
        banner.contains("mode:     DEVELOPMENT (--dev was given)"),
        "{banner}"
    );
    assert!(
        banner.contains("/console (one-click development sign-in"),
        "the banner names the console: {banner}"
    );
    let forced = Server::start_dev(&["--dev-on-public-address"]);
    assert!(forced.banner().contains("DEVELOPMENT"));
}

#[test]
fn a_development_secret_that_others_may_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let planted = dir.path().join(".lpaflow-dev-secret");
    std::fs::write(&planted, "p".repeat(64)).unwrap();
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o666)).unwrap();
    let why = refused(dir.path(), &["--listen", "127.0.0.1:0", "--dev"]);
    assert!(why.contains("written by others"), "{why}");
}
