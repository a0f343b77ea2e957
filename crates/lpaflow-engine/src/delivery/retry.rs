//! When to try a step again: exponential backoff with full jitter (AWS's "Exponential Backoff And Jitter"),
//! capped, never sooner than the external system's `Retry-After`.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::Mutex;
use std::time::Duration;

/// Retry settings.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// The first backoff ceiling.
    pub base_ms: u64,
    /// The largest backoff ceiling.
    pub cap_ms: u64,
    /// Attempts before a step that keeps failing (not refused, just failing) is parked as failed.
    pub attempts_max: u32,
    /// Full jitter (the default); without it the delay is exactly the ceiling (a fixed schedule such as the
    /// benchmark workload's 0.1 s, 0.2 s, 0.4 s, ... 2 s).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_ms: 100,
            cap_ms: 60_000,
            attempts_max: 50,
            jitter: true,
        }
    }
}

/// Draws jittered delays from a seeded generator (reproducible in tests).
#[derive(Debug)]
pub struct Backoff {
    policy: RetryPolicy,
    rng: Mutex<SmallRng>,
}

impl Backoff {
    /// A backoff drawing from `seed`.
    pub fn new(policy: RetryPolicy, seed: u64) -> Self {
        Self {
            policy,
            rng: Mutex::new(SmallRng::seed_from_u64(seed)),
        }
    }

    /// The delay before attempt number `attempts + 1`: uniform in `[0, min(cap, base * 2^attempts)]`, and at
    /// least `retry_after`.
    pub fn delay(&self, attempts: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = self
            .policy
            .base_ms
            .saturating_mul(1u64 << attempts.min(30))
            .min(self.policy.cap_ms);
        let jittered = if self.policy.jitter {
            self.rng
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .random_range(0..=ceiling)
        } else {
            ceiling
        };
        Duration::from_millis(jittered).max(retry_after.unwrap_or_default())
    }

    /// True when a step with `attempts` attempts made should be given up.
    pub fn exhausted(&self, attempts: u32) -> bool {
        attempts >= self.policy.attempts_max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_under_the_growing_cap_and_honour_retry_after() {
        let b = Backoff::new(
            RetryPolicy {
                base_ms: 100,
                cap_ms: 1000,
                attempts_max: 5,
                jitter: true,
            },
            7,
        );
        for attempts in 0..20 {
            let ceiling = (100u64 << attempts.min(30)).min(1000);
            for _ in 0..50 {
                assert!(b.delay(attempts, None) <= Duration::from_millis(ceiling));
            }
        }
        assert!(b.delay(0, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
        assert!(b.exhausted(5) && !b.exhausted(4));
    }

    #[test]
    fn without_jitter_the_schedule_is_fixed() {
        let b = Backoff::new(
            RetryPolicy {
                base_ms: 100,
                cap_ms: 2000,
                attempts_max: 1000,
                jitter: false,
            },
            1,
        );
        let ms: Vec<u128> = (0..7).map(|i| b.delay(i, None).as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1600, 2000, 2000]);
    }

    #[test]
    fn the_same_seed_gives_the_same_delays() {
        let a = Backoff::new(RetryPolicy::default(), 42);
        let b = Backoff::new(RetryPolicy::default(), 42);
        let da: Vec<Duration> = (0..10).map(|i| a.delay(i, None)).collect();
        let db: Vec<Duration> = (0..10).map(|i| b.delay(i, None)).collect();
        assert_eq!(da, db);
    }
}
