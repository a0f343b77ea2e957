//! "Did this step take effect?", decided from what OPG holds, without IO (`docs/opg-api.md`, "How the client
//! knows a step took effect"). Used twice: before re-sending a step whose last attempt had an unknown outcome
//! (so a create or a signature is never sent twice), and after every successful write (the read-back that
//! catches drift between what we sent and what OPG stored).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::document::{Change, LpaStatus, Update};
use crate::pointer;
use crate::step::{Step, StepError};

/// What the remote LPA says about a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AppliedState {
    /// The remote state already reflects the step: do not send it.
    Applied,
    /// The remote state is what the step expects to change: send it.
    NotApplied,
    /// Neither: someone else changed the LPA (or it holds a different document). Sending would be refused or
    /// would overwrite someone else's change; the step fails and a caseworker looks.
    Conflict { differences: Vec<Difference> },
}

/// One place where the remote LPA differs from what the step expects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// JSON pointer into the LPA document.
    pub pointer: String,
    pub expected: Value,
    /// `null` when the remote has no value there.
    pub actual: Value,
}

/// [`Step::applied_state`] for a step name and payload as the outbox holds them.
pub fn applied_state(
    step_name: &str,
    payload: &Value,
    remote: Option<&Value>,
) -> Result<AppliedState, StepError> {
    Ok(Step::parse(step_name, payload)?.applied_state(remote))
}

impl Step {
    /// Compares the step with the remote LPA (`None` = OPG answered 404).
    pub fn applied_state(&self, remote: Option<&Value>) -> AppliedState {
        match (self, remote) {
            (Self::Create { .. }, None) => AppliedState::NotApplied,
            (Self::Create { lpa, .. }, Some(remote)) => {
                let differences = document_differences(lpa, remote);
                if differences.is_empty() {
                    AppliedState::Applied
                } else {
                    AppliedState::Conflict { differences }
                }
            }
            // OPG does not hold the LPA: the update was not applied; sending it gets the fatal 404.
            (Self::Update { .. }, None) => AppliedState::NotApplied,
            (Self::Update { update, .. }, Some(remote)) => update_state(update, remote),
        }
    }
}

/// Every key holds `new` -> applied; every key holds `old` -> not applied; else conflict. A key whose `old` and
/// `new` are equal cannot tell, so it does not vote. Without changes: the type's target status decides.
pub fn update_state(update: &Update, remote: &Value) -> AppliedState {
    if update.changes.is_empty() {
        let target = update.kind.target_status();
        let status = LpaStatus::of(remote);
        return match target {
            Some(target) if status == Some(target) => AppliedState::Applied,
            _ => AppliedState::NotApplied,
        };
    }
    let (mut at_new, mut at_old) = (0usize, 0usize);
    let mut differences = Vec::new();
    let mut voters = 0usize;
    for Change { key, old, new } in &update.changes {
        let actual = pointer::get(remote, key);
        if old == new {
            if actual != new {
                differences.push(Difference {
                    pointer: key.clone(),
                    expected: new.clone(),
                    actual: actual.clone(),
                });
            }
            continue;
        }
        voters += 1;
        if actual == new {
            at_new += 1;
        } else if actual == old {
            at_old += 1;
        }
        if actual != new {
            differences.push(Difference {
                pointer: key.clone(),
                expected: new.clone(),
                actual: actual.clone(),
            });
        }
    }
    if voters == 0 {
        return if differences.is_empty() {
            AppliedState::Applied
        } else {
            AppliedState::Conflict { differences }
        };
    }
    if at_new == voters && differences.is_empty() {
        AppliedState::Applied
    } else if at_old == voters {
        AppliedState::NotApplied
    } else {
        AppliedState::Conflict { differences }
    }
}

/// Where `remote` does not hold what `sent` says. Fields the store adds (`uid`, `status`, `updatedAt`, an
/// attorney's default `status`) are not differences; a `null` sent equals an absent remote field; arrays must
/// have the same length.
pub fn document_differences(sent: &Value, remote: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(sent, remote, &mut String::new(), &mut out);
    out
}

fn walk(sent: &Value, remote: &Value, at: &mut String, out: &mut Vec<Difference>) {
    match (sent, remote) {
        (Value::Object(s), Value::Object(r)) => {
            for (k, v) in s {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                walk(v, r.get(k).unwrap_or(&Value::Null), at, out);
                at.truncate(len);
            }
        }
        (Value::Array(s), Value::Array(r)) if s.len() == r.len() => {
            for (i, (sv, rv)) in s.iter().zip(r).enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                walk(sv, rv, at, out);
                at.truncate(len);
            }
        }
        _ if sent == remote => {}
        _ => out.push(Difference {
            pointer: if at.is_empty() {
                "/".to_owned()
            } else {
                at.clone()
            },
            expected: sent.clone(),
            actual: remote.clone(),
        }),
    }
}

#[cfg(test)]
mod tests;
