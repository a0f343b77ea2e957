//! The engine's step handler for OPG steps (`opg.create`, `opg.update:<TYPE>`): runs [`deliver`] and turns
//! its outcome into the engine's classification. A read-back mismatch, a refusal or a conflict becomes a
//! `sync_problem` report, committed on the LPA with the step's outcome, so a caseworker sees it. Attempts on
//! one LPA are paced ([`WritePacing`]): one that comes too soon after the last is deferred, not sent.

use crate::client::{OpgClient, OpgError};
use crate::deliver::{DeliveryOutcome, ReadBack, deliver_claimed};
use crate::pacing::WritePacing;
use async_trait::async_trait;
use lpaflow_engine::{Attempt, ClaimedStep, Report, StepHandler};
use lpaflow_lpa::lpa_store::FieldError;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// When a step whose write was not sent (its claim no longer held) is due again.
const NOT_SENT_RETRY: Duration = Duration::from_secs(1);

/// The event that records a sync problem on an LPA (`workflows/lpa.toml`).
pub const SYNC_PROBLEM_EVENT: &str = "sync_problem";

/// Delivers OPG steps with one shared client.
pub struct OpgStepHandler {
    client: OpgClient,
    pacing: WritePacing,
}

impl OpgStepHandler {
    /// A handler sending through `client`, pacing writes by [`crate::pacing::WRITE_GAP`].
    pub fn new(client: OpgClient) -> Self {
        Self::with_pacing(client, WritePacing::default())
    }

    /// A handler with its own pacing (a test's gap).
    pub fn with_pacing(client: OpgClient, pacing: WritePacing) -> Self {
        Self { client, pacing }
    }
}

/// How long to wait before trying credentials OPG refused again: long enough not to hammer OPG (and fill the
/// log) while an operator fixes the configuration, short enough to resume soon after.
pub const CREDENTIALS_RETRY_MS: u64 = 30_000;

/// OPG is down, throttling or refusing lpaflow's credentials (feeds the circuit breaker and uses no attempt):
/// OPG turned the request away before judging it. A write answered with a 5xx after it went in (500, 502,
/// 504) is not: it is ambiguous (read back before sending again) and uses an attempt, because the store's
/// Lambda can fail or outlive the gateway's timeout on the same request every time, and such a step must fail
/// in the end rather than hold the breaker open for every LPA.
fn unavailable(error: &OpgError) -> bool {
    match error {
        OpgError::Retryable { status, .. } => {
            matches!(status, None | Some(408 | 429 | 502 | 503 | 504))
        }
        OpgError::Credentials { .. } => true,
        OpgError::Ambiguous { .. } | OpgError::Fatal { .. } => false,
    }
}

/// When to try again: OPG's `Retry-After`, or a long pause after refused credentials.
fn retry_after(error: &OpgError) -> Option<std::time::Duration> {
    match error {
        OpgError::Credentials { .. } => {
            Some(std::time::Duration::from_millis(CREDENTIALS_RETRY_MS))
        }
        other => other.retry_after(),
    }
}

fn report(step: &ClaimedStep, kind: &str, detail: String, differences: Option<Value>) -> Report {
    let mut payload = json!({"step": step.name, "kind": kind, "detail": detail});
    if let (Some(d), Some(obj)) = (differences, payload.as_object_mut()) {
        obj.insert("differences".to_owned(), d);
    }
    Report {
        event: SYNC_PROBLEM_EVENT.into(),
        payload,
    }
}

/// Whether the attempt reached the LPA in OPG (a write that may have landed, or a read): the next one waits
/// out the gap. An attempt OPG turned away at the door (down, throttling, credentials refused) did not, so
/// the first step after an outage is not held back.
fn touched_the_lpa(outcome: &DeliveryOutcome) -> bool {
    match outcome {
        DeliveryOutcome::NotSent { .. } => false,
        DeliveryOutcome::Retry {
            error,
            ambiguous: false,
            ..
        } if unavailable(error) => false,
        other => other.requests() > 0,
    }
}

/// The store's reason with its field errors (`/type: lpa must be signed by attorneys`), so the caseworker's
/// finding says what to fix. The store's details name fields and rules, never personal data.
fn with_field_errors(reason: String, errors: &[FieldError]) -> String {
    if errors.is_empty() {
        return reason;
    }
    let fields: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.source, e.detail))
        .collect();
    format!("{reason} ({})", fields.join("; "))
}

/// A retry of an attempt that reached the LPA waits at least `gap`, whichever process takes it up (this
/// process's own pacing would defer it anyway; another's knows nothing of this attempt).
fn paced(attempt: Attempt, gap: std::time::Duration) -> Attempt {
    match attempt {
        Attempt::Retry {
            error,
            retry_after,
            ambiguous,
            unavailable,
        } => Attempt::Retry {
            error,
            retry_after: Some(retry_after.map_or(gap, |r| r.max(gap))),
            ambiguous,
            unavailable,
        },
        other => other,
    }
}

