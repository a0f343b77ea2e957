//! lpaflow-engine: the runtime that drives workflow instances.
//!
//! An [`Engine`] is built from [`EngineOptions`] (a store, the workflow definitions, the domain's
//! [`Rules`], a [`Clock`], and optionally step handlers) and handed out as a cheap-to-clone handle. Commands go
//! through the pure interpreter and the store's group-commit writer; a timer loop fires due timers; step
//! workers deliver outbox rows to external systems behind a circuit breaker. Nothing here knows about LPAs:
//! guards, actions, step payloads and labels come from `Rules`, external systems from [`StepHandler`]s.

mod cache;
mod commands;
mod committing;
pub mod definitions;
pub mod delivery;
mod error;
pub mod liveness;
mod reindex;
mod stripes;
mod timers;

pub use commands::Outcome;
pub use definitions::{Definitions, LoadedDefinition};
pub use delivery::{
    Attempt, Claim, ClaimLost, ClaimedStep, DeliveryOptions, DeliveryStatus, Report, StepHandler,
};
pub use error::Error;
pub use liveness::{Liveness, LivenessOptions};
pub use timers::TimerOptions;

use lpaflow_core::history::StoredEntry;
use lpaflow_core::{Clock, InstanceId, Rules, WorkflowDef};
use lpaflow_store::{StepRow, Store, StoredInstance, TimerRow};
use std::sync::Arc;
use tokio::sync::{Mutex, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Everything an engine needs.
#[derive(Clone)]
pub struct EngineOptions {
    /// The store (already migrated).
    pub store: Store,
    /// Workflow definitions: current versions and those instances are pinned to.
    pub definitions: Definitions,
    /// The domain rules behind guard, action and step names.
    pub rules: Arc<dyn Rules>,
    /// The business clock.
    pub clock: Arc<dyn Clock>,
    /// This process's identity as a lease holder (unique per process).
    pub node_id: String,
    /// The timer loop.
    pub timers: TimerOptions,
    /// Step delivery; `None` for a process that does not deliver steps.
    pub delivery: Option<DeliveryOptions>,
    /// How many times a command without an expected revision is re-decided after a conflict.
    pub max_conflict_retries: u32,
    /// How many instances this process keeps as it last committed them, so that a command does not read them
    /// back from the store (0: none; see `cache.rs` for why this is safe across processes).
    pub instance_cache: usize,
    /// Called with every committed instance and the decisions its commit recorded, after the commit is durable,
    /// also when the command's caller went away meanwhile (`committing.rs`), e.g. to wake waiters.
    pub on_commit: Option<CommitObserver>,
    /// Heartbeats and the takeover of dead processes; `None` for a process that neither beats nor takes over
    /// (a short-lived tool reading the store).
    pub liveness: Option<LivenessOptions>,
}

/// Instances kept by default: the LPAs in flight of a busy process (an LPA's data is a few KiB).
pub const DEFAULT_INSTANCE_CACHE: usize = 1024;

/// A function told about every committed instance and the decisions committed with it (the command's, then
/// its automatic follow-ups).
pub type CommitObserver = Arc<dyn Fn(&StoredInstance, &[lpaflow_core::Decision]) + Send + Sync>;

impl EngineOptions {
    /// Options with defaults: timers on, no delivery, a random node id.
    pub fn new(
        store: Store,
        definitions: Definitions,
        rules: Arc<dyn Rules>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            definitions,
            rules,
            clock,
            node_id: format!("engine-{}", uuid::Uuid::new_v4().simple()),
            timers: TimerOptions::default(),
            delivery: None,
            max_conflict_retries: 16,
            instance_cache: DEFAULT_INSTANCE_CACHE,
            on_commit: None,
            liveness: Some(LivenessOptions::default()),
        }
    }
}

/// The engine handle. Cheap to clone; every clone drives the same engine.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) definitions: Definitions,
    pub(crate) rules: Arc<dyn Rules>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) node_id: String,
    pub(crate) timer_options: TimerOptions,
    pub(crate) max_conflict_retries: u32,
    pub(crate) on_commit: Option<CommitObserver>,
    pub(crate) steps_enqueued: Notify,
    pub(crate) timers_changed: Notify,
    pub(crate) delivery: Option<Arc<delivery::DeliveryState>>,
    pub(crate) stripes: stripes::Stripes,
    pub(crate) cache: cache::InstanceCache,
    cancel: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    liveness: Option<Arc<Liveness>>,
    heartbeat_cancel: CancellationToken,
    heartbeat_task: Mutex<Option<JoinHandle<()>>>,
}

