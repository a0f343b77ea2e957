//! `lpaflow opg maintenance add|list|remove`: planned OPG maintenance windows, kept in the store. Every
//! engine process reads them (at least once a second) and stops delivering steps shortly before a window
//! starts; steps wait as `suspended`, burn no attempts, and go out when the window ends.

use crate::database::DatabaseArgs;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use lpaflow_store::MaintenanceWindow;
use std::process::ExitCode;

/// Longest reason accepted.
const REASON_CHARS_MAX: usize = 500;

#[derive(Debug, Subcommand)]
pub enum OpgCommand {
    /// Planned OPG maintenance windows: delivery is suspended inside them.
    #[command(subcommand)]
    Maintenance(MaintenanceCommand),
}

#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// Plan a window.
    Add(AddArgs),
    /// List the windows not yet over.
    List(ListArgs),
    /// Remove a window by id (delivery resumes at once if it was in force).
    Remove(RemoveArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Start, RFC 3339 (e.g. 2026-12-01T22:00:00Z).
    #[arg(long, value_parser = parse_time)]
    from: DateTime<Utc>,
    /// End, RFC 3339; after `--from`.
    #[arg(long, value_parser = parse_time)]
    to: DateTime<Utc>,
    /// Why (shown to caseworkers and in the API's OPG status).
    #[arg(long)]
    reason: String,
    /// Who planned it.
    #[arg(long, default_value = "lpaflow-cli")]
    by: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The window's id (from `list`).
    id: i64,
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{s}` is not an RFC 3339 time ({e}); e.g. 2026-12-01T22:00:00Z"))
}

/// Checks a window before it is stored: every problem, each naming its flag.
fn validate(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let mut problems = Vec::new();
    if from >= to {
        problems.push(format!("--from ({from}) must be before --to ({to})"));
    }
    if to <= now {
        problems.push(format!("--to ({to}) is already past"));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        problems.push("--reason must not be empty".to_owned());
    } else if reason.chars().count() > REASON_CHARS_MAX {
        problems.push(format!(
            "--reason is longer than {REASON_CHARS_MAX} characters"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

pub async fn run(cmd: OpgCommand) -> anyhow::Result<ExitCode> {
    let OpgCommand::Maintenance(cmd) = cmd;
    match cmd {
        MaintenanceCommand::Add(args) => add(args).await,
        MaintenanceCommand::List(args) => list(args).await,
        MaintenanceCommand::Remove(args) => remove(args).await,
    }
}

fn line(w: &MaintenanceWindow) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}",
        w.id,
        w.starts_at.to_rfc3339(),
        w.ends_at.to_rfc3339(),
        w.created_by,
        w.reason
    )
}

async fn add(args: AddArgs) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    validate(args.from, args.to, &args.reason, now).map_err(anyhow::Error::msg)?;
    let store = args.database.open().await?;
    let added = store
        .add_maintenance(args.from, args.to, args.reason.trim(), &args.by, now)
        .await
        .context("cannot store the maintenance window");
    store.shutdown().await;
    let window = added?;
    println!("{}", line(&window));
    Ok(ExitCode::SUCCESS)
}

async fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let store = args.database.open().await?;
    let windows = store.maintenance_windows(Utc::now()).await;
    store.shutdown().await;
    let windows = windows?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&windows)?);
    } else if windows.is_empty() {
        eprintln!("no maintenance window planned");
    } else {
        println!("id\tfrom\tto\tby\treason");
        for w in &windows {
            println!("{}", line(w));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn remove(args: RemoveArgs) -> anyhow::Result<ExitCode> {
    let store = args.database.open().await?;
    let removed = store.remove_maintenance(args.id).await;
    store.shutdown().await;
    if removed? {
        println!("removed maintenance window {}", args.id);
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!("no maintenance window has the id {}", args.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        parse_time(s).expect("valid time")
    }

    #[test]
    fn windows_are_checked_before_they_are_stored() {
        let now = at("2026-06-01T00:00:00Z");
        let (from, to) = (at("2026-06-02T22:00:00Z"), at("2026-06-03T02:00:00Z"));
        assert_eq!(validate(from, to, "patching", now), Ok(()));
        let both = validate(to, from, " ", now).expect_err("refused");
        assert!(
            both.contains("--from") && both.contains("--reason"),
            "{both}"
        );
        let past = validate(
            at("2026-05-01T00:00:00Z"),
            at("2026-05-02T00:00:00Z"),
            "x",
            now,
        )
        .expect_err("refused");
        assert!(past.contains("already past"), "{past}");
        assert!(parse_time("tomorrow").is_err());
        assert_eq!(at("2026-06-02T23:00:00+01:00"), from);
    }
}
