//! `lpaflow bench lpa --crash-at F`: the real LPA lifecycle in an engine process that is killed (SIGKILL) while
//! it delivers, once a share `F` of the OPG writes has landed, and a new process started on the same database
//! under the same node id. The new process releases the dead one's leases at start (its steps become
//! ambiguous: read back before anything is sent again), moves its business clock past the waiting period and
//! delivers the rest. Reports how long the restarted process takes to register every LPA and empty the outbox,
//! and checks that OPG saw every write exactly once (no duplicate, none lost) and every chain verifies.
//!
//! With `--takeover`, a second process under its own node id runs from the start, delivering beside the first;
//! nothing is restarted: the survivor takes the dead process over once its heartbeat is older than the bound
//! (issue 19), and the time is measured from the kill.

use super::db;
use super::lpa::LpaArgs;
use super::lpa_scaleout::{Worker, spawn_worker};
use super::report::Report;
use super::workload::check::registered_count;
use crate::app::opg_jwt_secret;
use lpaflow_opg::SimulatorConfig;
use lpaflow_store::{Store, StoreOptions};
use serde_json::json;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// OPG writes of one benchmark LPA: the create (identity checks in it), the certificate provider's and the
/// attorney's signatures, the waiting period and the registration.
pub const WRITES_PER_LPA: u64 = 5;

/// How long one phase may take before the run is called failed.
const PHASE_LIMIT: Duration = Duration::from_secs(900);

const NODE_ID: &str = "lpa-crash";
const SURVIVOR_ID: &str = "lpa-survivor";

pub async fn run(args: &LpaArgs, crash_at: f64) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        (0.0..1.0).contains(&crash_at),
        "--crash-at must be at least 0 and below 1 (the share of OPG writes landed when the engine is killed)"
    );
    let mut report = Report::default();
    let dir = tempfile::tempdir()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sim = lpaflow_opg::simulator::start(
        SimulatorConfig::new(dir.path().join("sim.db"), opg_jwt_secret()),
        listener,
    )
    .await
    .map_err(|e| anyhow::anyhow!("simulator: {e}"))?;
    if args.opg_latency_ms > 0 {
        sim.patch_faults(&lpaflow_opg::FaultsPatch {
            latency_ms: Some(args.opg_latency_ms),
            ..lpaflow_opg::FaultsPatch::default()
        })
        .map_err(|e| anyhow::anyhow!("simulator faults: {e}"))?;
    }
    let database = db::fresh(args.database_url.as_deref(), "lpa_crash").await?;
    // Opened (and migrated) before the worker starts, so it never races to create the schema.
    let store = Store::open(StoreOptions::new(&database.url)).await?;
    let n = args.n as u64;
    let expected = n * WRITES_PER_LPA;
    let kill_at = (expected as f64 * crash_at).ceil() as u64;

    let first = Worker {
        node_id: NODE_ID.to_owned(),
        share: 0,
        shares: 1,
        n: args.n,
    };
    let mut child = spawn_worker(args, &database.url, &sim, &first)?;
    let survivor = Worker {
        node_id: SURVIVOR_ID.to_owned(),
        share: 0,
        shares: 1,
        n: 0,
    };
    let mut survivor = if args.takeover {
        Some(spawn_worker(args, &database.url, &sim, &survivor)?)
    } else {
        None
    };
    let started = Instant::now();
    loop {
        let driven = in_waiting_period_or_later(&store).await?;
        let landed = sim.stats().writes_applied;
        if driven >= n && landed >= kill_at {
            break;
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the engine process exited before it was killed ({status})");
        }
        anyhow::ensure!(
            started.elapsed() < PHASE_LIMIT,
            "{driven} of {n} LPAs driven and {landed} of {kill_at} writes landed after {PHASE_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.start_kill()?;
    child.wait().await?;
    let killed = Instant::now();
    let landed_at_kill = sim.stats().writes_applied;
    let open_at_kill = store.backlog().await?.open();

    // Restart: same node id, nothing to drive: it releases the dead process's leases and delivers the rest.
    // Takeover: the survivor already runs.
    let mut child = match survivor.take() {
        Some(survivor) => survivor,
        None => {
            let second = Worker {
                node_id: NODE_ID.to_owned(),
                share: 0,
                shares: 1,
                n: 0,
            };
            spawn_worker(args, &database.url, &sim, &second)?
        }
    };
    let restarted = Instant::now();
    let mut taken_over_after: Option<f64> = None;
    let registered = loop {
        if args.takeover && taken_over_after.is_none() && !holds_leases(&store, NODE_ID).await? {
            taken_over_after = Some(killed.elapsed().as_secs_f64());
        }
        let registered = registered_count(&store).await?;
        if registered >= n && store.backlog().await?.open() == 0 {
            break registered;
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the restarted engine process exited early ({status})");
        }
        anyhow::ensure!(
            restarted.elapsed() < PHASE_LIMIT,
            "{registered} of {n} LPAs registered {PHASE_LIMIT:?} after the restart"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let restart_to_done = restarted.elapsed().as_secs_f64();
    let kill_to_done = killed.elapsed().as_secs_f64();
    let _ = child.start_kill();
    let _ = child.wait().await;

    let stats = sim.stats();
    let verify = store.verify(None, |_| {}).await?;
    report.metric("lpa.crash.writes_landed_at_kill", landed_at_kill);
    report.metric("lpa.crash.steps_open_at_kill", open_at_kill);
    if args.takeover {
        report.metric(
            "lpa.crash.kill_to_taken_over_s",
            taken_over_after.unwrap_or(kill_to_done),
        );
        report.metric("lpa.crash.kill_to_registered_s", kill_to_done);
    } else {
        report.metric("lpa.crash.restart_to_registered_s", restart_to_done);
    }
    report.metric("lpa.crash.opg_writes_applied", stats.writes_applied);
    report.metric("lpa.crash.opg_writes_expected", expected);
    report.metric("lpa.crash.opg_duplicates", stats.duplicates);
    report.metric("lpa.crash.not_registered", n - registered.min(n));
    report.metric("lpa.crash.chains_verified", verify.checked);
    if let Some(path) = &args.json {
        report.write_json(path, json!({"benchmark": "lpa-crash", "n": args.n, "crashAt": crash_at,
            "concurrency": args.concurrency, "opgConcurrency": args.opg_concurrency,
            "takeover": args.takeover, "opgLatencyMs": args.opg_latency_ms,
            "store": args.database_url.as_deref().map_or("sqlite (temporary file)".to_owned(), lpaflow_store::url::mask_password)}))?;
    }
    store.shutdown().await;
    let _ = sim.shutdown().await;
    let exact = stats.duplicates == 0 && stats.writes_applied == expected;
    if !exact {
        eprintln!(
            "OPG saw {} writes for {expected} steps, {} of them duplicates",
            stats.writes_applied, stats.duplicates
        );
    }
    Ok(if exact && verify.ok() && registered >= n {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// True while `node` is registered: its row goes when a live process takes it over (with its leases).
async fn holds_leases(store: &Store, node: &str) -> anyhow::Result<bool> {
    Ok(store.nodes().await?.iter().any(|n| n.node_id == node))
}

/// LPAs the driver has taken to the waiting period (or further): the driving is over for them.
async fn in_waiting_period_or_later(store: &Store) -> anyhow::Result<u64> {
    Ok(store
        .count_by_state()
        .await?
        .iter()
        .filter(|(_, state, _)| state == "statutory_waiting_period" || state == "registered")
        .map(|(_, _, n)| n)
        .sum())
}
