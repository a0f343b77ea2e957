//! Turns [`Commit`]s into the rows both backends write, computed once in Rust: history hashes (from the base's
//! chain head), outbox sequence numbers (from the base's `steps_enqueued`), the net effect of the decisions'
//! timer changes, labels, search terms. Because the commit applies only if the instance is still at
//! `base.revision` (compare-and-set), everything computed here from the base stays true inside the transaction.

use crate::CommitError;
use crate::model::{Commit, StoredInstance, SyncStatus};
use crate::time::to_micros;
use chrono::{DateTime, Utc};
use lpaflow_core::history::{
    Binding, FORMAT_BOUND, FORMAT_RULED, GENESIS_HASH, Snapshot, bound_hash, stored_text,
};
use lpaflow_core::search::Findable;
use lpaflow_core::{Decision, Instance};
use serde::Serialize;
use std::collections::BTreeMap;

/// One commit ready to write.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// Its instance after the commit (counters are those known before the write; backends refresh them).
    pub stored: StoredInstance,
    /// What it writes, shared: SQLite's writer hands them to its own thread without a copy (`sqlite/direct.rs`).
    pub rows: std::sync::Arc<Rows>,
}

impl std::ops::Deref for Prepared {
    type Target = Rows;

    fn deref(&self) -> &Rows {
        &self.rows
    }
}

/// The rows one commit writes.
#[derive(Debug)]
pub(crate) struct Rows {
    /// `Some` for updates: the revision the instance must still be at.
    pub base_revision: Option<u64>,
    pub instance_row: InstanceRow,
    pub history: Vec<HistoryRow>,
    pub outbox: Vec<OutboxRow>,
    pub timer_sets: Vec<TimerSetRow>,
    pub timer_cancels: Vec<TimerKeyRow>,
    pub consume_timer: Option<TimerConsumeRow>,
    pub complete_step: Option<StepCompletionRow>,
    pub labels: Option<Vec<LabelRow>>,
    /// `Some` when the commit replaces the instance's search terms (the title goes in `instance_row`).
    pub terms: Option<Vec<TermRow>>,
    pub idempotency: Option<IdempotencyRow>,
}

#[derive(Debug, Serialize)]
pub(crate) struct IdempotencyRow {
    pub actor: String,
    pub key: String,
    pub uid: String,
    pub revision: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct InstanceRow {
    pub uid: String,
    pub workflow: String,
    pub version: u32,
    pub workflow_hash: String,
    pub base_revision: u64,
    /// The chain head the commit was decided from: with the revision, what the compare-and-set checks (a
    /// process deciding from an instance it kept, `lpaflow-engine`'s `cache.rs`, relies on both).
    pub base_head_hash: String,
    pub state: String,
    pub data: String,
    pub revision: u64,
    pub awaiting: Option<String>,
    pub head_hash: String,
    pub steps_enqueued: u64,
    pub new_steps: u64,
    pub completed_steps: u64,
    pub sync_status: &'static str,
    pub created_at: i64,
    pub updated_at: i64,
    /// The title to store when `title_set`; otherwise the stored one stays.
    pub title: Option<String>,
    pub title_set: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct HistoryRow {
    pub uid: String,
    pub seq: u64,
    pub at: i64,
    pub actor: String,
    pub role: String,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub payload: String,
    pub changes: String,
    pub workflow: String,
    pub version: u32,
    pub prev_hash: String,
    pub hash: String,
    /// `lpaflow_core::history::format_of`: every entry written now binds the instance it produced, and
    /// names the rules that decided it when the interpreter recorded them (format 3).
    pub hash_format: u8,
    pub state_digest: String,
    pub timers: String,
    pub rules: Option<String>,
}

/// A history row with the global index its batch gave it.
pub(crate) struct Indexed<'a> {
    pub row: &'a HistoryRow,
    pub log_index: i64,
}

/// The global log is one counter (`audit_log.size`): a batch reserves as many indices as it writes history
/// rows, in its own transaction, and numbers them in batch order from the first reserved. Commit order is index
/// order: on PostgreSQL the counter's row lock is held from the reservation to the commit, so a concurrent
/// batch reserves only after this one is visible; SQLite has one writer.
pub(crate) fn indexed<'a>(rows: &[&'a HistoryRow], first: i64) -> Vec<Indexed<'a>> {
    rows.iter()
        .zip(first..)
        .map(|(row, log_index)| Indexed { row, log_index })
        .collect()
}

