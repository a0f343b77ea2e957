//! Fault injection: the settings (`PUT /__admin/faults`, CLI flags) and the pure decision of what happens to
//! one request, drawn from a seeded RNG so a test or a benchmark run can be repeated exactly.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Deserializer, Serialize};

use lpaflow_lpa::lpa_store::FieldError;

/// Largest `latencyMs` accepted.
pub const LATENCY_MS_MAX: u64 = 60_000;

/// How long a write can stay invisible to a lagging read (`laggingReadRate`): DynamoDB's eventually
/// consistent reads "usually" see a write within a second.
pub const REPLICATION_LAG: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// A planned maintenance window: every API request inside `[from, to)` is a 503 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintenance {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Maintenance {
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        self.from <= now && now < self.to
    }
}

/// `FROM/TO`, both RFC 3339 (the ISO 8601 interval form), for the CLI flag.
impl FromStr for Maintenance {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (from, to) = s.split_once('/').ok_or("expected FROM/TO (RFC 3339)")?;
        let parse = |t: &str| {
            DateTime::parse_from_rfc3339(t.trim())
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| format!("`{t}`: {e}"))
        };
        let window = Self {
            from: parse(from)?,
            to: parse(to)?,
        };
        if window.from >= window.to {
            return Err("maintenance `from` must be before `to`".to_owned());
        }
        Ok(window)
    }
}

/// Every fault setting. `Default` is no fault at all.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Faults {
    /// Every API request is a 503.
    pub outage: bool,
    pub maintenance: Option<Maintenance>,
    /// Share of API requests answered 500, 502 or 504 (not applied).
    pub error_rate: f64,
    /// Share of API requests held past any client timeout, then dropped (not applied).
    pub timeout_rate: f64,
    /// Share of API requests whose connection is dropped without a response (not applied).
    pub reset_rate: f64,
    /// Share of API requests answered 429 with `Retry-After`.
    pub throttle_rate: f64,
    /// Added to every API request.
    pub latency_ms: u64,
    /// Added after a write is stored, before it is answered: a client that dies meanwhile leaves a step that
    /// took effect without knowing it (for the read-back after a restart or a takeover).
    pub reply_delay_ms: u64,
    /// Share of successful writes that are applied and then answered 500 or 502, or dropped.
    pub commit_then_fail_rate: f64,
    /// Reads answer the version before the last write, with an `Age` header.
    pub stale_reads: bool,
    /// Share of reads served by a replica that has not yet seen a write of the last [`REPLICATION_LAG`]: the
    /// store reads DynamoDB without `ConsistentRead` (`internal/ddb/client.go`), for `GET /lpas/{uid}`, for
    /// the batch read and for its own read before an update, so such a read answers the version before the
    /// last write (404 for an LPA created that recently) with no header to say so, and an update built on it
    /// overwrites the last write (a lost update).
    pub lagging_read_rate: f64,
    /// Share of writes that passed every rule and are answered as if applied (201 and the store's body)
    /// but not stored: a lost write, for lpaflow's read-back mismatch path.
    pub acknowledge_without_applying_rate: f64,
    /// Share of writes that passed every rule and are stored with a visible difference (an update without
    /// its last change, or without its status change when it has no changes; a create with the last
    /// attorney's `firstNames` altered), answered as if stored as sent.
    pub apply_differently_rate: f64,
    pub seed: u64,
}

/// A partial update of [`Faults`]: omitted keys keep their value; `"maintenance": null` clears the window.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FaultsPatch {
    pub outage: Option<bool>,
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<Option<Maintenance>>,
    pub error_rate: Option<f64>,
    pub timeout_rate: Option<f64>,
    pub reset_rate: Option<f64>,
    pub throttle_rate: Option<f64>,
    pub latency_ms: Option<u64>,
    pub reply_delay_ms: Option<u64>,
    pub commit_then_fail_rate: Option<f64>,
    pub stale_reads: Option<bool>,
    pub lagging_read_rate: Option<f64>,
    pub acknowledge_without_applying_rate: Option<f64>,
    pub apply_differently_rate: Option<f64>,
    pub seed: Option<u64>,
}

