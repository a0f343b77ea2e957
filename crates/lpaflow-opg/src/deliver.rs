//! The step delivery protocol the engine's step workers call (`shared/DESIGN.md` section 4). OPG has no
//! idempotency key, so:
//!
//! 1. after an attempt whose outcome was unknown, read the LPA back first: if the step is already there,
//!    finish without sending (no duplicate); if something else is there, fail (conflict); if it is not there,
//!    read once more a write gap later before sending (the first read may lag the write);
//! 2. send; a `400` is read back too, since "already exists", "cannot sign again" or a stale `old` may just mean
//!    an earlier attempt landed;
//! 3. after a successful write, read back and compare, reading again for a few seconds while the write does
//!    not show (the store's reads are eventually consistent); a mismatch is reported, never a reason to fail.
//!
//! A cached (stale, `Age`) read never decides anything: it could predate our own write. And nothing is written
//! once the engine's claim on the step no longer holds (this process went too long without a heartbeat: another
//! may have taken its work over and be reading the LPA back right now).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{OpgClient, OpgError};
use crate::compare::{AppliedState, Difference, effect_of_unchanged, resolve as value_at};
use crate::pacing::WRITE_GAP;
use crate::step::Step;
use lpaflow_engine::Claim;
use lpaflow_lpa::lpa_store::FieldError;

/// What became of one delivery attempt; serializable so the engine can store it on the outbox row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The step is in OPG. `already_applied`: an earlier attempt had landed and nothing was sent this time.
    Done {
        already_applied: bool,
        readback: ReadBack,
        requests: u32,
    },
    /// Try again later. `ambiguous`: the write may have been applied (or an earlier unknown outcome is still
    /// unresolved): pass it as `previous_attempt_ambiguous` to the next attempt.
    Retry {
        error: OpgError,
        ambiguous: bool,
        requests: u32,
    },
    /// Nothing was written: the claim on the step no longer held when the write was due (this process went
    /// too long without a heartbeat, or the lease is ending), so another process may be acting on it. The step
    /// keeps its ambiguity and comes back later.
    NotSent { reason: String, requests: u32 },
    /// Refused for good, or OPG holds something else (a conflict, `code` `CONFLICT`, with `differences`).
    Failed {
        reason: String,
        code: Option<String>,
        errors: Vec<FieldError>,
        differences: Vec<Difference>,
        requests: u32,
    },
}

impl DeliveryOutcome {
    /// Whether the next attempt must read back before sending.
    pub fn leaves_ambiguity(&self) -> bool {
        matches!(
            self,
            Self::Retry {
                ambiguous: true,
                ..
            }
        )
    }

    /// HTTP requests this attempt made.
    pub fn requests(&self) -> u32 {
        match self {
            Self::Done { requests, .. }
            | Self::Retry { requests, .. }
            | Self::NotSent { requests, .. }
            | Self::Failed { requests, .. } => *requests,
        }
    }
}

/// The comparison after a successful write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "readback", rename_all = "snake_case")]
pub enum ReadBack {
    Matched,
    /// OPG answered the write with success but holds something else: recorded as a sync problem.
    Mismatch {
        differences: Vec<Difference>,
    },
    /// The read failed or was stale; nothing is known either way.
    Unavailable {
        reason: String,
    },
}

/// What a read says about a step.
enum Resolved {
    State(AppliedState, Option<Value>),
    Unknown(OpgError),
}

/// Delivers one `opg.create` or `opg.update:<TYPE>` step (`payload` as `docs/opg-api.md` defines it).
pub async fn deliver(
    client: &OpgClient,
    step_name: &str,
    payload: &Value,
    previous_attempt_ambiguous: bool,
) -> DeliveryOutcome {
    deliver_claimed(
        client,
        step_name,
        payload,
        previous_attempt_ambiguous,
        &Claim::unchecked(),
    )
    .await
}

