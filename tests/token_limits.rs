//! Token lifetimes and secret strength through the real binary (issue 17, point 2): `token issue --ttl`
//! refuses more than 24 hours, and a short or one-character secret is refused by `token issue` and `serve`
//! with an error naming the setting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::server::workflows_dir;
use std::process::{Command, Output, Stdio};

const GOOD: &str = "a token secret of well over thirty-two bytes";

fn lpaflow(secret: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_lpaflow"));
    command
        .current_dir(dir.path())
        .args(args)
        .stdin(Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("LPAFLOW_") {
            command.env_remove(name);
        }
    }
    command.env("LPAFLOW_JWT_SECRET", secret).output().unwrap()
}

fn issue(secret: &str, ttl: &str) -> Output {
    lpaflow(
        secret,
        &[
            "token", "issue", "--role", "service", "--sub", "svc", "--ttl", ttl,
        ],
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn token_issue_refuses_a_lifetime_over_24_hours() {
    let ok = issue(GOOD, "24h");
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_eq!(String::from_utf8_lossy(&ok.stdout).split('.').count(), 3);
    let long = issue(GOOD, "25h");
    assert!(!long.status.success());
    assert!(stderr(&long).contains("--ttl"), "{}", stderr(&long));
}

#[test]
fn weak_secrets_are_refused_naming_the_setting() {
    for (secret, why) in [
        ("aaaaaaaaaaaaaaaa", "16 bytes"),
        (&"a".repeat(40), "one character repeated"),
    ] {
        let out = issue(secret, "1h");
        assert!(!out.status.success());
        let e = stderr(&out);
        assert!(e.contains("LPAFLOW_JWT_SECRET") && e.contains(why), "{e}");
        let workflows = workflows_dir();
        let out = lpaflow(
            secret,
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--workflows",
                workflows.to_str().unwrap(),
            ],
        );
        assert!(!out.status.success());
        let e = stderr(&out);
        assert!(e.contains("LPAFLOW_JWT_SECRET") && e.contains(why), "{e}");
    }
}

#[test]
fn an_unknown_role_is_refused_naming_every_role() {
    let out = lpaflow(GOOD, &["token", "issue", "--role", "boss", "--sub", "svc"]);
    assert!(!out.status.success());
    let why = stderr(&out);
    for role in ["service", "caseworker", "auditor", "admin"] {
        assert!(why.contains(role), "{why}");
    }
}