/// A present key (even `null`) is `Some`; an absent one stays `None` through `#[serde(default)]`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl Faults {
    /// `self` with `patch` applied (not validated).
    pub fn patched(&self, patch: &FaultsPatch) -> Self {
        let mut f = self.clone();
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(v) = patch.$field { f.$field = v; } )* };
        }
        take!(
            outage,
            maintenance,
            error_rate,
            timeout_rate,
            reset_rate,
            throttle_rate,
            latency_ms,
            reply_delay_ms
        );
        take!(
            commit_then_fail_rate,
            stale_reads,
            lagging_read_rate,
            acknowledge_without_applying_rate,
            apply_differently_rate,
            seed
        );
        f
    }

    /// Every problem at once, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let rates = [
            ("/errorRate", self.error_rate),
            ("/timeoutRate", self.timeout_rate),
            ("/resetRate", self.reset_rate),
            ("/throttleRate", self.throttle_rate),
            ("/commitThenFailRate", self.commit_then_fail_rate),
            ("/laggingReadRate", self.lagging_read_rate),
            (
                "/acknowledgeWithoutApplyingRate",
                self.acknowledge_without_applying_rate,
            ),
            ("/applyDifferentlyRate", self.apply_differently_rate),
        ];
        for (source, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                errors.push(FieldError::new(source, "must be between 0 and 1"));
            }
        }
        for (source, ms) in [
            ("/latencyMs", self.latency_ms),
            ("/replyDelayMs", self.reply_delay_ms),
        ] {
            if ms > LATENCY_MS_MAX {
                errors.push(FieldError::new(
                    source,
                    format!("must be at most {LATENCY_MS_MAX}"),
                ));
            }
        }
        if let Some(m) = self.maintenance
            && m.from >= m.to
        {
            errors.push(FieldError::new(
                "/maintenance",
                "`from` must be before `to`",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// What the fault layer does with one API request, before the handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Pass,
    /// 503 + `Retry-After` (outage or maintenance).
    Unavailable {
        retry_after_s: u64,
    },
    /// 429 + `Retry-After`.
    Throttled {
        retry_after_s: u64,
    },
    /// Hold past any client timeout, then drop.
    Hold,
    /// Drop the connection without a response.
    Reset,
    /// 500, 502 or 504.
    Error {
        status: u16,
    },
}

/// What happens after a write was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterCommit {
    Reply,
    /// 500 (the store's own error body) or 502 (API Gateway's answer to a failed Lambda).
    Error {
        status: u16,
    },
    Drop,
}

/// What happens to a write that passed every rule, before it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFate {
    /// Stored as the rules say.
    Store,
    /// Answered as stored, but not stored.
    AcknowledgeWithoutApplying,
    /// Stored with a visible difference, answered as stored as sent.
    ApplyDifferently,
}

/// Retry-After values used by the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter {
    pub outage_s: u64,
    pub throttle_s: u64,
}

/// The seeded dice. Only settings that are on draw, in a fixed order, so a seed gives the same sequence.
pub struct Dice {
    rng: SmallRng,
}

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    fn hit(&mut self, rate: f64) -> bool {
        rate > 0.0 && (rate >= 1.0 || self.rng.random::<f64>() < rate)
    }

    /// The gate for an API request at `now`.
    pub fn gate(&mut self, faults: &Faults, now: DateTime<Utc>, retry: RetryAfter) -> Gate {
        if faults.outage {
            return Gate::Unavailable {
                retry_after_s: retry.outage_s,
            };
        }
        if let Some(window) = faults.maintenance
            && window.contains(now)
        {
            let left_ms = u64::try_from((window.to - now).num_milliseconds()).unwrap_or(0);
            let retry_after_s = left_ms.div_ceil(1000).max(1);
            return Gate::Unavailable { retry_after_s };
        }
        if self.hit(faults.throttle_rate) {
            return Gate::Throttled {
                retry_after_s: retry.throttle_s,
            };
        }
        if self.hit(faults.timeout_rate) {
            return Gate::Hold;
        }
        if self.hit(faults.reset_rate) {
            return Gate::Reset;
        }
        if self.hit(faults.error_rate) {
            let status = [500, 502, 504][self.rng.random_range(0..3usize)];
            return Gate::Error { status };
        }
        Gate::Pass
    }

    /// Whether a write that passed every rule is stored as it should be.
    pub fn write_fate(&mut self, faults: &Faults) -> WriteFate {
        if self.hit(faults.acknowledge_without_applying_rate) {
            WriteFate::AcknowledgeWithoutApplying
        } else if self.hit(faults.apply_differently_rate) {
            WriteFate::ApplyDifferently
        } else {
            WriteFate::Store
        }
    }

    /// Whether a read of a row written at `written_at` is served by a replica that has not seen that write.
    pub fn lagging_read(
        &mut self,
        faults: &Faults,
        written_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now - written_at < REPLICATION_LAG && self.hit(faults.lagging_read_rate)
    }

    /// Whether an applied write is answered normally.
    pub fn after_commit(&mut self, faults: &Faults) -> AfterCommit {
        if !self.hit(faults.commit_then_fail_rate) {
            AfterCommit::Reply
        } else if self.rng.random_bool(0.5) {
            AfterCommit::Error {
                status: [500, 502][self.rng.random_range(0..2usize)],
            }
        } else {
            AfterCommit::Drop
        }
    }
}

