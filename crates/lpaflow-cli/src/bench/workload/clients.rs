//! The workload's client loops: `C` loops in the worker, each taking the next instance, starting it and (in
//! the timed runs) waiting for its registration.

use super::engine::Registrations;
use super::phases::Phases;
use crate::bench::payload::{lpa_id, make_payload};
use indicatif::ProgressBar;
use lpaflow_core::{Command, InstanceId};
use lpaflow_engine::Engine;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Starts one instance.
pub async fn start_instance(engine: &Engine, prefix: char, i: u64) -> anyhow::Result<()> {
    let payload = serde_json::to_value(make_payload(prefix, i))?;
    let command = Command::new("create", "bench", "worker").with_payload(payload);
    match engine
        .create("workload", InstanceId::new(lpa_id(prefix, i)), command)
        .await
    {
        Ok(_) | Err(lpaflow_engine::Error::AlreadyExists(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// What a run of client loops measured.
pub struct Run {
    /// Per-instance latency (start call to registration seen), milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Each instance's latency cut into phases, when the stub POSTs were timed.
    pub phases: Vec<Phases>,
    /// First start.
    pub first_start: Instant,
    /// Last completion.
    pub last_done: Instant,
}

/// `concurrency` loops over instances `0..n`, each starting an instance and waiting for its registration.
pub async fn run_waiting(
    engine: &Engine,
    regs: &Arc<Registrations>,
    prefix: char,
    n: u64,
    concurrency: usize,
    bar: &ProgressBar,
) -> anyhow::Result<Run> {
    let next = Arc::new(AtomicU64::new(0));
    let first_start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (engine, regs, next, bar) = (engine.clone(), regs.clone(), next.clone(), bar.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut phases = Vec::new();
            let mut last = Instant::now();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let done = regs.wait_for(&lpa_id(prefix, i));
                let started = Instant::now();
                start_instance(&engine, prefix, i).await?;
                let created = Instant::now();
                let finished = done
                    .await
                    .map_err(|_| anyhow::anyhow!("instance {i} was never registered"))?;
                latencies.push(finished.duration_since(started).as_secs_f64() * 1000.0);
                if let Some(post) = regs.posts.as_ref().and_then(|p| p.take(&lpa_id(prefix, i))) {
                    phases.push(Phases::cut(started, created, post, finished));
                }
                last = last.max(finished);
                bar.inc(1);
            }
            anyhow::Ok((latencies, phases, last))
        }));
    }
    let mut latencies_ms = Vec::with_capacity(n as usize);
    let mut phases = Vec::new();
    let mut last_done = first_start;
    for t in tasks {
        let (l, p, last) = t.await??;
        latencies_ms.extend(l);
        phases.extend(p);
        last_done = last_done.max(last);
    }
    Ok(Run {
        latencies_ms,
        phases,
        first_start,
        last_done,
    })
}

/// `concurrency` loops starting instances `0..n` without waiting (durable submission).
pub async fn submit_all(
    engine: &Engine,
    prefix: char,
    n: u64,
    concurrency: usize,
) -> anyhow::Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (engine, next) = (engine.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return anyhow::Ok(());
                    }
                    start_instance(&engine, prefix, i).await?;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// Like [`submit_all`], for the instances `i < n` with `i % shares == share` only.
pub async fn submit_share(
    engine: &Engine,
    prefix: char,
    n: u64,
    share: u64,
    shares: u64,
    concurrency: usize,
) -> anyhow::Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (engine, next) = (engine.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let i = k * shares + share;
                    if i >= n {
                        return anyhow::Ok(());
                    }
                    start_instance(&engine, prefix, i).await?;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    Ok(())
}
