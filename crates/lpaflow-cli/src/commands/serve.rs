//! `lpaflow serve`: the product. Until the store, engine and API exist, it says so and exits non-zero.

use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ServeArgs {}

pub fn run(_args: ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "the server is not built yet: this checkout has the workflow core only (try `lpaflow workflow validate workflows/lpa.toml`)"
    )
}
