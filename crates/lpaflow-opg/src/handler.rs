//! The engine's step handler for OPG steps (`opg.create`, `opg.update:<TYPE>`): runs [`deliver`] and turns
//! its outcome into the engine's classification. A read-back mismatch, a refusal or a conflict becomes a
//! `sync_problem` report, committed on the LPA with the step's outcome, so a caseworker sees it.

use crate::client::{OpgClient, OpgError};
use crate::deliver::{DeliveryOutcome, ReadBack, deliver};
use async_trait::async_trait;
use lpaflow_engine::{Attempt, Report, StepHandler};
use lpaflow_store::StepRow;
use serde_json::{Value, json};

/// The event that records a sync problem on an LPA (`workflows/lpa.toml`).
pub const SYNC_PROBLEM_EVENT: &str = "sync_problem";

/// Delivers OPG steps with one shared client.
pub struct OpgStepHandler {
    client: OpgClient,
}

impl OpgStepHandler {
    /// A handler sending through `client`.
    pub fn new(client: OpgClient) -> Self {
        Self { client }
    }
}

/// How long to wait before trying credentials OPG refused again: long enough not to hammer OPG (and fill the
/// log) while an operator fixes the configuration, short enough to resume soon after.
pub const CREDENTIALS_RETRY_MS: u64 = 30_000;

/// OPG is down, throttling or refusing lpaflow's credentials (feeds the circuit breaker): nothing was applied
/// and OPG did not judge the step.
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

fn report(step: &StepRow, kind: &str, detail: String, differences: Option<Value>) -> Report {
    let mut payload = json!({"step": step.step, "kind": kind, "detail": detail});
    if let (Some(d), Some(obj)) = (differences, payload.as_object_mut()) {
        obj.insert("differences".to_owned(), d);
    }
    Report {
        event: SYNC_PROBLEM_EVENT.into(),
        payload,
    }
}

/// Maps one delivery outcome onto the engine's attempt classes.
pub fn attempt_of(step: &StepRow, outcome: DeliveryOutcome) -> Attempt {
    let result = serde_json::to_value(&outcome).unwrap_or(Value::Null);
    match outcome {
        DeliveryOutcome::Done {
            readback: ReadBack::Mismatch { differences },
            ..
        } => {
            let detail = format!(
                "OPG accepted {} but holds different values ({} differences)",
                step.step,
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
                    step = %step.step,
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
        DeliveryOutcome::Failed {
            reason,
            code,
            differences,
            ..
        } => {
            let kind = if code.as_deref() == Some("CONFLICT") {
                "conflict"
            } else {
                "failed"
            };
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
    async fn deliver(&self, step: &StepRow) -> Attempt {
        let outcome = deliver(
            &self.client,
            step.step.as_str(),
            &step.payload,
            step.ambiguous,
        )
        .await;
        metrics::counter!("lpaflow_opg_requests_total").increment(u64::from(outcome.requests()));
        attempt_of(step, outcome)
    }
}