/// [`deliver`] for a step claimed by an engine: right before the write, `claim` must still hold (see
/// [`Claim::still_held`]); otherwise nothing is written and the outcome is [`DeliveryOutcome::NotSent`].
pub async fn deliver_claimed(
    client: &OpgClient,
    step_name: &str,
    payload: &Value,
    previous_attempt_ambiguous: bool,
    claim: &Claim,
) -> DeliveryOutcome {
    let step = match Step::parse(step_name, payload) {
        Ok(step) => step,
        Err(e) => {
            tracing::warn!(
                step = step_name,
                code = e.code(),
                "OPG step payload refused"
            );
            return failed(
                e.to_string(),
                Some(e.code().to_owned()),
                Vec::new(),
                Vec::new(),
                0,
            );
        }
    };
    let uid = step.uid().to_owned();
    let mut requests = 0u32;
    if previous_attempt_ambiguous {
        match settled_resolve(client, &step, &mut requests).await {
            Resolved::State(AppliedState::Applied, _) => {
                tracing::info!(%uid, step = step_name, "OPG step already applied; not sent again");
                return DeliveryOutcome::Done {
                    already_applied: true,
                    readback: ReadBack::Matched,
                    requests,
                };
            }
            Resolved::State(AppliedState::NotApplied, _) => {}
            Resolved::State(AppliedState::Conflict { differences }, _) => {
                return conflict(&uid, differences, requests);
            }
            Resolved::Unknown(error) => {
                return DeliveryOutcome::Retry {
                    error,
                    ambiguous: true,
                    requests,
                };
            }
        }
    }
    if let Err(lost) = claim.still_held() {
        tracing::warn!(%uid, step = step_name, reason = %lost, "OPG write not sent: the claim no longer holds");
        return DeliveryOutcome::NotSent {
            reason: lost.to_string(),
            requests,
        };
    }
    requests += 1;
    let sent = match &step {
        Step::Create { uid, lpa } => client.create(uid, lpa).await,
        Step::Update {
            uid,
            update,
            author,
        } => client
            .update(uid, update, author.as_deref())
            .await
            .map(|_| ()),
    };
    match sent {
        Ok(()) => {
            let readback = read_back(client, &step, &mut requests).await;
            if let ReadBack::Mismatch { differences } = &readback {
                tracing::warn!(%uid, step = step_name, differences = differences.len(), "OPG read-back mismatch");
            }
            DeliveryOutcome::Done {
                already_applied: false,
                readback,
                requests,
            }
        }
        Err(OpgError::Fatal {
            status: Some(400),
            code,
            detail,
            errors,
        }) => match resolve(client, &step, &mut requests).await {
            Resolved::State(AppliedState::Applied, _) => {
                tracing::info!(%uid, step = step_name, "OPG refused the step as already applied");
                DeliveryOutcome::Done {
                    already_applied: true,
                    readback: ReadBack::Matched,
                    requests,
                }
            }
            Resolved::State(AppliedState::Conflict { differences }, _) => {
                tracing::warn!(%uid, step = step_name, %code, "OPG refused the step");
                failed(detail, Some(code), errors, differences, requests)
            }
            Resolved::State(AppliedState::NotApplied, _) => {
                tracing::warn!(%uid, step = step_name, %code, "OPG refused the step");
                failed(detail, Some(code), errors, Vec::new(), requests)
            }
            Resolved::Unknown(error) => DeliveryOutcome::Retry {
                error,
                ambiguous: true,
                requests,
            },
        },
        Err(OpgError::Fatal {
            status: Some(404),
            detail,
            ..
        }) if matches!(step, Step::Update { .. }) => {
            // Updates follow the LPA's confirmed create, so a 404 is a lagging read in the store (its update
            // handler reads without `ConsistentRead`), not a missing LPA: try again (the attempt counts, so a
            // truly missing LPA still fails in the end).
            tracing::info!(%uid, step = step_name, "OPG does not show the LPA yet; to retry");
            DeliveryOutcome::Retry {
                error: OpgError::Retryable {
                    status: Some(404),
                    retry_after_ms: None,
                    detail: format!("the LPA is not visible to OPG's update yet: {detail}"),
                },
                ambiguous: previous_attempt_ambiguous,
                requests,
            }
        }
        Err(OpgError::Fatal {
            status,
            code,
            detail,
            errors,
        }) => {
            tracing::warn!(%uid, step = step_name, %code, ?status, "OPG refused the step");
            failed(detail, Some(code), errors, Vec::new(), requests)
        }
        Err(error) => {
            let ambiguous = error.is_ambiguous();
            tracing::info!(%uid, step = step_name, ambiguous, status = ?error.status(), "OPG step to retry");
            DeliveryOutcome::Retry {
                error,
                ambiguous,
                requests,
            }
        }
    }
}

