//! `lpaflow audit verify`: the auditor's check. It opens the database read-only (never creating or migrating
//! one) and answers with its exit code: 0 when everything verifies, 1 listing every problem with the LPA uid and
//! entry (or the global index), 2 when the input is unusable (no such database, an unmigrated one, a checkpoint
//! or key that cannot be read, a checkpoint the key did not sign).
//!
//! Beyond every chain (`Store::verify`) it checks the global log: no history row without a global index, no
//! gap in the indices, and, for each `--checkpoint`, that the log today is an append-only extension of it.
//! With `--replay`, every intact chain is also replayed through the interpreter (`lpaflow_core::replay`): each
//! recorded transition must be one the definition allowed to that role at that time, producing the recorded
//! state and data.

use super::keys::{read_public_key, trusted_checkpoint};
use crate::app::workflow_sources;
use crate::database::DatabaseArgs;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use lpaflow_app::replay::LpaInterpreters;
use lpaflow_core::InstanceId;
use lpaflow_core::checkpoint::Checkpoint;
use lpaflow_core::log::{LogProblem, compare, leaves};
use lpaflow_core::merkle::Hash;
use lpaflow_core::replay::Interpreters;
use lpaflow_store::{Store, VerifyReport};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Verify only this LPA (its chain and row; the global log is not checked).
    #[arg(long, conflicts_with = "checkpoint")]
    uid: Option<String>,
    /// A signed checkpoint the log must still extend (repeatable).
    #[arg(long, requires = "public_key")]
    checkpoint: Vec<PathBuf>,
    /// The public key the checkpoints were signed with.
    #[arg(long)]
    public_key: Option<PathBuf>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Also replay every LPA's recorded commands through the interpreter, with the definition it is pinned to
    /// and the rules version each entry names: a transition the definition does not allow to that role at that
    /// time, or that did not produce the recorded state and data, is a problem (exit 1). Entries decided by
    /// rules this build does not have are counted as not replayable, never as tampering.
    #[arg(long)]
    replay: bool,
    /// The workflow definitions to replay with: a directory of TOML files (default: ./workflows if it exists,
    /// else the built-in lpa.toml). Older versions LPAs are pinned to are read from the database; to replay
    /// with definitions kept outside the database, give every version here.
    #[arg(long, requires = "replay", value_name = "DIR")]
    workflows: Option<PathBuf>,
    /// The deployment's zone (as `serve --business-timezone`): entries decided in another zone are unlawful.
    #[command(flatten)]
    business_time: crate::business_time::BusinessTimeArgs,
}

/// Exit 1: the database holds something it should not.
pub(super) const PROBLEMS: u8 = 1;
/// Exit 2: the input cannot be verified at all.
pub(super) const UNUSABLE: u8 = 2;

/// Everything found.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    ok: bool,
    #[serde(flatten)]
    chains: VerifyReport,
    /// Entries in the global log (absent when verifying one LPA).
    log_size: Option<u64>,
    /// History rows without a global index.
    unindexed: Vec<(InstanceId, u64)>,
    /// Problems of the log: gaps, and each checkpoint it no longer extends.
    log: Vec<CheckpointProblem>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckpointProblem {
    /// The checkpoint's size (absent for a gap found without one).
    checkpoint: Option<u64>,
    #[serde(flatten)]
    problem: LogProblem,
}

pub async fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let checkpoints = match trusted_checkpoints(&args) {
        Ok(c) => c,
        Err(e) => return Ok(unusable(&format!("{e:#}"))),
    };
    let store = match Store::open_read_only(args.database.options()).await {
        Ok(store) => store,
        Err(e) => return Ok(unusable(&e)),
    };
    let interpreters = match interpreters(&args, &store).await {
        Ok(i) => i,
        Err(e) => {
            store.shutdown().await;
            return Ok(unusable(&format!("{e:#}")));
        }
    };
    let report = check(
        &store,
        args.uid.as_deref(),
        &checkpoints,
        interpreters.as_ref(),
    )
    .await;
    store.shutdown().await;
    let report = match report {
        Ok(report) => report,
        Err(e) => return Ok(unusable(&e)),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_problems(&report);
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(PROBLEMS)
    })
}

fn trusted_checkpoints(args: &VerifyArgs) -> anyhow::Result<Vec<(Checkpoint, Hash)>> {
    let Some(key) = &args.public_key else {
        return Ok(Vec::new());
    };
    let key = read_public_key(key)?;
    args.checkpoint
        .iter()
        .map(|path| trusted_checkpoint(path, &key))
        .collect()
}

