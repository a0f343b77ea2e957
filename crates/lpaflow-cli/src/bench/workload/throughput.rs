//! Scenario (a, b): throughput and latency. One worker process (this one), `C` client loops, `W` warm-up
//! instances, then `N` timed ones; the stub's own capacity is measured first, in the same run.

use super::clients::run_waiting;
use super::engine::{Registrations, WorkerConfig, start};
use super::phases;
use super::stub::Stub;
use super::{Settings, check, progress};
use crate::bench::db;
use crate::bench::report::{Report, WriterCounts, peak_rss_mb, percentile, reset_peak_rss};
use std::sync::Arc;

/// Runs the scenario; `Ok(false)` when the correctness check failed.
pub async fn run(s: &Settings, stub: &Stub, report: &mut Report) -> anyhow::Result<bool> {
    if s.stub_capacity_s > 0.0 {
        stub.reset().await?;
        let capacity = stub.capacity(64, s.stub_capacity_s).await?;
        report.metric("stub.capacity_posts_per_s", capacity);
        // The probe's 64 client loops are not the worker: its peak memory is measured from here.
        reset_peak_rss();
    }
    stub.reset().await?;
    let database = db::fresh(s.database_url.as_deref(), "throughput").await?;
    let regs = Arc::new(Registrations::timing_posts());
    let config = WorkerConfig {
        database_url: database.url.clone(),
        stub_url: s.stub_url.clone(),
        concurrency: s.concurrency,
        wait_s: s.wait_s,
        node_id: "bench-throughput".into(),
    };
    let (engine, store) = start(&config, regs.clone()).await?;
    if s.warmup > 0 {
        run_waiting(
            &engine,
            &regs,
            'W',
            s.warmup,
            s.concurrency,
            &indicatif::ProgressBar::hidden(),
        )
        .await?;
    }
    let bar = progress(s.n, "throughput");
    let writer = WriterCounts::now(&store);
    let claim_rounds = engine.delivery_claim_rounds();
    let run = run_waiting(&engine, &regs, 'M', s.n, s.concurrency, &bar).await?;
    bar.finish_and_clear();
    let seconds = run
        .last_done
        .duration_since(run.first_start)
        .as_secs_f64()
        .max(1e-9);
    let per_s = s.n as f64 / seconds;
    let mut lat = run.latencies_ms;
    lat.sort_by(f64::total_cmp);
    report.metric("throughput.workflows_per_s", per_s);
    report.metric(
        "throughput.steps_per_s",
        per_s * if s.wait_s > 0 { 6.0 } else { 5.0 },
    );
    report.metric("throughput.logical_steps_per_s", per_s * 6.0);
    report.metric("latency.p50_ms", percentile(&lat, 50.0));
    report.metric("latency.p90_ms", percentile(&lat, 90.0));
    report.metric("latency.p99_ms", percentile(&lat, 99.0));
    report.metric("latency.max_ms", lat.last().copied().unwrap_or_default());
    phases::record(report, "throughput.phase", &run.phases);
    report.metric(
        "throughput.claim_rounds_per_workflow",
        (engine.delivery_claim_rounds() - claim_rounds) as f64 / s.n.max(1) as f64,
    );
    writer.record_since(report, "throughput.writer", &store);
    report.metric(
        "throughput.peak_rss_mb",
        peak_rss_mb(None).unwrap_or_default(),
    );
    if let Some(cap) = report
        .get("stub.capacity_posts_per_s")
        .and_then(serde_json::Value::as_f64)
    {
        report.metric("throughput.ratio_to_stub_capacity", per_s / cap.max(1e-9));
    }
    let checked = check::check(&store, stub, s.n).await?;
    engine.shutdown().await;
    report.metric("throughput.not_registered", checked.not_registered);
    report.metric(
        "throughput.dup_registrations",
        checked.duplicate_registrations,
    );
    report.metric("throughput.dup_opg_posts", checked.dup_opg_posts);
    Ok(checked.correct() && checked.dup_opg_posts == 0)
}
