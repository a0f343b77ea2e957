//! A circuit breaker for one external system: closed (send), open (send nothing until a deadline), half-open
//! (one probe). An outage therefore costs a handful of probes instead of one failed attempt per step, and
//! attempts are not burned while the system is down. Runs on the monotonic clock: outages are real time even
//! when the engine's business clock is simulated.

use super::Attempt;
use super::outages::{Outage, OutageLog};
use chrono::Utc;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Breaker settings.
#[derive(Clone, Copy, Debug)]
pub struct BreakerOptions {
    /// Consecutive "unavailable" outcomes that open the breaker.
    pub failure_threshold: u32,
    /// First open period; it doubles after each failed probe.
    pub open_ms: u64,
    /// Longest open period.
    pub open_max_ms: u64,
}

impl Default for BreakerOptions {
    fn default() -> Self {
        Self {
            failure_threshold: 3,
            open_ms: 250,
            open_max_ms: 2000,
        }
    }
}

/// What the breaker says now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BreakerState {
    /// Sending.
    Closed,
    /// Not sending until the open period ends.
    Open,
    /// One probe is allowed (or in flight).
    HalfOpen,
}

/// How many steps the breaker lets through now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permit {
    /// Up to the worker's concurrency.
    All,
    /// Exactly one probe.
    Probe,
    /// None until this instant.
    Wait(Instant),
}

/// The breaker.
#[derive(Debug)]
pub struct Breaker {
    options: BreakerOptions,
    state: BreakerState,
    failures: u32,
    open_for: Duration,
    open_until: Instant,
    probe_in_flight: bool,
    changed_at: Instant,
    last_unavailable: Option<serde_json::Value>,
    outages: OutageLog,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(options: BreakerOptions, now: Instant) -> Self {
        Self {
            options,
            state: BreakerState::Closed,
            failures: 0,
            open_for: Duration::from_millis(options.open_ms),
            open_until: now,
            probe_in_flight: false,
            changed_at: now,
            last_unavailable: None,
            outages: OutageLog::default(),
        }
    }

    /// The current state (an open breaker whose period ended reads as half-open).
    pub fn state(&self, now: Instant) -> BreakerState {
        match self.state {
            BreakerState::Open if now >= self.open_until => BreakerState::HalfOpen,
            s => s,
        }
    }

    /// When the state last changed.
    pub fn changed_at(&self) -> Instant {
        self.changed_at
    }

    /// What may be sent now; taking a probe permit marks the probe in flight.
    pub fn permit(&mut self, now: Instant) -> Permit {
        match self.state(now) {
            BreakerState::Closed => Permit::All,
            BreakerState::Open => Permit::Wait(self.open_until),
            BreakerState::HalfOpen if self.probe_in_flight => {
                Permit::Wait(now + Duration::from_millis(50))
            }
            BreakerState::HalfOpen => {
                self.set(BreakerState::HalfOpen, now);
                self.probe_in_flight = true;
                Permit::Probe
            }
        }
    }

    /// The error of the last "unavailable" outcome since the system last answered (what `/readyz` shows an
    /// operator: an outage, throttling, or refused credentials).
    pub fn last_unavailable(&self) -> Option<&serde_json::Value> {
        self.last_unavailable.as_ref()
    }

    /// Remembers why the system was last unavailable (call with [`Breaker::on_unavailable`]).
    pub fn note_unavailable(&mut self, error: serde_json::Value) {
        self.outages.failed_again(error.clone());
        self.last_unavailable = Some(error);
    }

    /// The recent outages, newest first.
    pub fn outages(&self) -> Vec<Outage> {
        self.outages.recent()
    }

    /// The system answered (even with a refusal): it is up.
    pub fn on_success(&mut self, now: Instant) {
        self.failures = 0;
        self.last_unavailable = None;
        self.probe_in_flight = false;
        self.open_for = Duration::from_millis(self.options.open_ms);
        if self.state != BreakerState::Closed {
            self.set(BreakerState::Closed, now);
        }
    }

    /// The system is unavailable; `retry_after` (from a 503 or 429) lengthens the open period.
    pub fn on_unavailable(&mut self, now: Instant, retry_after: Option<Duration>) {
        self.failures += 1;
        let probing = self.state != BreakerState::Closed;
        self.probe_in_flight = false;
        if probing || self.failures >= self.options.failure_threshold {
            if probing {
                // Still down: wait longer before the next probe.
                self.open_for =
                    (self.open_for * 2).min(Duration::from_millis(self.options.open_max_ms));
            }
            let period = retry_after.map_or(self.open_for, |r| r.max(self.open_for));
            self.open_until = now + period;
            self.set(BreakerState::Open, now);
        }
    }

    /// A probe ended without telling anything about availability (e.g. the step failed for its own reasons).
    pub fn on_probe_inconclusive(&mut self) {
        self.probe_in_flight = false;
    }

    /// What a delivery attempt says about the system.
    pub fn on_attempt(&mut self, attempt: &Attempt, now: Instant) {
        match attempt {
            Attempt::Retry {
                unavailable: true,
                retry_after,
                error,
                ..
            } => {
                self.note_unavailable(error.clone());
                self.on_unavailable(now, *retry_after);
            }
            // Nothing was sent: no news about the system (a deferred probe frees the probe permit).
            Attempt::Deferred { .. } => self.on_probe_inconclusive(),
            Attempt::Done { .. } | Attempt::Retry { .. } | Attempt::Failed { .. } => {
                self.on_success(now);
            }
        }
    }

