//! `lpaflow migrate`: create or update the schema (the server also does this on start).

use crate::database::DatabaseArgs;
use clap::Args;
use lpaflow_store::Store;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// PostgreSQL: after migrating (as the role that owns the tables), grant this role what `serve` needs and,
    /// on history, only SELECT and INSERT; serve with it (docs/audit.md, "Database roles").
    #[arg(long)]
    serving_role: Option<String>,
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let store = Store::connect(args.database.options()).await?;
    store.migrate().await?;
    if let Some(role) = &args.serving_role {
        store.grant_serving_role(role).await?;
        println!("granted {role} what serve needs; on history only SELECT and INSERT");
    }
    println!(
        "{}: schema is up to date ({})",
        store.url(),
        store.backend()
    );
    store.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
