//! The pure half of reconciliation: one LPA's local facts against what OPG holds, and who last changed a
//! differing key according to OPG's change log. No IO, no clock.

use super::{Attribution, Drift, DriftKind, FINDING_SUBJECT, Repair, StepRef, Verdict};
use crate::compare::{
    AppliedState, effect_of_unchanged, index_key, lpa_differences, target_status,
};
use crate::step::{CREATE_STEP, Step};
use lpaflow_core::BusinessZone;
use lpaflow_lpa::LpaData;
use lpaflow_lpa::findings::RuleId;
use lpaflow_lpa::lpa_store::{ChangeLogEntry, UpdateType};
use lpaflow_lpa::states::LpaState;
use lpaflow_store::{StepRow, StepStatus};
use serde_json::Value;

/// What lpaflow holds about one LPA: the instance and its outbox.
#[derive(Clone, Debug, PartialEq)]
pub struct Local {
    /// The LPA uid.
    pub uid: String,
    /// The workflow state.
    pub state: String,
    /// The instance's revision.
    pub revision: u64,
    /// The instance data (`docs/lpa-data.md`).
    pub data: lpaflow_core::Data,
    /// Every outbox step, in order.
    pub steps: Vec<StepRow>,
    /// The rules' business zone (the application is read as of the create's local date).
    pub zone: BusinessZone,
}

/// What OPG answered for one LPA.
#[derive(Clone, Debug, PartialEq)]
pub enum Remote {
    /// The document, from a fresh read.
    Held(Value),
    /// A fresh `404`.
    NotHeld,
    /// A failed or stale read: nothing can be decided from it.
    Unknown(String),
}

/// The LPA document OPG should hold for `local` (`None` before the donor signed or for unreadable data).
pub fn expected_document(local: &Local) -> Option<Value> {
    let data = LpaData::load(&local.data).ok()?;
    let created = data.opg_create.as_ref()?;
    Some(lpaflow_lpa::document::to_json(
        &lpaflow_lpa::document::expected(&data, created.at, local.zone),
    ))
}

/// What changes when an LPA moves: its revision and where each step is. Two equal fingerprints around a read
/// of OPG mean nothing local moved while OPG was read.
pub fn fingerprint(local: &Local) -> (u64, Vec<(i64, StepStatus)>) {
    (
        local.revision,
        local.steps.iter().map(|s| (s.id, s.status)).collect(),
    )
}

/// The document keys and status a step touches.
#[derive(Default)]
struct Scope {
    everything: bool,
    keys: Vec<String>,
    status: bool,
}

impl Scope {
    /// The keys `step` touches, with actors addressed by their index in `doc` (the expected document).
    fn of(step: &StepRow, doc: &Value) -> Self {
        match Step::parse(step.step.as_str(), &step.payload) {
            Ok(Step::Create { .. }) | Err(_) => Scope {
                everything: true,
                ..Scope::default()
            },
            Ok(Step::Update { update, author, .. }) => {
                let effect = effect_of_unchanged(update.kind, author.as_deref())
                    .filter(|_| update.changes.is_empty())
                    .map(|(key, _)| key);
                Scope {
                    everything: false,
                    status: target_status(update.kind).is_some()
                        || update.changes.iter().any(|c| c.key == "/status"),
                    keys: update
                        .changes
                        .into_iter()
                        .map(|c| c.key)
                        .chain(effect)
                        .map(|k| index_key(&k, doc))
                        .collect(),
                }
            }
        }
    }

    fn covers(&self, pointer: &str) -> bool {
        self.everything || self.keys.iter().any(|k| related(k, pointer))
    }
}

/// One pointer is the other, or lies under it.
fn related(a: &str, b: &str) -> bool {
    let under = |x: &str, y: &str| {
        x == y || y == "/" || x.strip_prefix(y).is_some_and(|rest| rest.starts_with('/'))
    };
    under(a, b) || under(b, a)
}

fn step_ref(s: &StepRow) -> StepRef {
    StepRef {
        id: s.id,
        seq: s.seq,
        name: s.step.to_string(),
        status: s.status,
    }
}

