//! The OPG commands of the `lpaflow` binary: `opg-sim` serves until SIGTERM; `opg maintenance add|list|remove`
//! keeps windows in the store and refuses bad ones with a reason naming the flag; `run-engine` stays hidden.
#![allow(clippy::unwrap_used)]

mod common;

use common::opg::{SECRET, client_config};
use lpaflow_opg::OpgClient;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn lpaflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lpaflow"))
        .args(args)
        .env("LPAFLOW_OPG_JWT_SECRET", SECRET)
        .env("LPAFLOW_LOG", "warn")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn maintenance_windows_are_added_listed_and_removed_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let db = ["--database-url", url.as_str()];
    let add = |from: &str, to: &str, reason: &str| {
        let mut args = vec![
            "opg",
            "maintenance",
            "add",
            "--from",
            from,
            "--to",
            to,
            "--reason",
            reason,
        ];
        args.extend(db);
        lpaflow(&args)
    };

    let backwards = add("2099-01-02T00:00:00Z", "2099-01-01T00:00:00Z", "upgrade");
    assert_eq!(backwards.status.code(), Some(1));
    assert!(
        text(&backwards.stderr).contains("--from"),
        "{}",
        text(&backwards.stderr)
    );
    let garbled = add("next tuesday", "2099-01-01T00:00:00Z", "upgrade");
    assert_eq!(garbled.status.code(), Some(2), "clap's usage error");
    assert!(
        text(&garbled.stderr).contains("RFC 3339"),
        "{}",
        text(&garbled.stderr)
    );

    let added = add(
        "2099-01-01T22:00:00Z",
        "2099-01-02T02:00:00+00:00",
        "OPG database upgrade",
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let id = text(&added.stdout).split('\t').next().unwrap().to_owned();

    let mut args = vec!["opg", "maintenance", "list", "--json"];
    args.extend(db);
    let listed = lpaflow(&args);
    let windows: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(windows[0]["id"].to_string(), id);
    assert_eq!(windows[0]["reason"], "OPG database upgrade");
    assert_eq!(windows[0]["endsAt"], "2099-01-02T02:00:00Z");

    let mut args = vec!["opg", "maintenance", "remove", id.as_str()];
    args.extend(db);
    assert!(lpaflow(&args).status.success());
    let again = lpaflow(&args);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("no maintenance window has the id"),
        "{}",
        text(&again.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opg_sim_prints_its_url_serves_with_its_faults_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sim.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lpaflow"))
        .args(["opg-sim", "--port", "0", "--outage", "--db"])
        .arg(&db)
        .env("LPAFLOW_OPG_JWT_SECRET", SECRET)
        .env("LPAFLOW_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let client = OpgClient::new(&client_config(&url)).unwrap();
    let down = client.health().await.expect_err("--outage answers 503");
    assert_eq!(down.status(), Some(503), "{down:?}");
    assert_eq!(
        client.get("M-0000-0000-0001").await.unwrap_err().status(),
        Some(503)
    );

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "a graceful stop: {status:?}");
    assert!(db.exists(), "the simulator kept its data");
}

#[test]
fn run_engine_is_hidden_and_the_opg_commands_are_listed() {
    let help = text(&lpaflow(&["--help"]).stdout);
    for listed in ["opg-sim", "opg ", "reconcile"] {
        assert!(help.contains(listed), "{listed} in {help}");
    }
    assert!(!help.contains("run-engine"), "{help}");
    let reconcile = text(&lpaflow(&["reconcile", "--help"]).stdout);
    for flag in ["--uid", "--repair", "--json", "--opg-url", "--database-url"] {
        assert!(reconcile.contains(flag), "{flag} in {reconcile}");
    }
}