/// Only the health check's view: is OPG down (outage or maintenance)?
pub fn unavailable(faults: &Faults, now: DateTime<Utc>, retry: RetryAfter) -> Option<u64> {
    match Dice::new(0).gate(
        &Faults {
            outage: faults.outage,
            maintenance: faults.maintenance,
            ..Faults::default()
        },
        now,
        retry,
    ) {
        Gate::Unavailable { retry_after_s } => Some(retry_after_s),
        Gate::Pass | Gate::Throttled { .. } | Gate::Hold | Gate::Reset | Gate::Error { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RETRY: RetryAfter = RetryAfter {
        outage_s: 5,
        throttle_s: 1,
    };

    #[test]
    fn a_patch_keeps_omitted_keys_and_can_clear_the_window() {
        let base = Faults {
            outage: true,
            error_rate: 0.5,
            ..Faults::default()
        };
        let patch: FaultsPatch = serde_json::from_value(json!({"latencyMs": 10})).expect("patch");
        let f = base.patched(&patch);
        assert!(f.outage && f.error_rate == 0.5 && f.latency_ms == 10);
        let window =
            json!({"maintenance": {"from": "2025-01-01T00:00:00Z", "to": "2025-01-01T01:00:00Z"}});
        let f = f.patched(&serde_json::from_value(window).expect("patch"));
        assert!(f.maintenance.is_some());
        let f = f.patched(&serde_json::from_value(json!({"maintenance": null})).expect("patch"));
        assert_eq!(f.maintenance, None);
        assert!(serde_json::from_value::<FaultsPatch>(json!({"nope": 1})).is_err());
    }

    #[test]
    fn validation_names_every_bad_field() {
        let f = Faults {
            error_rate: 2.0,
            reset_rate: -0.1,
            lagging_read_rate: 1.5,
            latency_ms: LATENCY_MS_MAX + 1,
            ..Faults::default()
        };
        let sources: Vec<String> = f
            .validate()
            .expect_err("invalid")
            .into_iter()
            .map(|e| e.source)
            .collect();
        assert_eq!(
            sources,
            ["/errorRate", "/resetRate", "/laggingReadRate", "/latencyMs"]
        );
        assert_eq!(Faults::default().validate(), Ok(()));
    }

    #[test]
    fn the_write_fates_are_validated_and_seeded() {
        let f = Faults {
            acknowledge_without_applying_rate: 1.5,
            apply_differently_rate: -0.5,
            ..Faults::default()
        };
        let sources: Vec<String> = f
            .validate()
            .expect_err("invalid")
            .into_iter()
            .map(|e| e.source)
            .collect();
        assert_eq!(
            sources,
            ["/acknowledgeWithoutApplyingRate", "/applyDifferentlyRate"]
        );
        let f = Faults {
            acknowledge_without_applying_rate: 0.3,
            apply_differently_rate: 0.3,
            ..Faults::default()
        };
        let run = |seed| {
            let mut d = Dice::new(seed);
            (0..60).map(|_| d.write_fate(&f)).collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        for fate in [
            WriteFate::Store,
            WriteFate::AcknowledgeWithoutApplying,
            WriteFate::ApplyDifferently,
        ] {
            assert!(run(9).contains(&fate), "{fate:?}");
        }
        assert!(
            (0..20)
                .map(|_| Dice::new(1).write_fate(&Faults::default()))
                .all(|f| f == WriteFate::Store)
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_gates() {
        let f = Faults {
            error_rate: 0.3,
            throttle_rate: 0.2,
            ..Faults::default()
        };
        let now = Utc::now();
        let run = |seed| {
            let mut d = Dice::new(seed);
            (0..50).map(|_| d.gate(&f, now, RETRY)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert!(run(7).contains(&Gate::Pass));
        assert!(run(7).iter().any(|g| matches!(g, Gate::Error { .. })));
    }

    #[test]
    fn maintenance_applies_inside_the_window_only() {
        let window: Maintenance = "2025-01-01T00:00:00Z/2025-01-01T00:10:00Z"
            .parse()
            .expect("window");
        let f = Faults {
            maintenance: Some(window),
            ..Faults::default()
        };
        let inside = window.from + chrono::Duration::seconds(30);
        assert_eq!(
            Dice::new(0).gate(&f, inside, RETRY),
            Gate::Unavailable { retry_after_s: 570 }
        );
        assert_eq!(Dice::new(0).gate(&f, window.to, RETRY), Gate::Pass);
        assert!(
            "2025-01-01T00:10:00Z/2025-01-01T00:00:00Z"
                .parse::<Maintenance>()
                .is_err()
        );
    }
}
