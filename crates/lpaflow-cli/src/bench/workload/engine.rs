//! One workload worker: an lpaflow engine running the workload workflow with the stub step handler, and
//! waiters told when an instance is registered (through the engine's commit observer, so clients never poll).

use super::phases::PostTimes;
use super::stub::{Stub, StubHandler};
use super::workflow::{WorkloadRules, definition_text};
use lpaflow_core::SystemClock;
use lpaflow_engine::delivery::{BreakerOptions, RetryPolicy};
use lpaflow_engine::{
    Definitions, DeliveryOptions, Engine, EngineOptions, LoadedDefinition, StepHandler,
    TimerOptions,
};
use lpaflow_store::{Store, StoreOptions, StoredInstance};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::oneshot;

/// Registrations seen by this process.
#[derive(Default)]
pub struct Registrations {
    waiters: Mutex<HashMap<String, oneshot::Sender<Instant>>>,
    /// The stub POSTs' instants, noted when the run cuts its latencies into phases.
    pub posts: Option<Arc<PostTimes>>,
    /// Instances registered so far.
    pub count: AtomicU64,
    first: Mutex<Option<Instant>>,
    last: Mutex<Option<Instant>>,
}

impl Registrations {
    /// Registrations whose stub POSTs are timed (the throughput run's phases).
    pub fn timing_posts() -> Self {
        Self {
            posts: Some(Arc::default()),
            ..Self::default()
        }
    }

    /// A receiver told when `uid` is registered.
    pub fn wait_for(&self, uid: &str) -> oneshot::Receiver<Instant> {
        let (tx, rx) = oneshot::channel();
        self.waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(uid.to_owned(), tx);
        rx
    }

    fn observe(&self, stored: &StoredInstance) {
        if stored.instance.state != "registered" {
            return;
        }
        let now = Instant::now();
        self.count.fetch_add(1, Ordering::Relaxed);
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(now);
        self.first
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(now);
        if let Some(tx) = self
            .waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(stored.instance.id.as_str())
        {
            let _ = tx.send(now);
        }
    }

    /// When the first registration was seen.
    pub fn first(&self) -> Option<Instant> {
        *self.first.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When the last registration was seen.
    pub fn last(&self) -> Option<Instant> {
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Engine settings of a worker.
pub struct WorkerConfig {
    pub database_url: String,
    pub stub_url: String,
    pub concurrency: usize,
    pub wait_s: u64,
    pub node_id: String,
}

/// Opens the store and starts a worker engine on it; returns both (the checks read the store).
pub async fn start(
    config: &WorkerConfig,
    registrations: Arc<Registrations>,
) -> anyhow::Result<(Engine, Store)> {
    let store = Store::open(StoreOptions {
        max_connections: 8,
        ..StoreOptions::new(&config.database_url)
    })
    .await?;
    let kept = store.clone();
    let text = definition_text(config.wait_s);
    let def = lpaflow_spec::load(
        "workload.toml",
        &text,
        &lpaflow_core::Rules::catalog(&WorkloadRules),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let definitions = Definitions::new(
        vec![LoadedDefinition {
            def: Arc::new(def),
            source: text,
        }],
        vec![],
    )?;
    let mut options = EngineOptions::new(
        store,
        definitions,
        Arc::new(WorkloadRules),
        Arc::new(SystemClock),
    );
    options.node_id = config.node_id.clone();
    options.timers = TimerOptions {
        enabled: config.wait_s > 0,
        poll_ms: 100,
        ..TimerOptions::default()
    };
    let stub = Stub::new(&config.stub_url)?;
    let posts = registrations.posts.clone();
    options.delivery = Some(DeliveryOptions {
        handlers: vec![(
            "stub.".to_owned(),
            Arc::new(StubHandler { stub, posts }) as Arc<dyn StepHandler>,
        )],
        concurrency: config.concurrency,
        lease_ms: 30_000,
        poll_ms: 100,
        retry: RetryPolicy {
            base_ms: 100,
            cap_ms: 2_000,
            attempts_max: 1_000,
            jitter: false,
        },
        breaker: BreakerOptions {
            failure_threshold: 3,
            open_ms: 100,
            open_max_ms: 1_000,
        },
        seed: 1,
    });
    options.on_commit = Some(Arc::new(move |stored: &StoredInstance, _: &[_]| {
        registrations.observe(stored)
    }));
    Ok((Engine::start(options).await?, kept))
}
