//! The served OpenAPI document against the server it describes (issue 17 item 7): Schemathesis runs every
//! check it has (`--checks all`: no 5xx, every status and body as documented, schema-valid requests accepted,
//! schema-violating ones refused, ...) against the real `lpaflow serve`, once per role, on SQLite and on
//! PostgreSQL. Any failure fails the test with Schemathesis's report.
//!
//! `tests/fuzz/schemathesis.toml` lists the only refusals of schema-valid requests it allows, each one a rule
//! JSON Schema cannot say (a comparison between fields, the server's state); `tests/fuzz/lpaflow_fuzz_hooks.py`
//! gives each request a fresh `Idempotency-Key`. The seed is fixed so a run is repeatable;
//! `LPAFLOW_FUZZ_SEED` and `LPAFLOW_FUZZ_EXAMPLES` explore further.
#![allow(clippy::unwrap_used)]

mod common;

use common::server::Server;
use lpaflow_test_support::TestDb;
use std::path::PathBuf;
use std::process::Command;

/// The `st` executable, exported by `.ci/run` (which installs Schemathesis in a virtualenv).
const SCHEMATHESIS_ENV: &str = "LPAFLOW_SCHEMATHESIS";
const ROLES: [&str; 4] = ["service", "caseworker", "auditor", "admin"];

fn schemathesis() -> Option<PathBuf> {
    let Some(st) = std::env::var_os(SCHEMATHESIS_ENV) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI must set {SCHEMATHESIS_ENV} (.ci/run installs Schemathesis)"
        );
        eprintln!("skipped: {SCHEMATHESIS_ENV} is not set (.ci/run installs Schemathesis)");
        return None;
    };
    Some(PathBuf::from(st))
}

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz")
}

/// Runs Schemathesis against `server` as each role; returns the reports of the roles that failed.
fn failures(st: &PathBuf, server: &Server) -> Vec<String> {
    let seed = std::env::var("LPAFLOW_FUZZ_SEED").unwrap_or_else(|_| "1".to_owned());
    let examples = std::env::var("LPAFLOW_FUZZ_EXAMPLES").unwrap_or_else(|_| "15".to_owned());
    // Schemathesis keeps a cache in its working directory: a scratch one, not the repository.
    let scratch = tempfile::tempdir().unwrap();
    let mut failed = Vec::new();
    for role in ROLES {
        let out = Command::new(st)
            .current_dir(scratch.path())
            .arg("--config-file")
            .arg(fuzz_dir().join("schemathesis.toml"))
            .args([
                "--no-color",
                "run",
                &format!("{}/openapi.json", server.base),
            ])
            .args([
                "--checks",
                "all",
                "--max-examples",
                &examples,
                "--seed",
                &seed,
            ])
            .arg("--header")
            .arg(format!("Authorization: Bearer {}", server.tokens[role]))
            .env("SCHEMATHESIS_HOOKS", "lpaflow_fuzz_hooks")
            .env("PYTHONPATH", fuzz_dir())
            .output()
            .unwrap_or_else(|e| panic!("{st:?} does not run: {e}"));
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        let summary = report
            .lines()
            .rev()
            .find(|l| l.contains(" in ") && l.starts_with('='))
            .unwrap_or("no summary")
            .to_owned();
        eprintln!("{role}: {summary}");
        if !out.status.success() {
            failed.push(format!(
                "--- as {role} ({}):\n{report}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    failed
}

fn assert_clean(st: &PathBuf, server: &Server, backend: &str) {
    let failed = failures(st, server);
    assert!(
        failed.is_empty(),
        "Schemathesis found failures on {backend}:\n{}\nserver log:\n{}",
        failed.join("\n"),
        server.log()
    );
}

#[test]
fn the_api_keeps_its_document_under_schemathesis_on_sqlite() {
    let Some(st) = schemathesis() else {
        return;
    };
    let server = Server::start_dev(&[]);
    assert_clean(&st, &server, "SQLite");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_keeps_its_document_under_schemathesis_on_postgres() {
    let Some(st) = schemathesis() else {
        return;
    };
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let server = Server::start_dev_on(Some(db.url()), &[]);
    let outcome = tokio::task::spawn_blocking(move || {
        assert_clean(&st, &server, "PostgreSQL");
    })
    .await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
