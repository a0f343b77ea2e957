//! Every definition in `workflows/` loads and validates against the product's catalog, and the `lpaflow
//! workflow` commands behave as documented on the real binary.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn workflow_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn lpaflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lpaflow"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn every_file_in_workflows_loads_and_validates() {
    let files = workflow_files();
    assert!(!files.is_empty(), "workflows/ holds no definitions");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        if let Err(e) = lpaflow_spec::load(&f.display().to_string(), &text, &lpaflow_lpa::catalog())
        {
            panic!("{e}");
        }
    }
}

#[test]
fn validate_exits_0_for_lpa_toml() {
    let out = lpaflow(&["workflow", "validate", "workflows/lpa.toml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("workflows/lpa.toml: ok (lpa v4"));
}

#[test]
fn validate_exits_1_listing_every_problem_of_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nversion = 0\ninitial = \"a\"\n[states.a]\n[[transitions]]\nevent = \"go\"\nfrom = \"a\"\nto = \"nowhere\"\nroles = [\"wizard\"]\n").unwrap();
    let out = lpaflow(&[
        "workflow",
        "validate",
        "workflows/lpa.toml",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "bad.toml: 4 problems",
        "bad.toml:2:11: version: the version must be a whole number from 1 up, not 0",
        "bad.toml: states: no state is terminal",
        "bad.toml:8:6: transitions[0].to: the target state \"nowhere\" is not declared under [states]",
        "bad.toml:9:10: transitions[0].roles[0]: unknown role \"wizard\"",
        "1 of 2 files have problems",
    ] {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
}

#[test]
fn validate_names_an_unreadable_file() {
    let out = lpaflow(&["workflow", "validate", "workflows/missing.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read workflows/missing.toml"));
}

#[test]
fn mermaid_graph_renders_every_state_and_transition() {
    let out = lpaflow(&[
        "workflow",
        "graph",
        "workflows/lpa.toml",
        "--format",
        "mermaid",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("stateDiagram-v2\n"));
    let def = common_def();
    for s in def.states() {
        assert!(
            text.contains(&format!("    {}", s.name)),
            "state {} missing",
            s.name
        );
    }
    for t in def.transitions() {
        for from in &t.from {
            let edge = format!(
                "    {from} --> {}: {} [",
                t.target(from),
                t.event.as_str().replace(':', " ")
            );
            assert!(text.contains(&edge), "edge {edge:?} missing");
        }
    }
    assert!(text.contains("    [*] --> created"));
    assert!(
        text.contains("class cannot_register,withdrawn,do_not_register,expired,cancelled terminal")
    );
    assert!(text.contains("waiting_period_elapsed [system, after 28d at midnight]"));
}

#[test]
fn dot_graph_marks_terminal_states_and_highlights_one() {
    let out = lpaflow(&[
        "workflow",
        "graph",
        "workflows/lpa.toml",
        "--format",
        "dot",
        "--highlight",
        "signing",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("digraph \"lpa v4\" {"));
    assert!(text.contains("\"withdrawn\" [label=\"withdrawn\", peripheries=2];"));
    assert!(text.contains("\"signing\" [label=\"signing\", style=\"rounded,filled\""));
    assert!(text.contains("\"signing\" -> \"statutory_waiting_period\" [label=\"enter_waiting_period [service, caseworker]\"];"));
    let bad = lpaflow(&[
        "workflow",
        "graph",
        "workflows/lpa.toml",
        "--highlight",
        "limbo",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("--highlight \"limbo\" is not a state of lpa@v4")
    );
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["workflow", "--help"],
        vec!["workflow", "validate", "--help"],
        vec!["workflow", "graph", "--help"],
        vec!["serve", "--help"],
    ] {
        let out = lpaflow(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage: lpaflow"),
            "{args:?}"
        );
    }
}

fn common_def() -> lpaflow_core::WorkflowDef {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows/lpa.toml"))
            .unwrap();
    lpaflow_spec::load("lpa.toml", &text, &lpaflow_lpa::catalog()).unwrap()
}

/// A reader that closes the pipe before the command writes (`lpaflow workflow graph lpa.toml | head -0`): the
/// command stops quietly, with no panic and status 0 (it exited 101 with a panic message before).
#[test]
fn a_closed_stdout_stops_a_command_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows/lpa.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_lpaflow"))
        .args(["workflow", "graph"])
        .arg(&file)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