/// Resolves an earlier attempt whose outcome is unknown. A read that does not show it may lag the write (the
/// attempt may have ended a moment ago, in a process that then died): it is only believed after a second read
/// a write gap later, when the store's replicas have caught up.
async fn settled_resolve(client: &OpgClient, step: &Step, requests: &mut u32) -> Resolved {
    match resolve(client, step, requests).await {
        Resolved::State(AppliedState::NotApplied, _) => {
            tokio::time::sleep(WRITE_GAP).await;
            resolve(client, step, requests).await
        }
        other => other,
    }
}

async fn resolve(client: &OpgClient, step: &Step, requests: &mut u32) -> Resolved {
    *requests += 1;
    match client.read(step.uid()).await {
        Err(error) => Resolved::Unknown(error),
        Ok(read) if read.is_stale() => Resolved::Unknown(OpgError::Retryable {
            status: None,
            retry_after_ms: None,
            detail: format!(
                "stale read (Age {} s) cannot decide whether the step took effect",
                read.age_s.unwrap_or(0)
            ),
        }),
        Ok(read) => Resolved::State(step.applied_state(read.lpa.as_ref()), read.lpa),
    }
}

/// Pauses before reading back again when a read after a successful write does not show it. The store's
/// reads are eventually consistent (`internal/ddb/client.go` reads without `ConsistentRead`), so the first
/// read may predate the write; about three seconds in all, well past DynamoDB's "usually within a second",
/// before a difference is reported.
pub const READ_BACK_PAUSES: [Duration; 4] = [
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
    Duration::from_millis(1_600),
];

async fn read_back(client: &OpgClient, step: &Step, requests: &mut u32) -> ReadBack {
    let mut pauses = READ_BACK_PAUSES.iter();
    loop {
        let readback = match resolve(client, step, requests).await {
            Resolved::Unknown(error) => ReadBack::Unavailable {
                reason: error.to_string(),
            },
            Resolved::State(AppliedState::Applied, _) => ReadBack::Matched,
            Resolved::State(AppliedState::Conflict { differences }, _) => {
                ReadBack::Mismatch { differences }
            }
            Resolved::State(AppliedState::NotApplied, remote) => ReadBack::Mismatch {
                differences: missing(step, remote.as_ref()),
            },
        };
        match (&readback, pauses.next()) {
            (ReadBack::Mismatch { .. }, Some(pause)) => tokio::time::sleep(*pause).await,
            _ => return readback,
        }
    }
}

/// The differences of a step that OPG acknowledged but does not show at all.
fn missing(step: &Step, remote: Option<&Value>) -> Vec<Difference> {
    let actual = |key: &str| remote.map_or(Value::Null, |r| value_at(r, key).clone());
    match step {
        Step::Create { lpa, .. } => {
            vec![Difference {
                pointer: "/".to_owned(),
                expected: lpa.clone(),
                actual: remote.cloned().unwrap_or_default(),
            }]
        }
        Step::Update { update, author, .. } if update.changes.is_empty() => {
            effect_of_unchanged(update.kind, author.as_deref())
                .map(|(key, value)| Difference {
                    expected: Value::from(value),
                    actual: actual(&key),
                    pointer: key,
                })
                .into_iter()
                .collect()
        }
        Step::Update { update, .. } => update
            .changes
            .iter()
            .map(|c| Difference {
                pointer: c.key.clone(),
                expected: c.new.clone(),
                actual: actual(&c.key),
            })
            .collect(),
    }
}

fn conflict(uid: &str, differences: Vec<Difference>, requests: u32) -> DeliveryOutcome {
    tracing::warn!(
        %uid,
        differences = differences.len(),
        "OPG holds a conflicting state"
    );
    failed(
        "OPG holds neither the state before nor the state after this step".to_owned(),
        Some("CONFLICT".to_owned()),
        Vec::new(),
        differences,
        requests,
    )
}

fn failed(
    reason: String,
    code: Option<String>,
    errors: Vec<FieldError>,
    differences: Vec<Difference>,
    requests: u32,
) -> DeliveryOutcome {
    DeliveryOutcome::Failed {
        reason,
        code,
        errors,
        differences,
        requests,
    }
}
