//! `lpaflow bench store`: durable transitions per second of the store alone (compare-and-set of the instance
//! row, one hash-chained history row, one outbox row, about 1 KB of instance data per instance), with 1, 8,
//! 64 and 256 concurrent submitters, and the p50/p99 commit latency. The disk's raw fsync rate is measured
//! in the same run as the reference: an unbatched durable commit cannot beat it.

use crate::bench::db;
use crate::bench::report::Report;
use chrono::Utc;
use clap::Args;
use hdrhistogram::Histogram;
use lpaflow_core::{
    Actor, Change, Decision, Delivery, Effects, EventName, HistoryEntry, Instance, InstanceId,
    RoleName, StateName, StepEffect, StepName, WorkflowRef,
};
use lpaflow_store::{Base, Commit, Store, StoreOptions, WriterOptions};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Concurrent submitters, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,8,64,256")]
    submitters: Vec<usize>,
    /// Seconds of each measurement.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Instances each submitter moves in turn.
    #[arg(long, default_value_t = 4)]
    instances_per_submitter: usize,
    /// Largest group-commit batch.
    #[arg(long, default_value_t = 256)]
    max_batch: usize,
    /// Transactions the writer runs at once (0: the backend's own, PostgreSQL 2; SQLite always 1).
    #[arg(long, default_value_t = 0)]
    writer_lanes: usize,
    /// The store (default: a fresh SQLite file per measurement in a temporary directory).
    #[arg(long)]
    database_url: Option<String>,
    /// Also write a JSON record here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Append `uid revision` to this file after every acknowledged commit (crash tests: everything listed must
    /// survive a SIGKILL).
    #[arg(long)]
    ack_log: Option<PathBuf>,
}

/// Where acknowledged commits are logged, shared by the submitters.
type AckLog = Option<std::sync::Arc<std::sync::Mutex<std::fs::File>>>;

/// One instance as a submitter tracks it between its commits (no read per transition).
struct Tracked {
    instance: Instance,
    base: Base,
}

fn workflow() -> WorkflowRef {
    WorkflowRef {
        name: "bench".into(),
        version: 1,
    }
}

fn decision(from: &Instance, n: u64) -> Decision {
    let now = lpaflow_core::decision::truncate_to_micros(Utc::now());
    let mut instance = from.clone();
    instance.revision += 1;
    instance.updated_at = now;
    let old = instance.data["counter"].clone();
    instance.data.set("counter", json!(n));
    let entry = HistoryEntry {
        seq: instance.revision,
        at: now,
        actor: Actor::new("bench"),
        role: RoleName::new("service"),
        event: EventName::new("touch"),
        from: Some(instance.state.clone()),
        to: instance.state.clone(),
        payload: json!({"counter": n}),
        changes: vec![Change {
            pointer: "/counter".into(),
            old: Some(old),
            new: Some(json!(n)),
        }],
        workflow: workflow(),
        rules: None,
        binding: None,
    };
    let step = StepEffect {
        name: StepName::new("bench.noop"),
        delivery: Delivery::Background,
        then: None,
        payload: json!({"counter": n}),
    };
    Decision {
        instance,
        reading: lpaflow_core::Reading::new(),
        entry,
        effects: Effects {
            steps: vec![step],
            ..Effects::default()
        },
    }
}

async fn create(store: &Store, uid: InstanceId) -> anyhow::Result<Tracked> {
    let now = lpaflow_core::decision::truncate_to_micros(Utc::now());
    let unborn = Instance::unborn(uid.clone(), workflow(), StateName::new("open"), now);
    let mut first = decision(&unborn, 0);
    first.instance.data = json!({"counter": 0, "body": "x".repeat(1000)}).into();
    first.entry.from = None;
    first.entry.event = EventName::new("create");
    first.effects.steps.clear();
    let committed = store
        .commit(Commit {
            uid,
            base: None,
            workflow_hash: "bench".into(),
            decisions: vec![first].into(),
            labels: None,
            findable: None,
            consume_timer: None,
            complete_step: None,
            idempotency: None,
            enqueued_at: None,
            lease_first_step: None,
        })
        .await?;
    Ok(Tracked {
        base: Base::of(&committed.stored),
        instance: std::sync::Arc::unwrap_or_clone(committed.stored).instance,
    })
}

