//! What OPG does during `bench lpa`: answer normally, go down for a while (`--outage-s`), or misbehave
//! (`--chaos`, the faults of `tests/opg_chaos.rs`). The simulator checks the AWS signature of every request,
//! as the store's API Gateway does, so the benchmark measures the product's whole OPG path.

use lpaflow_opg::client::AwsSigning;
use lpaflow_opg::simulator::AwsVerification;
use lpaflow_opg::{FaultsPatch, OpgClientConfig, SimulatorConfig, SimulatorHandle};
use std::path::Path;
use std::time::{Duration, Instant};

/// The faults of `--chaos`: a 5xx for 15 % of requests, 5 % held past the client's timeout, 5 % of writes
/// applied before the answer fails; seeded, so runs repeat.
const CHAOS: &str =
    r#"{"errorRate": 0.15, "timeoutRate": 0.05, "commitThenFailRate": 0.05, "seed": 20260601}"#;

/// How long a request the timeout fault holds is kept, and how long the client waits for an answer, under
/// `--chaos` (short, so that a timeout costs a second, not the default ten).
const CHAOS_HOLD_MS: u64 = 1_500;
const CHAOS_CLIENT_TIMEOUT_MS: u64 = 1_000;

/// What OPG does during the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Plan {
    /// Answers every request.
    Normal,
    /// Down (503 with `Retry-After`) for this long from the start.
    Outage(Duration),
    /// The faults of [`CHAOS`].
    Chaos,
}

impl Plan {
    /// The plan the flags ask for (they exclude each other).
    pub(super) fn of(outage_s: u64, chaos: bool) -> anyhow::Result<Self> {
        match (outage_s, chaos) {
            (0, false) => Ok(Plan::Normal),
            (s, false) => Ok(Plan::Outage(Duration::from_secs(s))),
            (0, true) => Ok(Plan::Chaos),
            (_, true) => anyhow::bail!("--outage-s and --chaos cannot be combined"),
        }
    }

    /// The name written in the JSON record.
    pub(super) fn name(self) -> &'static str {
        match self {
            Plan::Normal => "normal",
            Plan::Outage(_) => "outage",
            Plan::Chaos => "chaos",
        }
    }
}

/// A key pair both sides share for this run.
fn key_pair() -> AwsSigning {
    AwsSigning {
        region: crate::aws::DEFAULT_REGION.to_owned(),
        access_key_id: "LPAFLOWBENCH".to_owned(),
        secret_access_key: format!("{}", uuid::Uuid::new_v4().simple()),
        session_token: None,
    }
}

/// The simulator and client settings for `plan`: signed requests, and for chaos short timeouts.
pub(super) fn configs(
    plan: Plan,
    dir: &Path,
    secret: &str,
) -> (SimulatorConfig, impl FnOnce(&str) -> OpgClientConfig) {
    let signing = key_pair();
    let mut sim = SimulatorConfig::new(dir.join("sim.db"), secret);
    sim.aws = Some(AwsVerification {
        access_key_id: signing.access_key_id.clone(),
        secret_access_key: signing.secret_access_key.clone(),
        region: signing.region.clone(),
    });
    sim.outage_retry_after_s = 1;
    if plan == Plan::Chaos {
        sim.timeout_hold_ms = CHAOS_HOLD_MS;
    }
    let secret = secret.to_owned();
    let client = move |url: &str| {
        let mut c = OpgClientConfig::new(url, &secret);
        c.aws = Some(signing);
        if plan == Plan::Chaos {
            c.timeout_ms = CHAOS_CLIENT_TIMEOUT_MS;
            c.connect_timeout_ms = CHAOS_CLIENT_TIMEOUT_MS;
        }
        c
    };
    (sim, client)
}

/// Every request the simulator answered so far.
pub(super) fn requests(sim: &SimulatorHandle) -> u64 {
    sim.stats().requests.values().sum()
}

/// An outage in progress: when it ends, and the requests that reached OPG meanwhile.
pub(super) struct Outage {
    task: tokio::task::JoinHandle<(Instant, u64)>,
}

impl Outage {
    /// When OPG came back and how many requests reached it while it was down.
    pub(super) async fn ended(self) -> anyhow::Result<(Instant, u64)> {
        Ok(self.task.await?)
    }
}

/// Sets the plan's faults on `sim`; for an outage, returns the task that ends it.
pub(super) fn start(plan: Plan, sim: &SimulatorHandle) -> anyhow::Result<Option<Outage>> {
    let patch: FaultsPatch = match plan {
        Plan::Normal => return Ok(None),
        Plan::Chaos => serde_json::from_str(CHAOS)?,
        Plan::Outage(_) => serde_json::from_str(r#"{"outage": true}"#)?,
    };
    sim.patch_faults(&patch)
        .map_err(|e| anyhow::anyhow!("simulator faults: {e}"))?;
    let Plan::Outage(length) = plan else {
        return Ok(None);
    };
    let state = sim.state().clone();
    let before = requests(sim);
    let task = tokio::spawn(async move {
        tokio::time::sleep(length).await;
        let during = state.stats().requests.values().sum::<u64>() - before;
        let back: FaultsPatch = serde_json::from_str(r#"{"outage": false}"#).unwrap_or_default();
        if let Err(e) = state.patch_faults(&back) {
            tracing::error!(?e, "could not end the outage");
        }
        (Instant::now(), during)
    });
    Ok(Some(Outage { task }))
}

/// Lifts every fault (for the final checks).
pub(super) fn calm(sim: &SimulatorHandle) -> anyhow::Result<()> {
    let patch: FaultsPatch = serde_json::from_str(
        r#"{"errorRate": 0, "timeoutRate": 0, "commitThenFailRate": 0, "outage": false}"#,
    )?;
    sim.patch_faults(&patch)
        .map_err(|e| anyhow::anyhow!("simulator faults: {e}"))?;
    Ok(())
}
