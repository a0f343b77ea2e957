//! `lpaflow reconcile [--uid UID] [--repair]`: compares what lpaflow holds with what OPG holds for every LPA
//! (or one), reports each difference, and with `--repair` reopens the failed steps that are safe to retry and
//! raises a finding for everything a person must decide (`lpaflow_opg::reconcile` says which is which).
//! Progress on stderr, the report on stdout (text, or `--json`); exit 1 while drift remains.

use crate::app::{LpaEngine, opg_jwt_secret};
use crate::aws::OpgAwsArgs;
use crate::database::DatabaseArgs;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use lpaflow_app::ServiceSettings;
use lpaflow_core::{InstanceId, SystemClock};
use lpaflow_opg::reconcile::{self, Drift, LpaReport, Outcome, Repair, Report};
use lpaflow_opg::{OpgClient, OpgClientConfig};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Where OPG is, for commands that talk to it.
#[derive(Clone, Debug, Args)]
pub struct OpgArgs {
    /// The OPG API, e.g. http://127.0.0.1:8089 (`lpaflow opg-sim` prints its URL).
    #[arg(long, env = "LPAFLOW_OPG_URL")]
    pub opg_url: String,
    /// Timeout of one OPG request, in milliseconds.
    #[arg(long, env = "LPAFLOW_OPG_TIMEOUT_MS", default_value_t = 10_000)]
    pub opg_timeout_ms: u64,
    #[command(flatten)]
    pub aws: OpgAwsArgs,
}

impl OpgArgs {
    /// The client settings (JWT secret from `LPAFLOW_OPG_JWT_SECRET`, AWS signing from `--opg-aws-*`).
    pub fn client_config(&self) -> anyhow::Result<OpgClientConfig> {
        let mut config = OpgClientConfig::new(&self.opg_url, opg_jwt_secret());
        config.timeout_ms = self.opg_timeout_ms;
        config.connect_timeout_ms = self.opg_timeout_ms.min(config.connect_timeout_ms);
        config.aws = self.aws.signing()?;
        Ok(config)
    }
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    business_time: crate::business_time::BusinessTimeArgs,
    /// Directory of workflow definitions (*.toml). Without it, `./workflows` when it exists, else the built-in
    /// `lpa.toml` (as `serve`).
    #[arg(long, env = "LPAFLOW_WORKFLOWS")]
    workflows: Option<PathBuf>,
    #[command(flatten)]
    opg: OpgArgs,
    /// Only this LPA.
    #[arg(long)]
    uid: Option<String>,
    /// Reopen failed steps that are safe to retry; raise a finding for what a person must decide.
    #[arg(long)]
    repair: bool,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: ReconcileArgs) -> anyhow::Result<ExitCode> {
    let uid = match args.uid.as_deref().map(str::trim) {
        Some(u) if !lpaflow_opg::uid::is_valid_uid(u) => {
            anyhow::bail!("--uid `{u}` is not an LPA uid (M-XXXX-XXXX-XXXX)")
        }
        other => other.map(InstanceId::new),
    };
    let config = args.opg.client_config()?;
    let client = OpgClient::new(&config).map_err(|e| anyhow::anyhow!("--opg-url: {e}"))?;
    let store = args.database.open().await?;
    let lpas = LpaEngine {
        workflows: crate::app::workflow_sources(args.workflows.as_deref())?,
        clock: Arc::new(SystemClock),
        node_id: Some(format!("reconcile-{}", uuid::Uuid::new_v4().simple())),
        opg: None,
        timers: false,
        zone: args.business_time.zone,
    }
    .start_service(store, ServiceSettings::default(), |_| {})
    .await?;
    let mut options = reconcile::Options::new(config.subject.clone());
    options.uid = uid;
    options.repair = args.repair;
    let result = async {
        let total = lpas.reconcile_count(&options).await?;
        let bar = ProgressBar::new(total).with_style(ProgressStyle::with_template(
            "{bar:40} {pos}/{len} LPAs compared with OPG ({per_sec}, {eta} left)",
        )?);
        let report = lpas
            .reconcile(&client, &options, &mut |n| bar.set_position(n))
            .await;
        bar.finish_and_clear();
        anyhow::Ok(report?)
    }
    .await;
    lpas.shutdown().await;
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report, args.repair);
    }
    let remaining = report.lpas.iter().filter(|l| l.drift_remains).count();
    if remaining > 0 {
        eprintln!("drift remains in {remaining} LPAs");
        Ok(ExitCode::FAILURE)
    } else {
        Ok(ExitCode::SUCCESS)
    }
}

fn repair_text(d: &Drift, repairing: bool) -> String {
    match &d.repair {
        Repair::RetryStep { step_id } if repairing => format!("step {step_id} reopened"),
        Repair::RetryStep { step_id } => {
            format!("safe to repair: reopen step {step_id} (it is read back before it is sent)")
        }
        Repair::Flagged { finding } => format!("a person decides (finding {finding} is open)"),
        Repair::Person if repairing => "a person must decide (finding raised)".to_owned(),
        Repair::Person => "a person must decide".to_owned(),
    }
}

fn print_lpa(l: &LpaReport, repairing: bool) {
    match l.outcome {
        Outcome::Unverified => println!(
            "UNVERIFIED {} ({}): {}",
            l.uid,
            l.state,
            l.reason.as_deref().unwrap_or("unknown")
        ),
        Outcome::Drift => {
            for d in &l.differences {
                let at = d
                    .pointer
                    .as_deref()
                    .map(|p| format!(" {p}"))
                    .unwrap_or_default();
                let step = d
                    .step
                    .as_ref()
                    .map(|s| format!(" [step {} {} {}]", s.id, s.name, s.status))
                    .unwrap_or_default();
                let changed = d
                    .last_change
                    .as_ref()
                    .map(|c| {
                        format!(
                            " (last changed in OPG by {} with {} at {})",
                            c.author, c.kind, c.applied
                        )
                    })
                    .unwrap_or_default();
                println!(
                    "DRIFT {} ({}) {}{at}{step}: {}{changed}; {}",
                    l.uid,
                    l.state,
                    d.kind,
                    d.detail,
                    repair_text(d, repairing)
                );
            }
            for r in &l.repairs {
                println!("  {}: {r}", l.uid);
            }
        }
    }
}

fn print_text(report: &Report, repairing: bool) {
    for l in &report.lpas {
        print_lpa(l, repairing);
    }
    let s = &report.summary;
    println!(
        "checked {} LPAs: {} in sync, {} in sync with steps in flight, {} not submitted yet, {} with drift, {} unverified",
        s.checked, s.in_sync, s.pending, s.local_only, s.drifted, s.unverified
    );
    if !s.differences.is_empty() {
        let kinds: Vec<String> = s
            .differences
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!("differences: {}", kinds.join(", "));
    }
    if repairing {
        println!(
            "repairs: {} steps reopened, {} findings raised, {} already flagged",
            s.repairs_enqueued, s.findings_raised, s.already_flagged
        );
        if s.repairs_enqueued > 0 {
            println!(
                "run reconcile again once the backlog has drained to confirm the reopened steps"
            );
        }
    }
}