    fn set(&mut self, state: BreakerState, now: Instant) {
        if self.state != state {
            match state {
                BreakerState::Open if self.state == BreakerState::Closed => self
                    .outages
                    .opened(Utc::now(), self.last_unavailable.clone()),
                BreakerState::Closed => self.outages.closed(Utc::now()),
                _ => {}
            }
            self.state = state;
            self.changed_at = now;
            metrics::gauge!("lpaflow_breaker_state").set(match state {
                BreakerState::Closed => 0.0,
                BreakerState::HalfOpen => 1.0,
                BreakerState::Open => 2.0,
            });
            tracing::info!(state = %state, "OPG circuit breaker changed state");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_recorded_from_the_opening_to_the_first_answer_with_the_last_error() {
        let t = Instant::now();
        let mut b = Breaker::new(BreakerOptions::default(), t);
        for status in [503, 502] {
            b.note_unavailable(serde_json::json!({"status": status}));
            b.on_unavailable(t, None);
        }
        assert!(b.outages().is_empty(), "below the threshold: no outage yet");
        b.note_unavailable(serde_json::json!({"status": 504}));
        b.on_unavailable(t, None);
        let outages = b.outages();
        assert_eq!(outages.len(), 1);
        assert_eq!(outages[0].ended_at, None);
        assert_eq!(
            outages[0].last_error,
            Some(serde_json::json!({"status": 504}))
        );
        // Probing and failing again is the same outage.
        let later = t + Duration::from_secs(5);
        assert_eq!(b.permit(later), Permit::Probe);
        b.note_unavailable(serde_json::json!({"status": 500}));
        b.on_unavailable(later, None);
        assert_eq!(b.outages().len(), 1);
        assert_eq!(
            b.outages()[0].last_error,
            Some(serde_json::json!({"status": 500}))
        );
        b.on_success(later + Duration::from_secs(5));
        assert!(
            b.outages()[0].ended_at.is_some(),
            "the first answer ends it"
        );
    }

    #[test]
    fn opens_after_the_threshold_probes_once_and_closes_on_success() {
        let ms = Duration::from_millis;
        let t = Instant::now();
        let mut b = Breaker::new(
            BreakerOptions {
                failure_threshold: 3,
                open_ms: 100,
                open_max_ms: 400,
            },
            t,
        );
        b.on_unavailable(t, None);
        b.on_unavailable(t, None);
        assert_eq!(b.permit(t), Permit::All);
        b.on_unavailable(t, None);
        assert_eq!(b.state(t), BreakerState::Open);
        assert_eq!(b.permit(t), Permit::Wait(t + ms(100)));
        let probe1 = t + ms(100);
        assert_eq!(b.permit(probe1), Permit::Probe);
        assert!(
            matches!(b.permit(probe1), Permit::Wait(_)),
            "one probe at a time"
        );
        b.on_unavailable(probe1, None);
        assert_eq!(
            b.permit(probe1 + ms(150)),
            Permit::Wait(probe1 + ms(200)),
            "the open period doubles"
        );
        let probe2 = probe1 + ms(200);
        assert_eq!(b.permit(probe2), Permit::Probe);
        b.on_unavailable(probe2, None);
        let probe3 = probe2 + ms(400);
        assert_eq!(b.permit(probe2), Permit::Wait(probe3));
        assert_eq!(b.permit(probe3), Permit::Probe);
        b.on_unavailable(probe3, None);
        assert_eq!(b.permit(probe3), Permit::Wait(probe3 + ms(400)), "capped");
        let last = probe3 + ms(400);
        assert_eq!(b.permit(last), Permit::Probe);
        b.on_success(last);
        assert_eq!(b.state(last), BreakerState::Closed);
        assert_eq!(b.permit(last), Permit::All);
    }

    #[test]
    fn a_deferred_probe_frees_the_permit_and_says_nothing_about_the_system() {
        let t = Instant::now();
        let mut b = Breaker::new(
            BreakerOptions {
                failure_threshold: 1,
                open_ms: 100,
                open_max_ms: 400,
            },
            t,
        );
        b.on_unavailable(t, None);
        let probe = t + Duration::from_millis(100);
        assert_eq!(b.permit(probe), Permit::Probe);
        let deferred = Attempt::Deferred {
            retry_after: Duration::from_millis(500),
        };
        b.on_attempt(&deferred, probe);
        assert_eq!(
            b.state(probe),
            BreakerState::HalfOpen,
            "not closed: nothing was sent"
        );
        assert_eq!(b.permit(probe), Permit::Probe, "another probe may go");
        let done = Attempt::Done {
            result: serde_json::Value::Null,
            report: None,
        };
        b.on_attempt(&done, probe);
        assert_eq!(b.state(probe), BreakerState::Closed);
    }

    #[test]
    fn retry_after_lengthens_the_open_period() {
        let t = Instant::now();
        let mut b = Breaker::new(
            BreakerOptions {
                failure_threshold: 1,
                open_ms: 100,
                open_max_ms: 400,
            },
            t,
        );
        b.on_unavailable(t, Some(Duration::from_secs(5)));
        assert_eq!(b.permit(t), Permit::Wait(t + Duration::from_secs(5)));
    }
}
