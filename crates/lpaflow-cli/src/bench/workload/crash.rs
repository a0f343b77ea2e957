//! Scenario (d): crash. A worker process submits `N_CRASH` instances and works through them; once all are
//! submitted and `KILL_FRAC` are registered it gets SIGKILL; 0.5 s later a new worker with the same identity
//! starts (it recovers the dead worker's leases at once and submits nothing). Every instance must end
//! registered exactly once; duplicate OPG POSTs are reported (the stub protocol has no read-back).

use super::check;
use super::stub::Stub;
use super::{Settings, progress};
use crate::bench::db;
use crate::bench::report::{Report, peak_rss_mb};
use lpaflow_core::InstanceId;
use lpaflow_store::{ListQuery, StepStatus, Store, StoreOptions};
use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

const NODE: &str = "bench-crash-worker";

fn spawn_worker(s: &Settings, url: &str, submit: Option<u64>) -> anyhow::Result<Child> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.args([
        "bench",
        "worker",
        "--database-url",
        url,
        "--opg-url",
        &s.stub_url,
        "--node-id",
        NODE,
    ])
    .args([
        "--concurrency",
        &s.concurrency.to_string(),
        "--wait-s",
        &s.wait_s.to_string(),
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .kill_on_drop(true);
    if let Some(n) = submit {
        cmd.args(["--submit", &n.to_string()]);
    }
    Ok(cmd.spawn()?)
}

async fn counts(store: &Store) -> anyhow::Result<(u64, u64)> {
    let by_state = store.count_by_state().await?;
    let total = by_state.iter().map(|(_, _, n)| n).sum();
    let registered = by_state
        .iter()
        .filter(|(_, st, _)| st == "registered")
        .map(|(_, _, n)| n)
        .sum();
    Ok((total, registered))
}

/// The instances whose OPG step was in flight (leased) when the worker died.
async fn in_flight(store: &Store) -> anyhow::Result<BTreeSet<InstanceId>> {
    let mut found = BTreeSet::new();
    let mut q = ListQuery {
        state: Some("syncing".into()),
        limit: 500,
        ..ListQuery::default()
    };
    loop {
        let page = store.list(&q).await?;
        for item in &page.items {
            if store
                .steps_of(&item.uid)
                .await?
                .iter()
                .any(|s| s.status == StepStatus::InFlight)
            {
                found.insert(item.uid.clone());
            }
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return Ok(found),
        }
    }
}

/// Runs the scenario; `Ok(false)` when the correctness check failed.
pub async fn run(s: &Settings, stub: &Stub, report: &mut Report) -> anyhow::Result<bool> {
    stub.reset().await?;
    let database = db::fresh(s.database_url.as_deref(), "crash").await?;
    let n = s.n_crash;
    // Migrate first, so the first worker and this observer agree on the schema.
    let store = Store::open(StoreOptions::new(&database.url)).await?;
    let mut first = spawn_worker(s, &database.url, Some(n))?;
    let pid1 = first.id();
    let bar = progress(n, "crash");
    let kill_at = (s.kill_frac * n as f64).ceil() as u64;
    let mut rss1 = 0.0f64;
    loop {
        if let Some(status) = first.try_wait()? {
            anyhow::bail!("the first worker exited before the kill ({status})");
        }
        rss1 = rss1.max(pid1.and_then(|p| peak_rss_mb(Some(p))).unwrap_or(0.0));
        let (total, registered) = counts(&store).await?;
        bar.set_position(registered);
        if total >= n && registered >= kill_at {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.start_kill()?;
    let killed = Instant::now();
    let _ = first.wait().await;
    let (_, at_kill) = counts(&store).await?;
    let inflight = in_flight(&store).await?;
    tokio::time::sleep_until((killed + Duration::from_millis(500)).into()).await;
    let restarted_wall = chrono::Utc::now();
    let restarted = Instant::now();
    let mut second = spawn_worker(s, &database.url, None)?;
    let pid2 = second.id();
    let mut rss2 = 0.0f64;
    let mut inflight_done: Option<Instant> = None;
    let deadline = restarted + Duration::from_secs(600);
    loop {
        anyhow::ensure!(
            Instant::now() < deadline,
            "crash: not every instance was registered within 10 minutes of the restart"
        );
        rss2 = rss2.max(pid2.and_then(|p| peak_rss_mb(Some(p))).unwrap_or(0.0));
        if inflight_done.is_none() && all_registered(&store, &inflight).await? {
            inflight_done = Some(Instant::now());
        }
        let (_, registered) = counts(&store).await?;
        bar.set_position(registered);
        if registered >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bar.finish_and_clear();
    let checked = check::check(&store, stub, n).await?;
    second.start_kill()?;
    let _ = second.wait().await;
    store.shutdown().await;
    let last = checked.last_registered_at.unwrap_or(restarted_wall);
    let restart_to_all = (last - restarted_wall).num_microseconds().unwrap_or(0) as f64 / 1e6;
    report.metric("crash.registered_at_kill", at_kill);
    report.metric("crash.in_flight_at_kill", inflight.len() as u64);
    report.metric("crash.restart_to_all_registered_s", restart_to_all.max(0.0));
    report.metric(
        "crash.restart_to_inflight_registered_s",
        inflight_done.map_or(0.0, |t| {
            t.saturating_duration_since(restarted).as_secs_f64()
        }),
    );
    report.metric(
        "crash.kill_to_all_registered_s",
        restart_to_all.max(0.0) + restarted.duration_since(killed).as_secs_f64(),
    );
    report.metric("crash.peak_rss_mb_first_worker", rss1);
    report.metric("crash.peak_rss_mb_second_worker", rss2);
    report.metric("crash.not_registered", checked.not_registered);
    report.metric("crash.dup_registrations", checked.duplicate_registrations);
    report.metric("crash.dup_opg_posts", checked.dup_opg_posts);
    Ok(checked.correct())
}

async fn all_registered(store: &Store, uids: &BTreeSet<InstanceId>) -> anyhow::Result<bool> {
    for uid in uids {
        if store
            .get(uid)
            .await?
            .is_none_or(|s| s.instance.state != "registered")
        {
            return Ok(false);
        }
    }
    Ok(true)
}
