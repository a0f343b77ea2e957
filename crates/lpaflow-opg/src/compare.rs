//! "Did this step take effect?", decided from what OPG holds, without IO (`docs/opg-api.md`, "How the client
//! knows a step took effect"). Used before re-sending a step whose last attempt had an unknown outcome (so a
//! create or a signature is never sent twice), after every successful write (the read-back that catches a
//! store that acknowledged what it did not keep), and by reconcile.
//!
//! Values are compared as the store compares them (`lambda/update/parse/changes.go`,
//! `redundant.go`): `null`, `""` and absent are the same, an empty list is absent, and times are instants
//! (the store keeps the offset it was sent and writes nanoseconds without trailing zeros, so two spellings of
//! one instant are equal). Keys that address an actor by uid (`/attorneys/<uuid>/signedAt`) are resolved
//! against the remote document as the store resolves them (an index in range, else a uid).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::step::{Step, StepError};
use lpaflow_lpa::lpa_store::{self, Change, LpaInit, Update, UpdateType, go_time};

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
    /// JSON pointer into the LPA document (as the step names it).
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
                let differences = create_differences(lpa, remote);
                if differences.is_empty() {
                    AppliedState::Applied
                } else {
                    AppliedState::Conflict { differences }
                }
            }
            // OPG does not hold the LPA: the update was not applied; sending it gets the fatal 404.
            (Self::Update { .. }, None) => AppliedState::NotApplied,
            (Self::Update { update, author, .. }, Some(remote)) => {
                update_state(update, author.as_deref(), remote)
            }
        }
    }
}

/// Equal as the store compares values: absent, `null`, `""` and `[]` are one; instants are compared as
/// instants; objects member by member with the same rules; lists element by element.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        _ if is_empty(a) && is_empty(b) => true,
        (Value::String(x), Value::String(y)) => {
            x == y || matches!((go_time::parse(x), go_time::parse(y)), (Some(s), Some(t)) if s == t)
        }
        (Value::Object(x), Value::Object(y)) => {
            let empty = Value::Null;
            x.keys()
                .chain(y.keys())
                .all(|k| same(x.get(k).unwrap_or(&empty), y.get(k).unwrap_or(&empty)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(s, t)| same(s, t))
        }
        _ => a == b,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Bool(_) | Value::Number(_) | Value::Object(_) => false,
    }
}

/// The value at `key` in `doc`, `null` when absent. A segment after `attorneys` or `trustCorporations` may be
/// a uid, resolved as the store does (`FindAttorneyIndex`).
pub fn resolve<'a>(doc: &'a Value, key: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    let Some(rest) = key.strip_prefix('/') else {
        return if key.is_empty() { doc } else { &NULL };
    };
    let mut cur = doc;
    let mut parent: Option<String> = None;
    for raw in rest.split('/') {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        cur = match cur {
            Value::Object(map) => map.get(&seg).unwrap_or(&NULL),
            Value::Array(items) => {
                let by_uid = matches!(parent.as_deref(), Some("attorneys" | "trustCorporations"));
                let index = if by_uid {
                    lpa_store::find_index(
                        &seg,
                        items
                            .iter()
                            .map(|i| i.get("uid").and_then(Value::as_str).unwrap_or_default())
                            .collect::<Vec<_>>()
                            .into_iter(),
                    )
                } else {
                    seg.parse::<usize>().ok()
                };
                index.and_then(|i| items.get(i)).unwrap_or(&NULL)
            }
            _ => &NULL,
        };
        parent = Some(seg);
    }
    cur
}

/// The status an update without changes moves the LPA to.
pub fn target_status(kind: UpdateType) -> Option<&'static str> {
    match kind {
        UpdateType::CertificateProviderOptOut => Some("cannot-register"),
        UpdateType::DonorWithdrawLpa => Some("withdrawn"),
        UpdateType::StatutoryWaitingPeriod | UpdateType::Perfect => {
            Some("statutory-waiting-period")
        }
        UpdateType::Register => Some("registered"),
        UpdateType::AttorneySign
        | UpdateType::CertificateProviderSign
        | UpdateType::OpgStatusChange
        | UpdateType::TrustCorporationSign
        | UpdateType::DonorConfirmIdentity
        | UpdateType::CertificateProviderConfirmIdentity
        | UpdateType::AttorneyOptOut
        | UpdateType::TrustCorporationOptOut
        | UpdateType::Correction
        | UpdateType::ChangeAttorneys
        | UpdateType::AttorneyDecisions
        | UpdateType::SeverRestrictionsAndConditions
        | UpdateType::PaperCertificateProviderAccessOnline
        | UpdateType::PaperAttorneyAccessOnline
        | UpdateType::PostRegistrationCorrection => None,
    }
}

