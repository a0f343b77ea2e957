//! `lpaflow token issue`: print a signed API token alone on stdout (scriptable).

use crate::secrets;
use clap::{Args, Subcommand};
use lpaflow_api::{Authenticator, Role};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint a token signed with the server's secret (LPAFLOW_JWT_SECRET, --jwt-secret-file, or --dev).
    Issue(IssueArgs),
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// service, caseworker, auditor or admin.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The subject: recorded as the actor of every change made with this token.
    #[arg(long)]
    sub: String,
    /// How long the token is valid (s, m, h, d, w); at most 24h.
    #[arg(long, default_value = "1h")]
    ttl: String,
    /// A file holding the secret (instead of LPAFLOW_JWT_SECRET).
    #[arg(long, env = "LPAFLOW_JWT_SECRET_FILE")]
    jwt_secret_file: Option<PathBuf>,
    /// Sign with the development secret of `serve --dev` (.lpaflow-dev-secret in this directory).
    #[arg(long)]
    dev: bool,
}

pub fn run(cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Issue(args) = cmd;
    let ttl = lpaflow_core::duration::parse_duration(&args.ttl)
        .map_err(|e| anyhow::anyhow!("--ttl: the duration {e}"))?;
    let secret = match (
        secrets::configured(args.jwt_secret_file.as_deref())?,
        args.dev,
    ) {
        (Some(s), false) => s,
        (_, true) => secrets::development()?,
        (None, false) => anyhow::bail!(
            "no JWT secret: set LPAFLOW_JWT_SECRET, pass --jwt-secret-file, or --dev for the development server"
        ),
    };
    let auth = Authenticator::new(secret.as_bytes())
        .map_err(|e| anyhow::anyhow!("LPAFLOW_JWT_SECRET / --jwt-secret-file: {e}"))?;
    let token = auth
        .issue(&args.sub, args.role, ttl.num_seconds())
        .map_err(|e| anyhow::anyhow!("--ttl: {e}"))?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

/// A role by name; an unknown one is refused naming every role.
fn parse_role(text: &str) -> Result<Role, String> {
    text.parse::<Role>().map_err(|_| {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.into()).collect();
        format!("{text:?} is not a role; the roles are {}", all.join(", "))
    })
}