impl Engine {
    /// Checks the definitions against the store (every pinned version must be loaded with the same text),
    /// records them, and starts the timer loop and step workers.
    pub async fn start(options: EngineOptions) -> Result<Engine, Error> {
        let now = options.clock.now();
        for def in options.definitions.all() {
            let source = options
                .definitions
                .source(def.reference())
                .unwrap_or_default();
            options
                .store
                .save_definition(def.name(), def.version(), def.hash(), source, now)
                .await?;
        }
        options
            .definitions
            .check_pins(&options.store.pinned_definitions().await?)?;
        for def in options.definitions.all() {
            check_catalog(def, options.rules.as_ref())?;
        }
        // A process restarted with the same identity recovers what its predecessor held: those steps may have
        // been sent (the store marks them ambiguous) and those timers fire again once.
        // Delivery runs on the wall clock, not on the business clock (a development clock moved forward).
        let recovered = options
            .store
            .release_step_leases(&options.node_id, delivery::wall_now())
            .await?;
        options.store.release_timer_leases(&options.node_id).await?;
        // Made before registering, so its first "fresh" moment is no later than the registered heartbeat.
        let own_liveness = options
            .liveness
            .as_ref()
            .map(|l| Arc::new(Liveness::for_node(&options.node_id, l)));
        if let Some(l) = &own_liveness {
            liveness::check_clock_against_database(&options.store, &options.node_id, l).await?;
            options
                .store
                .register_node(&l.identity(), delivery::wall_now())
                .await?;
        }
        if recovered > 0 {
            tracing::info!(node = %options.node_id, steps = recovered, "recovered steps leased by this node before a restart");
        }
        let delivery = options
            .delivery
            .clone()
            .map(|d| Arc::new(delivery::DeliveryState::new(d)));
        let engine = Engine {
            inner: Arc::new(Inner {
                store: options.store,
                definitions: options.definitions,
                rules: options.rules,
                clock: options.clock,
                node_id: options.node_id,
                timer_options: options.timers,
                max_conflict_retries: options.max_conflict_retries,
                on_commit: options.on_commit,
                steps_enqueued: Notify::new(),
                timers_changed: Notify::new(),
                delivery: delivery.clone(),
                stripes: stripes::Stripes::new(),
                cache: cache::InstanceCache::new(options.instance_cache),
                cancel: CancellationToken::new(),
                tasks: Mutex::new(Vec::new()),
                liveness: own_liveness,
                heartbeat_cancel: CancellationToken::new(),
                heartbeat_task: Mutex::new(None),
            }),
        };
        let mut tasks = Vec::new();
        if let Some(l) = options.liveness {
            // Beats until the leases are given back at shutdown, after the other loops stopped: a drain that
            // takes longer than the bound must not be taken over while its writes are in flight.
            *engine.inner.heartbeat_task.lock().await = Some(tokio::spawn(liveness::run(
                engine.clone(),
                l,
                engine.inner.heartbeat_cancel.clone(),
            )));
        }
        if engine.inner.timer_options.enabled {
            tasks.push(tokio::spawn(timers::run(
                engine.clone(),
                engine.inner.cancel.clone(),
            )));
        }
        if let Some(state) = delivery {
            tasks.push(tokio::spawn(delivery::run(
                engine.clone(),
                state,
                engine.inner.cancel.clone(),
            )));
        }
        *engine.inner.tasks.lock().await = tasks;
        tracing::info!(node = %engine.inner.node_id, store = %engine.inner.store.url(), "engine started");
        Ok(engine)
    }

    /// Stops the loops (deliveries in flight finish and record their outcome), releases this process's leases
    /// and shuts the store down after its queued commits.
    pub async fn shutdown(&self) {
        self.inner.cancel.cancel();
        let tasks = std::mem::take(&mut *self.inner.tasks.lock().await);
        for t in tasks {
            let _ = t.await;
        }
        let now = delivery::wall_now();
        let steps = self
            .inner
            .store
            .release_step_leases(&self.inner.node_id, now)
            .await;
        if let Err(e) = &steps {
            tracing::warn!(error = %e, "releasing step leases failed; another process will take this one over");
        }
        let timers = self
            .inner
            .store
            .release_timer_leases(&self.inner.node_id)
            .await;
        if let Err(e) = &timers {
            tracing::warn!(error = %e, "releasing timer leases failed; another process will take this one over");
        }
        self.inner.heartbeat_cancel.cancel();
        if let Some(t) = self.inner.heartbeat_task.lock().await.take() {
            let _ = t.await;
        }
        // Only once nothing is left: a row left behind is how a survivor finds leases this process could not
        // give back.
        if self.inner.liveness.is_some()
            && steps.is_ok()
            && timers.is_ok()
            && let Err(e) = self.inner.store.deregister_node(&self.inner.node_id).await
        {
            tracing::warn!(error = %e, "deregistering failed; another process will take this one over");
        }
        self.inner.store.shutdown().await;
        tracing::info!(node = %self.inner.node_id, "engine stopped");
    }