/// The key whose value shows an update without changes took effect: the status, or for an opt-out the
/// actor's status (the actor is the author's uid), with the value it then holds.
pub fn effect_of_unchanged(
    kind: UpdateType,
    author: Option<&str>,
) -> Option<(String, &'static str)> {
    let actor = || lpa_store::author_details(author.unwrap_or_default()).uid;
    match kind {
        UpdateType::AttorneyOptOut => Some((format!("/attorneys/{}/status", actor()), "removed")),
        UpdateType::TrustCorporationOptOut => {
            Some((format!("/trustCorporations/{}/status", actor()), "removed"))
        }
        other => target_status(other).map(|s| ("/status".to_owned(), s)),
    }
}

/// Every key holds `new` -> applied; every key holds `old` -> not applied; else conflict. A key whose `old` and
/// `new` are the same cannot tell, so it does not vote. Without changes: the type's effect decides.
pub fn update_state(update: &Update, author: Option<&str>, remote: &Value) -> AppliedState {
    if update.changes.is_empty() {
        return match effect_of_unchanged(update.kind, author) {
            Some((key, value)) if same(resolve(remote, &key), &Value::from(value)) => {
                AppliedState::Applied
            }
            Some(_) | None => AppliedState::NotApplied,
        };
    }
    let (mut at_old, mut voters) = (0usize, 0usize);
    let mut differences = Vec::new();
    for Change { key, old, new } in &update.changes {
        let actual = resolve(remote, key);
        if !same(actual, new) {
            differences.push(Difference {
                pointer: key.clone(),
                expected: new.clone(),
                actual: actual.clone(),
            });
        }
        if same(old, new) {
            continue;
        }
        voters += 1;
        if !same(actual, new) && same(actual, old) {
            at_old += 1;
        }
    }
    if voters > 0 && at_old == voters {
        AppliedState::NotApplied
    } else if differences.is_empty() {
        AppliedState::Applied
    } else {
        AppliedState::Conflict { differences }
    }
}

/// Fields the store adds or owns, never sent: not compared for a create.
const STORE_OWNED: &[&str] = &[
    "uid",
    "status",
    "registrationDate",
    "updatedAt",
    "notes",
    "restrictionsAndConditionsImages",
    "howAttorneysMakeDecisionsDetailsImages",
];

/// Where `remote` does not hold what the create sent, once the store's defaults are filled
/// ([`lpa_store::set_defaults`]); the store's own fields are left out. A body that does not read as a create
/// is compared as sent.
pub fn create_differences(sent: &Value, remote: &Value) -> Vec<Difference> {
    let expected = serde_json::from_value::<LpaInit>(sent.clone())
        .ok()
        .and_then(|init| serde_json::to_value(lpa_store::set_defaults(init.fields)).ok())
        .unwrap_or_else(|| sent.clone());
    lpa_differences(&expected, remote)
}

/// Where `remote` differs from the LPA `expected` (both ways), leaving out the fields the store owns
/// (`uid`, `status`, `registrationDate`, `updatedAt`, notes, images).
pub fn lpa_differences(expected: &Value, remote: &Value) -> Vec<Difference> {
    let strip = |v: &Value| match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !STORE_OWNED.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    };
    document_differences(&strip(expected), &strip(remote))
}

/// `key` with an actor uid replaced by the actor's index in `doc` (`/attorneys/<uid>/x` ->
/// `/attorneys/2/x`), so that it can be related to the pointers of a document comparison.
pub fn index_key(key: &str, doc: &Value) -> String {
    for list in ["attorneys", "trustCorporations"] {
        let prefix = format!("/{list}/");
        let Some(rest) = key.strip_prefix(&prefix) else {
            continue;
        };
        let (segment, tail) = rest
            .split_once('/')
            .map_or((rest, None), |(s, t)| (s, Some(t)));
        let uids: Vec<&str> = doc
            .get(list)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|i| i.get("uid").and_then(Value::as_str).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(i) = lpa_store::find_index(segment, uids.into_iter()) {
            return match tail {
                Some(t) => format!("{prefix}{i}/{t}"),
                None => format!("{prefix}{i}"),
            };
        }
    }
    key.to_owned()
}

/// Where `remote` differs from `expected`, both ways, with the store's notion of equal ([`same`]).
pub fn document_differences(expected: &Value, remote: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    document_differences_into(expected, remote, &mut String::new(), &mut out);
    out
}

fn document_differences_into(
    expected: &Value,
    remote: &Value,
    at: &mut String,
    out: &mut Vec<Difference>,
) {
    match (expected, remote) {
        (Value::Object(e), Value::Object(r)) => {
            let mut keys: Vec<&String> = e.keys().chain(r.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                document_differences_into(
                    e.get(k).unwrap_or(&Value::Null),
                    r.get(k).unwrap_or(&Value::Null),
                    at,
                    out,
                );
                at.truncate(len);
            }
        }
        (Value::Array(e), Value::Array(r)) if e.len() == r.len() => {
            for (i, (ev, rv)) in e.iter().zip(r).enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                document_differences_into(ev, rv, at, out);
                at.truncate(len);
            }
        }
        _ if same(expected, remote) => {}
        _ => out.push(Difference {
            pointer: if at.is_empty() {
                "/".to_owned()
            } else {
                at.clone()
            },
            expected: expected.clone(),
            actual: remote.clone(),
        }),
    }
}

#[cfg(test)]
mod tests;