/// Commits transitions on `mine` round robin until `deadline`; returns the latencies in microseconds.
async fn submitter(
    store: Store,
    mut mine: Vec<Tracked>,
    deadline: Instant,
    acks: AckLog,
) -> anyhow::Result<Histogram<u64>> {
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut n = 0u64;
    while Instant::now() < deadline {
        for t in mine.iter_mut() {
            n += 1;
            let d = decision(&t.instance, n);
            let commit = Commit {
                uid: t.instance.id.clone(),
                base: Some(t.base.clone()),
                workflow_hash: "bench".into(),
                decisions: vec![d].into(),
                labels: None,
                findable: None,
                consume_timer: None,
                complete_step: None,
                idempotency: None,
                enqueued_at: None,
                lease_first_step: None,
            };
            let started = Instant::now();
            let committed = store.commit(commit).await?;
            hist.record(started.elapsed().as_micros().max(1) as u64)?;
            if let Some(log) = &acks {
                let mut f = log.lock().unwrap_or_else(|p| p.into_inner());
                writeln!(
                    f,
                    "{} {}",
                    committed.stored.instance.id, committed.stored.instance.revision
                )?;
            }
            t.base = Base::of(&committed.stored);
            t.instance = std::sync::Arc::unwrap_or_clone(committed.stored).instance;
        }
    }
    Ok(hist)
}

/// fdatasync'd 4 KiB writes per second in `dir` for `seconds`.
fn fsync_rate(dir: &std::path::Path, seconds: f64) -> anyhow::Result<f64> {
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path)?;
    let block = vec![7u8; 4096];
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        f.write_all(&block)?;
        f.sync_data()?;
        n += 1;
    }
    let _ = std::fs::remove_file(&path);
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

pub async fn run(args: StoreArgs) -> anyhow::Result<ExitCode> {
    let mut report = Report::default();
    let acks: AckLog = match &args.ack_log {
        Some(p) => Some(std::sync::Arc::new(std::sync::Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)?,
        ))),
        None => None,
    };
    let probe = tempfile::tempdir()?;
    report.metric("disk.fsyncs_per_s", fsync_rate(probe.path(), 2.0)?);
    for &submitters in &args.submitters {
        anyhow::ensure!(submitters > 0, "--submitters must be positive");
        let database =
            db::fresh(args.database_url.as_deref(), &format!("store_{submitters}")).await?;
        let options = StoreOptions {
            max_connections: 8,
            writer: WriterOptions {
                max_batch: args.max_batch,
                lanes: args.writer_lanes,
                ..WriterOptions::default()
            },
            ..StoreOptions::new(&database.url)
        };
        let store = Store::open(options).await?;
        let backend = store.backend().to_string();
        let mut tracked: Vec<Vec<Tracked>> = Vec::new();
        for s in 0..submitters {
            let created =
                futures::future::try_join_all((0..args.instances_per_submitter).map(|k| {
                    let store = store.clone();
                    async move { create(&store, InstanceId::new(format!("B-{s:04}-{k:04}"))).await }
                }))
                .await?;
            tracked.push(created);
        }
        let started = Instant::now();
        let deadline = started + Duration::from_secs_f64(args.seconds);
        let tasks: Vec<_> = tracked
            .into_iter()
            .map(|mine| tokio::spawn(submitter(store.clone(), mine, deadline, acks.clone())))
            .collect();
        let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
        for t in tasks {
            all.add(t.await??)?;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let (transactions, commits, busy_us) = store.writer_counts();
        let prefix = format!("store.{backend}.submitters_{submitters}");
        report.metric(
            &format!("{prefix}.transitions_per_s"),
            all.len() as f64 / elapsed,
        );
        report.metric(
            &format!("{prefix}.commit_p50_ms"),
            all.value_at_quantile(0.50) as f64 / 1000.0,
        );
        report.metric(
            &format!("{prefix}.commit_p99_ms"),
            all.value_at_quantile(0.99) as f64 / 1000.0,
        );
        report.metric(
            &format!("{prefix}.commits_per_transaction"),
            commits as f64 / transactions.max(1) as f64,
        );
        report.metric(
            &format!("{prefix}.transactions_overlapped_frac"),
            store.writer_overlapped() as f64 / transactions.max(1) as f64,
        );
        report.metric(
            &format!("{prefix}.transaction_ms"),
            busy_us as f64 / transactions.max(1) as f64 / 1000.0,
        );
        let verify = store.verify(None, |_| {}).await?;
        anyhow::ensure!(
            verify.ok(),
            "the hash chains do not verify after the run: {:?}",
            verify.broken.first()
        );
        store.shutdown().await;
    }
    if let Some(path) = &args.json {
        let config = json!({"benchmark": "store", "submitters": args.submitters, "seconds": args.seconds, "instancesPerSubmitter": args.instances_per_submitter, "maxBatch": args.max_batch,
            "store": args.database_url.as_deref().map_or("sqlite (temporary file, WAL, synchronous=FULL)".to_owned(), lpaflow_store::url::mask_password)});
        report.write_json(path, config)?;
    }
    Ok(ExitCode::SUCCESS)
}
