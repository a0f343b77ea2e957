//! Step delivery: workers claim outbox rows (leases, fencing), hand each to the step handler registered for
//! its name, and record the outcome durably. Order per instance comes from the store (only an instance's
//! oldest open step is claimable). A circuit breaker stops sending while the external system is unavailable
//! and planned maintenance windows suspend delivery in advance; in both cases steps wait as `suspended`
//! without burning attempts, and resume by themselves.
//!
//! Handlers know the external system (the OPG client is one); this module knows none.

mod breaker;
mod claimed;
mod handoff;
mod hourly;
mod outages;
mod retry;
mod worker;

pub use breaker::{Breaker, BreakerOptions, BreakerState};
pub use claimed::{Claim, ClaimLost, ClaimedStep};
pub(crate) use handoff::Reservation;
pub use hourly::{LastHour, MinuteCounts};
pub use outages::{Outage, OutageLog};
pub use retry::{Backoff, RetryPolicy};
pub(crate) use worker::wall_now;
pub(crate) use worker::{DeliveryState, run};

use async_trait::async_trait;
use lpaflow_core::EventName;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// An event the engine fires (as `system`) on the step's instance to record what a delivery found, e.g. a
/// read-back mismatch or a refusal, so that a person sees it on the instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The event.
    pub event: EventName,
    /// Its payload.
    pub payload: Value,
}

/// The outcome of one delivery attempt, classified by the handler where the cause is known.
#[derive(Clone, Debug, PartialEq)]
pub enum Attempt {
    /// The external system confirmed the step; `report` records something worth a look (it is committed in the
    /// same transaction as the step's completion).
    Done {
        /// Kept on the outbox row.
        result: Value,
        /// Optional event to record on the instance.
        report: Option<Report>,
    },
    /// Try again later. `ambiguous`: the attempt may have taken effect (the next one must check first).
    /// `unavailable`: the system is down or throttling (feeds the breaker).
    Retry {
        /// Why.
        error: Value,
        /// The system's `Retry-After`.
        retry_after: Option<Duration>,
        /// The effect is unknown.
        ambiguous: bool,
        /// The system is unavailable.
        unavailable: bool,
    },
    /// Not attempted: the handler chose to wait (a pace the external system needs, such as a gap between two
    /// writes to one record). The step keeps its attempts, its ambiguity and its last error, and becomes due
    /// again after `retry_after`; the circuit breaker is not touched.
    Deferred {
        /// How long to wait.
        retry_after: Duration,
    },
    /// Refused for good (never retried); `report` records it on the instance.
    Failed {
        /// Why.
        error: Value,
        /// Optional event to record on the instance.
        report: Option<Report>,
    },
}

/// Delivers steps whose names start with a prefix (e.g. `opg.`).
#[async_trait]
pub trait StepHandler: Send + Sync {
    /// Delivers one claimed step. `step.ambiguous` is true when an earlier attempt may have taken effect.
    /// Right before an effect it cannot take back, the handler checks `step.claim.still_held()`; when it does
    /// not hold, it sends nothing and returns [`Attempt::Deferred`].
    async fn deliver(&self, step: &ClaimedStep) -> Attempt;

    /// The report to record when the engine gives the step up after its last attempt (`error` says why): the
    /// handler's own words for its domain (the engine composes none). `None` records nothing on the instance.
    fn gave_up(&self, step: &ClaimedStep, error: &Value) -> Option<Report> {
        let _ = (step, error);
        None
    }
}

/// Step delivery settings.
#[derive(Clone)]
pub struct DeliveryOptions {
    /// Handlers by step-name prefix (the longest matching prefix wins).
    pub handlers: Vec<(String, Arc<dyn StepHandler>)>,
    /// Most steps in flight at once in this process.
    pub concurrency: usize,
    /// How long a claim is held.
    pub lease_ms: u64,
    /// How often to look for due steps when nothing wakes the worker.
    pub poll_ms: u64,
    /// Backoff between attempts.
    pub retry: RetryPolicy,
    /// The circuit breaker.
    pub breaker: BreakerOptions,
    /// Seed of the jitter.
    pub seed: u64,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            handlers: Vec::new(),
            concurrency: 32,
            lease_ms: 30_000,
            poll_ms: 500,
            retry: RetryPolicy::default(),
            breaker: BreakerOptions::default(),
            seed: 0x1AF10,
        }
    }
}

/// What the delivery side says about the external system, for readiness and the console.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryStatus {
    /// Whether this process delivers steps at all.
    pub enabled: bool,
    /// The breaker.
    pub breaker: BreakerState,
    /// Seconds since the breaker last changed state.
    pub breaker_since_seconds: f64,
    /// The handler's error of the last "unavailable" outcome since the system last answered.
    pub last_unavailable: Option<serde_json::Value>,
    /// The system's recent outages as this process saw them, newest first (the one going on first).
    pub outages: Vec<Outage>,
    /// Steps this process delivered in the last hour, per minute.
    pub delivered_last_hour: LastHour,
    /// The maintenance window in force, if any.
    pub maintenance: Option<lpaflow_store::MaintenanceWindow>,
}
