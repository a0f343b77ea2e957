//! Scenario (c): outage recovery. The stub is offline; the worker durably submits `N_RECOVERY` instances (at
//! most `C` delivering at once, the rest waiting in the outbox); after `OFFLINE_S` the stub comes back and
//! the clock runs until every instance is registered.

use super::clients::submit_all;
use super::engine::{Registrations, WorkerConfig, start};
use super::stub::Stub;
use super::{Settings, check, progress};
use crate::bench::db;
use crate::bench::report::Report;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Runs the scenario; `Ok(false)` when the correctness check failed.
pub async fn run(s: &Settings, stub: &Stub, report: &mut Report) -> anyhow::Result<bool> {
    stub.reset().await?;
    stub.set_online(false).await?;
    let database = db::fresh(s.database_url.as_deref(), "recovery").await?;
    let regs = Arc::new(Registrations::default());
    let config = WorkerConfig {
        database_url: database.url.clone(),
        stub_url: s.stub_url.clone(),
        concurrency: s.concurrency,
        wait_s: s.wait_s,
        node_id: "bench-recovery".into(),
    };
    let (engine, store) = start(&config, regs.clone()).await?;
    let submitted_at = Instant::now();
    submit_all(&engine, 'M', s.n_recovery, s.concurrency).await?;
    report.metric("recovery.submit_s", submitted_at.elapsed().as_secs_f64());
    tokio::time::sleep_until((submitted_at + Duration::from_secs_f64(s.offline_s)).into()).await;
    let during = stub.stats().await?;
    stub.set_online(true).await?;
    let online = Instant::now();
    let bar = progress(s.n_recovery, "recovery");
    let deadline = online + Duration::from_secs(600);
    while regs.count.load(Ordering::Relaxed) < s.n_recovery {
        anyhow::ensure!(
            Instant::now() < deadline,
            "recovery: not every instance was registered within 10 minutes"
        );
        bar.set_position(regs.count.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bar.finish_and_clear();
    let last = regs.last().unwrap_or(online);
    let first = regs.first().unwrap_or(online);
    report.metric(
        "recovery.online_to_all_registered_s",
        last.saturating_duration_since(online).as_secs_f64(),
    );
    report.metric(
        "recovery.online_to_first_registered_s",
        first.saturating_duration_since(online).as_secs_f64(),
    );
    report.metric(
        "recovery.requests_during_outage",
        during["posts_503"].as_u64().unwrap_or(0),
    );
    let after = stub.stats().await?;
    report.metric(
        "recovery.posts_503",
        after["posts_503"].as_u64().unwrap_or(0),
    );
    let checked = check::check(&store, stub, s.n_recovery).await?;
    engine.shutdown().await;
    report.metric("recovery.not_registered", checked.not_registered);
    report.metric(
        "recovery.dup_registrations",
        checked.duplicate_registrations,
    );
    report.metric("recovery.dup_opg_posts", checked.dup_opg_posts);
    Ok(checked.correct() && checked.dup_opg_posts == 0)
}