    /// One instance.
    pub async fn get(&self, uid: &InstanceId) -> Result<Option<StoredInstance>, Error> {
        Ok(self.inner.store.get(uid).await?)
    }

    /// History entries of one instance after `after_seq`.
    pub async fn history(
        &self,
        uid: &InstanceId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, Error> {
        Ok(self.inner.store.history(uid, after_seq, limit).await?)
    }

    /// Outbox steps of one instance.
    pub async fn steps(&self, uid: &InstanceId) -> Result<Vec<StepRow>, Error> {
        Ok(self.inner.store.steps_of(uid).await?)
    }

    /// Timers of one instance.
    pub async fn timers(&self, uid: &InstanceId) -> Result<Vec<TimerRow>, Error> {
        Ok(self.inner.store.timers_of(uid).await?)
    }

    /// The definition an instance is pinned to.
    pub fn definition_for(&self, stored: &StoredInstance) -> Result<Arc<WorkflowDef>, Error> {
        self.definition_of(stored)
    }

    /// Every loaded definition.
    pub fn definitions(&self) -> &Definitions {
        &self.inner.definitions
    }

    /// The domain rules.
    pub fn rules(&self) -> &Arc<dyn Rules> {
        &self.inner.rules
    }

    /// The business clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// This process's lease-holder id.
    pub fn node_id(&self) -> &str {
        &self.inner.node_id
    }

    /// How many times this process's delivery loop has asked the store for steps to claim (0 when it
    /// delivers nothing): what benchmarks and tests count to see that a step handed over with its commit, or
    /// a delivery that unblocked nothing, costs no query.
    pub fn delivery_claim_rounds(&self) -> u64 {
        self.inner.delivery.as_ref().map_or(0, |d| {
            d.claim_rounds.load(std::sync::atomic::Ordering::Relaxed)
        })
    }

    /// What delivery knows about the external system (disabled when this process delivers nothing).
    pub fn delivery_status(&self) -> DeliveryStatus {
        match &self.inner.delivery {
            Some(d) => d.status(),
            None => DeliveryStatus {
                enabled: false,
                breaker: delivery::BreakerState::Closed,
                breaker_since_seconds: 0.0,
                last_unavailable: None,
                outages: Vec::new(),
                delivered_last_hour: delivery::LastHour::default(),
                maintenance: None,
            },
        }
    }

    /// Wakes the timer loop (e.g. after a development clock moved forward).
    pub fn wake_timers(&self) {
        self.inner.timers_changed.notify_one();
    }

    /// Wakes the step workers.
    pub fn wake_delivery(&self) {
        self.inner.steps_enqueued.notify_one();
    }

    /// A maintenance window was planned or cancelled (in the store, by this process): until the delivery loop
    /// has read the windows again, which it does at once, no command hands its step over, so a window planned
    /// to start now stops deliveries now (the loop otherwise reads the windows once a second).
    pub fn maintenance_changed(&self) {
        if let Some(state) = &self.inner.delivery {
            state.note_windows_changed();
        }
        self.wake_delivery();
    }

    /// This process's liveness (`None` when it does not beat).
    pub fn liveness(&self) -> Option<&Arc<Liveness>> {
        self.inner.liveness.as_ref()
    }
}

/// Every name a definition uses must be implemented by the rules the engine runs with.
fn check_catalog(def: &WorkflowDef, rules: &dyn Rules) -> Result<(), Error> {
    let catalog = rules.catalog();
    let mut missing = Vec::new();
    for t in def.transitions() {
        missing.extend(
            t.guards
                .iter()
                .filter(|g| !catalog.guards.contains(*g))
                .map(|g| format!("guard {g}")),
        );
        missing.extend(
            t.action
                .iter()
                .filter(|a| !catalog.actions.contains(*a))
                .map(|a| format!("action {a}")),
        );
        missing.extend(
            t.steps
                .iter()
                .filter(|s| !catalog.steps.contains(&s.name))
                .map(|s| format!("step {}", s.name)),
        );
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Definitions(format!(
            "{} names what the rules do not implement: {}",
            def.reference(),
            missing.join(", ")
        )))
    }
}