/// Maps one delivery outcome onto the engine's attempt classes.
pub fn attempt_of(step: &ClaimedStep, outcome: DeliveryOutcome) -> Attempt {
    let result = serde_json::to_value(&outcome).unwrap_or(Value::Null);
    match outcome {
        DeliveryOutcome::Done {
            readback: ReadBack::Mismatch { differences },
            ..
        } => {
            let detail = format!(
                "OPG accepted {} but holds different values ({} differences)",
                step.name,
                differences.len()
            );
            let differences = serde_json::to_value(&differences).ok();
            Attempt::Done {
                result,
                report: Some(report(step, "readback_mismatch", detail, differences)),
            }
        }
        DeliveryOutcome::Done { .. } => Attempt::Done {
            result,
            report: None,
        },
        DeliveryOutcome::Retry {
            error, ambiguous, ..
        } => {
            if let OpgError::Credentials { status, detail } = &error {
                tracing::error!(
                    step = %step.name,
                    status,
                    detail = %detail,
                    "OPG refused lpaflow's credentials (JWT secret or AWS signature): steps wait until the configuration is fixed"
                );
            }
            Attempt::Retry {
                retry_after: retry_after(&error),
                unavailable: unavailable(&error),
                error: serde_json::to_value(&error).unwrap_or(Value::Null),
                ambiguous,
            }
        }
        // Nothing written: the step comes back once this process beats again (or another took it over).
        DeliveryOutcome::NotSent { .. } => Attempt::Deferred {
            retry_after: NOT_SENT_RETRY,
        },
        DeliveryOutcome::Failed {
            reason,
            code,
            errors,
            differences,
            ..
        } => {
            let kind = if code.as_deref() == Some("CONFLICT") {
                "conflict"
            } else {
                "failed"
            };
            let reason = with_field_errors(reason, &errors);
            let differences = (!differences.is_empty())
                .then(|| serde_json::to_value(&differences).unwrap_or(Value::Null));
            Attempt::Failed {
                error: result,
                report: Some(report(step, kind, reason, differences)),
            }
        }
    }
}

#[async_trait]
impl StepHandler for OpgStepHandler {
    async fn deliver(&self, step: &ClaimedStep) -> Attempt {
        let uid = step.uid.as_str();
        let wait = self.pacing.wait_for(uid, Instant::now()).max(
            self.pacing
                .wait_after(step.previous_completed_at, chrono::Utc::now()),
        );
        if let Some(wait) = wait {
            return Attempt::Deferred { retry_after: wait };
        }
        let outcome = deliver_claimed(
            &self.client,
            step.name.as_str(),
            &step.payload,
            step.ambiguous,
            &step.claim,
        )
        .await;
        let touched = touched_the_lpa(&outcome);
        if touched {
            self.pacing.wrote(uid, Instant::now());
        }
        metrics::counter!("lpaflow_opg_requests_total").increment(u64::from(outcome.requests()));
        let attempt = attempt_of(step, outcome);
        if touched {
            paced(attempt, self.pacing.gap())
        } else {
            attempt
        }
    }

    /// A step given up after its last attempt is a `sync.failed` finding for a caseworker.
    fn gave_up(&self, step: &ClaimedStep, error: &Value) -> Option<Report> {
        let detail = error
            .get("detail")
            .and_then(Value::as_str)
            .map_or_else(|| error.to_string(), str::to_owned);
        Some(report(step, "failed", detail, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ambiguous(status: Option<u16>) -> OpgError {
        OpgError::Ambiguous {
            status,
            detail: "x".into(),
        }
    }

    #[test]
    fn an_ambiguous_write_uses_an_attempt_whatever_its_status() {
        for status in [Some(500), Some(502), Some(504)] {
            assert!(
                !unavailable(&ambiguous(status)),
                "{status:?}: the Lambda may fail on this request every time"
            );
        }
        assert!(!unavailable(&ambiguous(Some(500))), "the store's own error");
        assert!(
            !unavailable(&ambiguous(None)),
            "a timeout or a dropped connection"
        );
        let refused = OpgError::Credentials {
            status: 403,
            detail: "x".into(),
        };
        assert!(unavailable(&refused));
        assert_eq!(
            retry_after(&refused),
            Some(std::time::Duration::from_millis(CREDENTIALS_RETRY_MS))
        );
    }

    #[test]
    fn only_attempts_that_reached_the_lpa_are_paced() {
        let retry = |error: OpgError, ambiguous: bool| DeliveryOutcome::Retry {
            error,
            ambiguous,
            requests: 1,
        };
        let down = OpgError::Retryable {
            status: Some(503),
            retry_after_ms: None,
            detail: "x".into(),
        };
        assert!(!touched_the_lpa(&retry(down.clone(), false)), "turned away");
        assert!(
            touched_the_lpa(&retry(down, true)),
            "an earlier write may have landed"
        );
        assert!(touched_the_lpa(&retry(ambiguous(None), true)));
        let lagging = OpgError::Retryable {
            status: Some(404),
            retry_after_ms: None,
            detail: "x".into(),
        };
        assert!(touched_the_lpa(&retry(lagging, false)));
        let done = DeliveryOutcome::Done {
            already_applied: false,
            readback: ReadBack::Matched,
            requests: 2,
        };
        assert!(touched_the_lpa(&done));
    }

    #[test]
    fn a_refusal_names_the_stores_field_errors() {
        let errors = [FieldError::new("/type", "lpa must be signed by attorneys")];
        assert_eq!(
            with_field_errors("Invalid request".into(), &errors),
            "Invalid request (/type: lpa must be signed by attorneys)"
        );
        assert_eq!(with_field_errors("Conflict".into(), &[]), "Conflict");
    }
}

#[cfg(test)]
mod pacing_tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_retry_after_an_attempt_on_the_lpa_waits_at_least_the_gap() {
        let gap = Duration::from_millis(1_100);
        let retry = |retry_after| Attempt::Retry {
            error: Value::Null,
            retry_after,
            ambiguous: true,
            unavailable: false,
        };
        let after = |a: Attempt| match a {
            Attempt::Retry { retry_after, .. } => retry_after,
            _ => None,
        };
        assert_eq!(after(paced(retry(None), gap)), Some(gap));
        assert_eq!(
            after(paced(retry(Some(Duration::from_secs(5))), gap)),
            Some(Duration::from_secs(5))
        );
    }
}
