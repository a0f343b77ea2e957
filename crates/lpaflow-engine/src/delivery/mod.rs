//! Step delivery: workers claim outbox rows (leases, fencing), hand each to the step handler registered for
//! its name, and record the outcome durably. Order per instance comes from the store (only an instance's
//! oldest open step is claimable). A circuit breaker stops sending while the external system is unavailable
//! and planned maintenance windows suspend delivery in advance; in both cases steps wait as `suspended`
//! without burning attempts, and resume by themselves.
//!
//! Handlers know the external system (the OPG client is one); this module knows none.

mod breaker;
mod handoff;
mod retry;
mod worker;

pub use breaker::{Breaker, BreakerOptions, BreakerState};
pub(crate) use handoff::Reservation;
pub use retry::{Backoff, RetryPolicy};
pub(crate) use worker::wall_now;
pub(crate) use worker::{DeliveryState, run};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use lpaflow_core::EventName;
use lpaflow_store::StepRow;
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

/// A claimed step's hold, for a handler to check right before an effect it cannot take back (a write to a
/// system without idempotency keys): the lease must not be about to end, and this process must not have gone
/// so long without a heartbeat that another one may have taken its work over (see [`crate::liveness`]).
#[derive(Clone, Debug)]
pub struct Claim {
    lease_until: Option<DateTime<Utc>>,
    liveness: Option<Arc<crate::Liveness>>,
}

/// Why a claim no longer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClaimLost {
    /// The lease ends too soon for the effect and its record.
    #[error("the step's lease ends too soon to act on it")]
    LeaseEnding,
    /// This process's last heartbeat is too old: another process may have taken its work over.
    #[error("this process has not beaten recently enough to act for its claims")]
    NotLive,
}

/// A lease this close to its end is not acted on. Kept small: an ambiguous step is read twice a write gap
/// (1.1 s) apart before its write, and the whole attempt must fit in one lease (30 s by default; tests use
/// 2 s), or it would be deferred for ever.
const CLAIM_MARGIN: TimeDelta = TimeDelta::milliseconds(250);

impl Claim {
    /// The claim of a step leased until `lease_until` by a process with `liveness`.
    pub fn new(lease_until: Option<DateTime<Utc>>, liveness: Option<Arc<crate::Liveness>>) -> Self {
        Self {
            lease_until,
            liveness,
        }
    }

    /// A claim that always holds (a handler called outside an engine, in tests).
    pub fn unchecked() -> Self {
        Self::new(None, None)
    }

    /// `Ok` while the step may still be acted on.
    pub fn still_held(&self) -> Result<(), ClaimLost> {
        if self
            .lease_until
            .is_some_and(|until| until - CLAIM_MARGIN <= wall_now())
        {
            return Err(ClaimLost::LeaseEnding);
        }
        if self.liveness.as_ref().is_some_and(|l| !l.fresh()) {
            return Err(ClaimLost::NotLive);
        }
        Ok(())
    }
}

/// Delivers steps whose names start with a prefix (e.g. `opg.`).
#[async_trait]
pub trait StepHandler: Send + Sync {
    /// Delivers one claimed step. `step.ambiguous` is true when an earlier attempt may have taken effect.
    /// Right before an effect it cannot take back, the handler checks `claim.still_held()`; when it does not
    /// hold, it sends nothing and returns [`Attempt::Deferred`].
    async fn deliver(&self, step: &StepRow, claim: &Claim) -> Attempt;
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
    /// Event fired (as `system`) when a step fails for good and its handler gave no report; its payload is
    /// `{"step", "kind": "failed", "detail"}`.
    pub failure_event: Option<EventName>,
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
            failure_event: None,
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
    /// The maintenance window in force, if any.
    pub maintenance: Option<lpaflow_store::MaintenanceWindow>,
}

#[cfg(test)]
mod claim_tests {
    use super::*;
    use crate::LivenessOptions;

    #[test]
    fn a_claim_holds_while_the_lease_has_time_and_the_process_beats() {
        let lease = |secs| Some(wall_now() + TimeDelta::seconds(secs));
        assert_eq!(Claim::new(lease(30), None).still_held(), Ok(()));
        assert_eq!(
            Claim::new(lease(0), None).still_held(),
            Err(ClaimLost::LeaseEnding),
            "no time left to record the outcome"
        );
        assert_eq!(Claim::unchecked().still_held(), Ok(()));

        let live = Arc::new(crate::Liveness::new(&LivenessOptions {
            dead_after: Duration::from_millis(600),
            ..LivenessOptions::default()
        }));
        let claim = Claim::new(lease(30), Some(live));
        assert_eq!(claim.still_held(), Ok(()));
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(
            claim.still_held(),
            Err(ClaimLost::NotLive),
            "no heartbeat for longer than the bound less the margin"
        );
    }
}