/// The open sync finding about `subject`, if any.
fn open_finding(data: &LpaData, subject: &str) -> Option<String> {
    data.findings
        .iter()
        .find(|f| {
            f.subject == subject
                && f.is_open()
                && matches!(
                    f.rule,
                    RuleId::SyncFailed | RuleId::SyncConflict | RuleId::SyncReadbackMismatch
                )
        })
        .map(|f| f.id.clone())
}

/// What a person must decide about, unless a finding already asks.
fn person(data: &LpaData, subject: &str) -> Repair {
    match open_finding(data, subject) {
        Some(finding) => Repair::Flagged { finding },
        None => Repair::Person,
    }
}

/// A step that failed only because it kept failing (never refused by OPG) may simply be tried again.
fn failed_transiently(step: &StepRow) -> bool {
    step.last_error
        .as_ref()
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        == Some("attempts_exhausted")
}

/// A failed step against what OPG holds (`None`: OPG does not hold the LPA).
fn failed_step(data: &LpaData, step: &StepRow, remote: Option<&Value>) -> Drift {
    let subject = step.step.as_str();
    let state = Step::parse(subject, &step.payload).map(|s| s.applied_state(remote));
    let (kind, detail, repair, values) = match state {
        Err(e) => (
            DriftKind::StepNotApplied,
            format!("failed step {subject} cannot be read ({})", e.code()),
            person(data, subject),
            None,
        ),
        Ok(AppliedState::Applied) => (
            DriftKind::StepAppliedNotRecorded,
            format!("OPG holds the effect of {subject}, which failed locally"),
            Repair::RetryStep { step_id: step.id },
            None,
        ),
        Ok(AppliedState::NotApplied) => (
            DriftKind::StepNotApplied,
            format!("{subject} failed and OPG does not hold its effect"),
            if failed_transiently(step) {
                Repair::RetryStep { step_id: step.id }
            } else {
                person(data, subject)
            },
            None,
        ),
        Ok(AppliedState::Conflict { differences }) => (
            DriftKind::StepNotApplied,
            format!(
                "{subject} failed and OPG holds other values at {} keys",
                differences.len()
            ),
            person(data, subject),
            serde_json::to_value(&differences)
                .ok()
                .map(|d| (Value::Null, d)),
        ),
    };
    let mut drift = Drift::new(kind, detail, repair);
    drift.step = Some(step_ref(step));
    drift.values = values;
    drift
}

