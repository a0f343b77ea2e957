//! `lpaflow audit verify`: the auditor's check. It opens the database read-only (never creating or migrating
//! one) and answers with its exit code: 0 when everything verifies, 1 listing every problem with the LPA uid and
//! entry, 2 when the input is unusable (no such database, an unmigrated one, a checkpoint or key that cannot be
//! read).

use crate::database::DatabaseArgs;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use lpaflow_core::InstanceId;
use lpaflow_store::{Store, VerifyReport};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Verify only this LPA.
    #[arg(long)]
    uid: Option<String>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Exit 1: the database holds something it should not.
pub(super) const PROBLEMS: u8 = 1;
/// Exit 2: the input cannot be verified at all.
pub(super) const UNUSABLE: u8 = 2;

pub async fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let store = match Store::open_read_only(args.database.options()).await {
        Ok(store) => store,
        Err(e) => return Ok(unusable(&e)),
    };
    let uid = args.uid.as_deref().map(InstanceId::new);
    let bar = progress_bar()?;
    let report = store.verify(uid.as_ref(), |n| bar.set_position(n)).await;
    bar.finish_and_clear();
    store.shutdown().await;
    let report = match report {
        Ok(report) => report,
        Err(e) => return Ok(unusable(&e)),
    };
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["ok"] = report.ok().into();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_problems(&report);
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(PROBLEMS)
    })
}

/// Reports why nothing could be verified; exit 2.
pub(super) fn unusable(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("lpaflow audit: cannot verify: {e}");
    ExitCode::from(UNUSABLE)
}

fn progress_bar() -> anyhow::Result<ProgressBar> {
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{spinner} verified {pos} LPAs ({per_sec}) {elapsed}",
    )?);
    Ok(bar)
}

fn print_problems(report: &VerifyReport) {
    for b in &report.broken {
        let kind: &'static str = b.kind.into();
        eprintln!("BROKEN {} at entry {} [{kind}]: {}", b.uid, b.seq, b.reason);
    }
    for o in &report.orphans {
        eprintln!(
            "ORPHAN {} entries 1..{}: history without an instance row (the LPA was deleted)",
            o.uid, o.last_seq
        );
    }
    if report.ok() {
        println!(
            "ok: {} LPAs, {} history entries, every hash chain intact; {} LPAs' current state bound to their \
             chain, {} with history written before the state was bound",
            report.checked, report.entries, report.state_bound, report.history_only
        );
    } else {
        eprintln!(
            "{} of {} LPAs have a broken history chain; {} LPAs' history has no instance",
            report.broken.len(),
            report.checked,
            report.orphans.len()
        );
    }
}