#[derive(Debug, Serialize)]
pub(crate) struct OutboxRow {
    pub uid: String,
    pub seq: u64,
    pub revision: u64,
    pub step: String,
    pub delivery: &'static str,
    pub then_event: Option<String>,
    pub payload: String,
    /// Only the first step of a commit may be queued at once (if nothing else of the instance is open).
    pub first: bool,
    pub at: i64,
    /// For the first step of a commit that asked for it: leased at once when claimable.
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct TimerSetRow {
    pub uid: String,
    pub name: String,
    pub fire_at: i64,
    pub event: String,
    pub payload: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct TimerKeyRow {
    pub uid: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct TimerConsumeRow {
    pub uid: String,
    pub name: String,
    pub fence: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct StepCompletionRow {
    pub id: i64,
    pub fence: u64,
    pub uid: String,
    pub result: String,
    pub at: i64,
}

#[derive(Debug, Serialize)]
pub(crate) struct LabelRow {
    pub label: String,
    pub uid: String,
    pub created_at: i64,
}

#[derive(Debug, Serialize)]
pub(crate) struct TermRow {
    pub term: String,
    pub uid: String,
    pub personal: bool,
}

/// The rows of a findable's terms: each text once, empty ones dropped, a text both personal and not kept as
/// not personal (as [`Findable::new`] does, for findables built otherwise).
fn term_rows(uid: &str, findable: &Findable) -> Vec<TermRow> {
    let mut terms: BTreeMap<&str, bool> = BTreeMap::new();
    for t in findable.terms.iter().filter(|t| !t.text.is_empty()) {
        let personal = terms.entry(t.text.as_str()).or_insert(true);
        *personal &= t.personal;
    }
    terms
        .into_iter()
        .map(|(term, personal)| TermRow {
            term: term.to_owned(),
            uid: uid.to_owned(),
            personal,
        })
        .collect()
}

fn json_text(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

fn invalid(commit: &Commit, detail: impl Into<String>) -> CommitError {
    CommitError::Invalid {
        uid: commit.uid.clone(),
        detail: detail.into(),
    }
}

/// Checks a commit's shape and computes its rows.
pub(crate) fn prepare(commit: &Commit) -> Result<Prepared, CommitError> {
    let Some(last) = commit.decisions.last() else {
        return Err(invalid(commit, "a commit needs at least one decision"));
    };
    let base_revision = commit.base.as_ref().map(|b| b.revision).unwrap_or(0);
    for (i, d) in commit.decisions.iter().enumerate() {
        if d.instance.id != commit.uid {
            return Err(invalid(
                commit,
                format!("decision {i} is for {}", d.instance.id),
            ));
        }
        if d.instance.revision != base_revision + 1 + i as u64 || d.entry.seq != d.instance.revision
        {
            return Err(invalid(
                commit,
                format!(
                    "decision {i} has revision {}, expected {}",
                    d.instance.revision,
                    base_revision + 1 + i as u64
                ),
            ));
        }
    }
    let uid = commit.uid.to_string();
    let mut prev = commit
        .base
        .as_ref()
        .map(|b| b.head_hash.clone())
        .unwrap_or_else(|| GENESIS_HASH.to_owned());
    let mut texts = (String::new(), None);
    let history: Vec<HistoryRow> = commit
        .decisions
        .iter()
        .map(|d| {
            texts = stored_text(&d.instance);
            history_row(&uid, d, &texts, &mut prev)
        })
        .collect();
    let (data, awaiting) = texts;
    let steps_before = commit.base.as_ref().map(|b| b.steps_enqueued).unwrap_or(0);
    let outbox = outbox_rows(&uid, commit, steps_before);
    let (timer_sets, timer_cancels) = net_timer_ops(&uid, &commit.decisions);
    let new_steps = outbox.len() as u64;
    let completed_steps = u64::from(commit.complete_step.is_some());
    let final_instance: &Instance = &last.instance;
    let steps_enqueued = steps_before + new_steps;
    let instance_row = InstanceRow {
        uid: uid.clone(),
        workflow: final_instance.workflow.name.clone(),
        version: final_instance.workflow.version,
        workflow_hash: commit.workflow_hash.clone(),
        base_revision,
        base_head_hash: commit
            .base
            .as_ref()
            .map(|b| b.head_hash.clone())
            .unwrap_or_default(),
        state: final_instance.state.to_string(),
        data,
        revision: final_instance.revision,
        awaiting,
        head_hash: prev.clone(),
        steps_enqueued,
        new_steps,
        completed_steps,
        sync_status: SyncStatus::derive(new_steps, 0, final_instance.awaiting.is_some()).into(),
        created_at: to_micros(final_instance.created_at),
        updated_at: to_micros(final_instance.updated_at),
        title: commit.findable.as_ref().and_then(|f| f.title.clone()),
        title_set: commit.findable.is_some(),
    };
    let created_at = to_micros(final_instance.created_at);
    Ok(Prepared {
        stored: StoredInstance {
            instance: final_instance.clone(),
            workflow_hash: commit.workflow_hash.clone(),
            head_hash: prev,
            steps_enqueued,
            steps_pending: new_steps,
            steps_failed: 0,
            sync_status: SyncStatus::derive(new_steps, 0, final_instance.awaiting.is_some()),
        },
        rows: std::sync::Arc::new(Rows {
            base_revision: commit.base.as_ref().map(|b| b.revision),
            instance_row,
            history,
            outbox,
            timer_sets,
            timer_cancels,
            consume_timer: commit.consume_timer.as_ref().map(|t| TimerConsumeRow {
                uid: uid.clone(),
                name: t.key.to_string(),
                fence: t.fence,
            }),
            complete_step: commit
                .complete_step
                .as_ref()
                .map(|(s, result)| StepCompletionRow {
                    id: s.key,
                    fence: s.fence,
                    uid: uid.clone(),
                    result: json_text(result),
                    // Delivery's clock: the wall clock of the commit, never the business clock of its decision
                    // (a handler paces from it).
                    at: to_micros(commit.enqueued_at.unwrap_or(last.entry.at)),
                }),
            labels: commit.labels.as_ref().map(|labels| {
                labels
                    .iter()
                    .map(|l| LabelRow {
                        label: l.clone(),
                        uid: uid.clone(),
                        created_at,
                    })
                    .collect()
            }),
            terms: commit.findable.as_ref().map(|f| term_rows(&uid, f)),
            idempotency: commit.idempotency.as_ref().map(|m| IdempotencyRow {
                actor: m.actor.clone(),
                key: m.key.clone(),
                uid: uid.clone(),
                revision: final_instance.revision,
            }),
        }),
    })
}

/// The history row of a decision, bound (hash format 2, or 3 with its rules version) to its instance as written (`texts`: its data and
/// awaiting columns' text).
fn history_row(
    uid: &str,
    d: &Decision,
    texts: &(String, Option<String>),
    prev: &mut String,
) -> HistoryRow {
    let snapshot = Snapshot::of(&d.instance, &texts.0, texts.1.as_deref());
    let binding = Binding::of(&snapshot, &d.effects);
    let e = &d.entry;
    let hash = bound_hash(prev, &d.instance.id, e, Some(&binding));
    let row = HistoryRow {
        uid: uid.to_owned(),
        seq: e.seq,
        at: to_micros(e.at),
        actor: e.actor.to_string(),
        role: e.role.to_string(),
        event: e.event.to_string(),
        from_state: e.from.as_ref().map(|s| s.to_string()),
        to_state: e.to.to_string(),
        payload: json_text(&e.payload),
        changes: json_text(&e.changes),
        workflow: e.workflow.name.clone(),
        version: e.workflow.version,
        prev_hash: prev.clone(),
        hash: hash.clone(),
        hash_format: if e.rules.is_some() {
            FORMAT_RULED
        } else {
            FORMAT_BOUND
        },
        state_digest: binding.state,
        timers: json_text(&binding.timers),
        rules: e.rules.clone(),
    };
    *prev = hash;
    row
}

fn outbox_rows(uid: &str, commit: &Commit, steps_before: u64) -> Vec<OutboxRow> {
    let mut rows = Vec::new();
    for d in commit.decisions.iter() {
        for s in &d.effects.steps {
            let first = rows.is_empty();
            let lease = commit.lease_first_step.as_ref().filter(|_| first);
            rows.push(OutboxRow {
                uid: uid.to_owned(),
                seq: steps_before + rows.len() as u64 + 1,
                revision: d.instance.revision,
                step: s.name.to_string(),
                delivery: s.delivery.into(),
                then_event: s.then.as_ref().map(|e| e.to_string()),
                payload: json_text(&s.payload),
                first,
                at: to_micros(commit.enqueued_at.unwrap_or(d.entry.at)),
                lease_owner: lease.map(|l| l.owner.clone()),
                lease_until: lease.map(|l| to_micros(l.until)),
            });
        }
    }
    rows
}

/// The net effect of the decisions' timer changes, in order: the last set or cancel of a name wins.
fn net_timer_ops(uid: &str, decisions: &[Decision]) -> (Vec<TimerSetRow>, Vec<TimerKeyRow>) {
    let mut net: BTreeMap<String, Option<TimerSetRow>> = BTreeMap::new();
    for d in decisions {
        for c in &d.effects.cancel_timers {
            net.insert(c.to_string(), None);
        }
        for t in &d.effects.set_timers {
            net.insert(
                t.name.to_string(),
                Some(TimerSetRow {
                    uid: uid.to_owned(),
                    name: t.name.to_string(),
                    fire_at: to_micros(t.fire_at),
                    event: t.event.to_string(),
                    payload: json_text(&t.payload),
                }),
            );
        }
    }
    let mut sets = Vec::new();
    let mut cancels = Vec::new();
    for (name, op) in net {
        match op {
            Some(set) => sets.push(set),
            None => cancels.push(TimerKeyRow {
                uid: uid.to_owned(),
                name,
            }),
        }
    }
    (sets, cancels)
}

/// The outbox rows a batch enqueued for one instance.
#[derive(Clone, Debug, Default)]
pub(crate) struct Enqueued {
    /// Row ids in step order.
    pub ids: Vec<i64>,
    /// The first row was leased with the commit.
    pub first_leased: bool,
    /// When the step before the first row finished.
    pub first_previous_completed_at: Option<DateTime<Utc>>,
}

/// What an outbox insert returns for one row.
pub(crate) struct InsertedStep {
    pub uid: String,
    pub seq: i64,
    pub id: i64,
    pub status: String,
    pub previous_completed_at: Option<DateTime<Utc>>,
}

/// Groups the rows an outbox insert returned by instance, in step order.
pub(crate) fn enqueued(rows: Vec<InsertedStep>) -> BTreeMap<String, Enqueued> {
    let mut by_uid: BTreeMap<String, Vec<InsertedStep>> = BTreeMap::new();
    for row in rows {
        by_uid.entry(row.uid.clone()).or_default().push(row);
    }
    by_uid
        .into_iter()
        .map(|(uid, mut v)| {
            v.sort_unstable_by_key(|r| r.seq);
            let first = v.first();
            let enqueued = Enqueued {
                first_leased: first.is_some_and(|r| r.status == "in_flight"),
                first_previous_completed_at: first.and_then(|r| r.previous_completed_at),
                ids: v.iter().map(|r| r.id).collect(),
            };
            (uid, enqueued)
        })
        .collect()
}

/// Serializes rows as one JSON array: the single parameter of a batch statement.
pub(crate) fn batch_json<'a, T: Serialize + 'a>(rows: impl IntoIterator<Item = &'a T>) -> String {
    let rows: Vec<&T> = rows.into_iter().collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".to_owned())
}