/// Compares one LPA's local facts with what OPG answered.
pub fn compare(local: &Local, remote: &Remote) -> Verdict {
    let data = match LpaData::load(&local.data) {
        Ok(d) => d,
        Err(e) => {
            return Verdict::Unverified {
                reason: format!("the local data cannot be read: {e}"),
            };
        }
    };
    let remote = match remote {
        Remote::Unknown(reason) => {
            return Verdict::Unverified {
                reason: reason.clone(),
            };
        }
        Remote::Held(doc) => Some(doc),
        Remote::NotHeld => None,
    };
    let pending = local.steps.iter().filter(|s| s.status.is_open()).count();
    let Some(created) = &data.opg_create else {
        return match remote {
            None => Verdict::LocalOnly,
            Some(_) => Verdict::Drift(vec![Drift::new(
                DriftKind::UnexpectedInOpg,
                "OPG holds an LPA with this uid, which lpaflow has not sent (the donor has not signed)",
                person(&data, FINDING_SUBJECT),
            )]),
        };
    };
    let expected = lpaflow_lpa::document::to_json(&lpaflow_lpa::document::expected(
        &data, created.at, local.zone,
    ));
    let create = local.steps.iter().find(|s| s.step.as_str() == CREATE_STEP);
    if create.is_some_and(|s| s.status.is_open()) {
        // OPG may or may not hold it yet; every later step waits behind the create.
        return Verdict::InSync { pending };
    }
    let Some(remote) = remote else {
        let drift = match create {
            Some(s) if s.status == StepStatus::Failed => {
                let mut d = failed_step(&data, s, None);
                d.kind = DriftKind::MissingInOpg;
                d
            }
            Some(s) => {
                let mut d = Drift::new(
                    DriftKind::MissingInOpg,
                    format!(
                        "OPG does not hold this LPA, although its creation is {} locally",
                        s.status
                    ),
                    person(&data, FINDING_SUBJECT),
                );
                d.step = Some(step_ref(s));
                d
            }
            None => Drift::new(
                DriftKind::MissingInOpg,
                "the donor signed, but no create step exists and OPG does not hold the LPA",
                person(&data, FINDING_SUBJECT),
            ),
        };
        return Verdict::Drift(vec![drift]);
    };
    let Some(state) = LpaState::of(&lpaflow_core::StateName::new(&local.state)) else {
        return Verdict::Unverified {
            reason: format!("`{}` is not a state of the LPA workflow", local.state),
        };
    };
    let mut drifts = Vec::new();
    let mut in_flight = Vec::new();
    let mut explained = Vec::new();
    for s in &local.steps {
        if s.status.is_open() {
            in_flight.push(Scope::of(s, &expected));
        } else if s.status == StepStatus::Failed {
            drifts.push(failed_step(&data, s, Some(remote)));
            explained.push(Scope::of(s, &expected));
        }
    }
    let covered = |pointer: &str| {
        in_flight
            .iter()
            .chain(&explained)
            .any(|s| s.covers(pointer))
    };
    for d in lpa_differences(&expected, remote) {
        if covered(&d.pointer) {
            continue;
        }
        let mut drift = Drift::new(
            DriftKind::FieldMismatch,
            format!("OPG holds another value at {}", d.pointer),
            person(&data, FINDING_SUBJECT),
        );
        drift.pointer = Some(d.pointer);
        drift.values = Some((d.expected, d.actual));
        drifts.push(drift);
    }
    let status_settled = in_flight
        .iter()
        .chain(&explained)
        .any(|s| s.status || s.everything);
    let want = state.store_status().to_string();
    let have = remote.get("status").and_then(Value::as_str);
    if !status_settled && have != Some(want.as_str()) {
        let mut drift = Drift::new(
            DriftKind::StatusMismatch,
            format!(
                "OPG says `{}`, lpaflow's state `{}` means `{want}`",
                have.unwrap_or("none"),
                local.state
            ),
            person(&data, FINDING_SUBJECT),
        );
        drift.pointer = Some("/status".to_owned());
        drifts.push(drift);
    }
    if drifts.is_empty() {
        Verdict::InSync { pending }
    } else {
        Verdict::Drift(drifts)
    }
}

/// Fills in who last changed each differing key (or the status) in OPG, from its change log (newest first,
/// as the store answers). Keys that address actors by uid are turned into indexes through `document`, the LPA
/// lpaflow expects OPG to hold (the store keeps actors in the order of the create, so both give the same
/// index); updates of any type, by any author (Sirius, the online service, lpaflow), are understood, since
/// they all carry their keys. `by_lpaflow` compares the author with `our_author`: an opt-out lpaflow sent
/// is authored by the actor's own URN (the store takes the actor from it), so it reads as not lpaflow's.
pub fn attribute(drifts: &mut [Drift], log: &[ChangeLogEntry], document: &Value, our_author: &str) {
    let mut newest_first: Vec<&ChangeLogEntry> = log.iter().collect();
    newest_first.sort_by(|a, b| b.applied.cmp(&a.applied));
    for drift in drifts.iter_mut() {
        let Some(pointer) = drift.pointer.as_deref() else {
            continue;
        };
        let is_status = drift.kind == DriftKind::StatusMismatch;
        let touches = |e: &ChangeLogEntry| {
            let kind = e.kind.parse::<UpdateType>().ok();
            if is_status {
                kind.is_some_and(|t| target_status(t).is_some())
                    || e.changes.iter().any(|c| c.key == "/status")
            } else {
                let effect = kind
                    .filter(|_| e.changes.is_empty())
                    .and_then(|t| effect_of_unchanged(t, Some(&e.author)))
                    .map(|(key, _)| key);
                e.changes
                    .iter()
                    .map(|c| c.key.clone())
                    .chain(effect)
                    .any(|k| related(&index_key(&k, document), pointer))
            }
        };
        drift.last_change = newest_first
            .iter()
            .find(|e| touches(e))
            .map(|e| Attribution {
                id: e.id.clone(),
                author: e.author.clone(),
                applied: e.applied.clone(),
                kind: e.kind.clone(),
                by_lpaflow: e.author == our_author,
            });
    }
}
