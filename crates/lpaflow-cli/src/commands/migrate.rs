//! `lpaflow migrate`: create or update the schema (the server also does this on start).

use crate::database::DatabaseArgs;
use clap::Args;
use lpaflow_store::Store;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    database: DatabaseArgs,
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let store = Store::connect(args.database.options()).await?;
    store.migrate().await?;
    println!(
        "{}: schema is up to date ({})",
        store.url(),
        store.backend()
    );
    store.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