/// The definitions and rules to replay with, when asked to replay.
async fn interpreters(args: &VerifyArgs, store: &Store) -> anyhow::Result<Option<LpaInterpreters>> {
    if !args.replay {
        return Ok(None);
    }
    let sources = workflow_sources(args.workflows.as_deref())?;
    Ok(Some(
        LpaInterpreters::load(&sources, store, args.business_time.zone).await?,
    ))
}

async fn check(
    store: &Store,
    uid: Option<&str>,
    checkpoints: &[(Checkpoint, Hash)],
    replay: Option<&LpaInterpreters>,
) -> Result<Report, lpaflow_store::Error> {
    let uid = uid.map(InstanceId::new);
    let bar = progress_bar("verified {pos} LPAs ({per_sec}) {elapsed}");
    let replay = replay.map(|r| r as &dyn Interpreters);
    let chains = store
        .verify_with(uid.as_ref(), replay, |n| bar.set_position(n))
        .await;
    bar.finish_and_clear();
    let mut report = Report {
        ok: false,
        chains: chains?,
        log_size: None,
        unindexed: Vec::new(),
        log: Vec::new(),
    };
    if uid.is_none() {
        let bar = progress_bar("read {pos} log entries ({per_sec}) {elapsed}");
        let log = store.log(|n| bar.set_position(n)).await;
        bar.finish_and_clear();
        let log = log?;
        report.log_size = Some(log.len() as u64);
        report.unindexed = store.unindexed_history().await?;
        if let (_, Some(gap)) = leaves(&log) {
            report.log.push(CheckpointProblem {
                checkpoint: None,
                problem: gap,
            });
        }
        for (checkpoint, root) in checkpoints {
            report
                .log
                .extend(compare(checkpoint, root, &log).into_iter().map(|problem| {
                    CheckpointProblem {
                        checkpoint: Some(checkpoint.tree_size),
                        problem,
                    }
                }));
        }
    }
    report.ok = report.chains.ok() && report.unindexed.is_empty() && report.log.is_empty();
    Ok(report)
}

/// What the replay found, for the summary line (nothing when not replaying).
fn replay_summary(c: &VerifyReport) -> String {
    if !c.replay {
        return String::new();
    }
    format!(
        "; {} entries replayed through the interpreter, each lawful, {} not replayable by this build \
         (decided before entries named their rules, or by other rules)",
        c.replayed, c.not_replayable
    )
}

/// Reports why nothing could be verified; exit 2.
pub(super) fn unusable(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("lpaflow audit: cannot verify: {e}");
    ExitCode::from(UNUSABLE)
}

/// A spinner on a terminal (indicatif draws nothing when stderr is not one).
fn progress_bar(template: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template(&format!("{{spinner}} {template}")) {
        bar.set_style(style);
    }
    bar
}

fn print_problems(report: &Report) {
    for b in &report.chains.broken {
        let kind: &'static str = b.kind.into();
        eprintln!("BROKEN {} at entry {} [{kind}]: {}", b.uid, b.seq, b.reason);
    }
    for o in &report.chains.orphans {
        eprintln!(
            "ORPHAN {} entries 1..{}: history without an instance row (the LPA was deleted)",
            o.uid, o.last_seq
        );
    }
    for (uid, seq) in &report.unindexed {
        eprintln!(
            "UNINDEXED {uid} entry {seq}: a history row outside the global log (written outside lpaflow)"
        );
    }
    for p in &report.log {
        let against = p
            .checkpoint
            .map(|n| format!(" (checkpoint of {n} entries)"))
            .unwrap_or_default();
        let at = match (&p.problem.uid, p.problem.seq, p.problem.index) {
            (Some(uid), Some(seq), _) => format!("{uid} at entry {seq}"),
            (_, _, Some(index)) => format!("global index {index}"),
            _ => "the log".to_owned(),
        };
        eprintln!("CHANGED {at}{against}: {}", p.problem.reason);
    }
    let c = &report.chains;
    if report.ok {
        println!(
            "ok: {} LPAs, {} history entries, every hash chain intact; {} LPAs' current state bound to their \
             chain, {} with history written before the state was bound{}{}",
            c.checked,
            c.entries,
            c.state_bound,
            c.history_only,
            report
                .log_size
                .map(|n| format!("; the global log of {n} entries extends every checkpoint given"))
                .unwrap_or_default(),
            replay_summary(c)
        );
    } else {
        eprintln!(
            "not intact: {} broken chains, {} orphaned histories, {} unindexed entries, {} log problems",
            c.broken.len(),
            c.orphans.len(),
            report.unindexed.len(),
            report.log.len()
        );
    }
}
