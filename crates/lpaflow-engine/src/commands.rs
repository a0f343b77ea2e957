//! The command path: take the instance from what this process kept (`cache.rs`) or read it, decide (with
//! automatic follow-ups), commit through the group-commit writer. Without an expected revision a conflict is retried with the fresh instance (the command is
//! re-decided, so guards see the latest data); with one, a conflict is the caller's `StaleRevision`.

use crate::cache::Cached;
use crate::committing::{FollowUp, commit_and_follow};
use crate::delivery::Reservation;
use crate::{Engine, Error};
use chrono::Utc;
use lpaflow_core::search::Findable;
use lpaflow_core::{
    Command, Decision, Instance, InstanceId, Reading, Rejection, Rules, TimerName, WorkflowDef,
    decide_chain_read, decide_create_chain,
};
use lpaflow_store::{Commit, CommitError, Committed, Fenced, IdempotencyMark, StoredInstance};
use serde_json::Value;
use std::sync::Arc;

/// What an accepted command did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The instance after the commit (shared with what this process keeps of it, `cache.rs`).
    pub stored: Arc<StoredInstance>,
    /// The command's decision followed by the automatic transitions it triggered (shared with the commit).
    pub decisions: Arc<[Decision]>,
    /// Outbox rows enqueued.
    pub step_ids: Vec<i64>,
}

/// Extra work committed atomically with a command (used by the timer loop and step workers).
#[derive(Clone, Debug, Default)]
pub(crate) struct Attached {
    pub consume_timer: Option<Fenced<TimerName>>,
    pub complete_step: Option<(Fenced<i64>, Value)>,
    pub idempotency: Option<IdempotencyMark>,
}

/// The labels and the findable (title and search terms) the rules give `instance`, whose data `reading` read.
pub(crate) fn indexes_of(
    rules: &dyn Rules,
    instance: &Instance,
    reading: &Reading,
) -> (Vec<String>, Findable) {
    (
        rules.labels(instance, reading),
        rules.findable(instance, reading),
    )
}

pub(crate) fn record(def: &WorkflowDef, event: &str, result: &'static str) {
    metrics::counter!("lpaflow_transitions_total", "workflow" => def.name().to_owned(), "event" => event.to_owned(), "result" => result)
        .increment(1);
}

impl Engine {
    /// Creates instance `uid` of the current version of `workflow`; `command.event` must be `create` and its
    /// payload is the initial data.
    pub async fn create(
        &self,
        workflow: &str,
        uid: InstanceId,
        command: Command,
    ) -> Result<Outcome, Error> {
        self.create_keyed(workflow, uid, command, None).await
    }

    /// [`Engine::create`] for a request holding the reserved idempotency key `idempotency`: the commit records
    /// itself on the key, atomically.
    pub async fn create_keyed(
        &self,
        workflow: &str,
        uid: InstanceId,
        command: Command,
        idempotency: Option<IdempotencyMark>,
    ) -> Result<Outcome, Error> {
        let def = self
            .inner
            .definitions
            .current(workflow)
            .ok_or_else(|| Error::UnknownWorkflow(workflow.to_owned()))?
            .clone();
        let now = self.inner.clock.now();
        let decisions: Arc<[Decision]> = match decide_create_chain(
            &def,
            self.inner.rules.as_ref(),
            uid.clone(),
            &command,
            now,
        ) {
            Ok(d) => d.into(),
            Err(r) => {
                record(&def, command.event.as_str(), r.code());
                return Err(r.into());
            }
        };
        let rules = self.inner.rules.as_ref();
        let indexes = decisions
            .last()
            .map(|d| indexes_of(rules, &d.instance, &d.reading));
        let handoff = self.reserve_first_step(&uid, 0, &decisions);
        let commit = Commit {
            uid: uid.clone(),
            base: None,
            workflow_hash: def.hash().to_owned(),
            decisions: Arc::clone(&decisions),
            labels: indexes.as_ref().map(|(l, _)| l.clone()),
            findable: indexes.as_ref().map(|(_, f)| f.clone()),
            consume_timer: None,
            complete_step: None,
            idempotency: idempotency.clone(),
            enqueued_at: Some(handoff.as_ref().map_or_else(Utc::now, |h| h.enqueued_at())),
            lease_first_step: handoff.as_ref().map(|h| h.lease()),
        };
        let kept = match (indexes, decisions.last()) {
            (Some((labels, findable)), Some(last)) => {
                Some((last.reading.clone(), labels, findable))
            }
            _ => None,
        };
        let follow_up = FollowUp {
            engine: self.clone(),
            uid,
            def: def.clone(),
            event: "create".to_owned(),
            decisions,
            handoff,
            kept,
        };
        match commit_and_follow(commit, follow_up).await {
            Ok(outcome) => Ok(outcome),
            Err(CommitError::AlreadyExists(u)) => {
                record(&def, "create", "already_exists");
                Err(Error::AlreadyExists(u))
            }
            Err(e) => Err(commit_error(e)),
        }
    }

    /// Fires `command` at instance `uid`.
    pub async fn fire(&self, uid: &InstanceId, command: Command) -> Result<Outcome, Error> {
        self.fire_attached(uid, command, Attached::default()).await
    }

    /// [`Engine::fire`] for a request holding the reserved idempotency key `idempotency` (see
    /// [`Engine::create_keyed`]).
    pub async fn fire_keyed(
        &self,
        uid: &InstanceId,
        command: Command,
        idempotency: Option<IdempotencyMark>,
    ) -> Result<Outcome, Error> {
        self.fire_attached(
            uid,
            command,
            Attached {
                idempotency,
                ..Attached::default()
            },
        )
        .await
    }

    pub(crate) async fn fire_attached(
        &self,
        uid: &InstanceId,
        command: Command,
        attached: Attached,
    ) -> Result<Outcome, Error> {
        let _serialized = self.inner.stripes.lock(uid).await;
        let retries = self.inner.max_conflict_retries;
        let mut conflicts = 0;
        // Decide from the instance this process last committed, if it kept it, until that turns out to be
        // older than the store's (`cache.rs`): from then on, from what the store holds.
        let mut trust_cache = self.caches_instances();
        loop {
            let (start, from_cache) = match trust_cache.then(|| self.inner.cache.get(uid)) {
                Some(Some(cached)) => (cached, true),
                _ => (Arc::new(self.read_start(uid).await?), false),
            };
            let def = self.pinned_definition(start.instance(), &start.stored.workflow_hash)?;
            let decisions: Arc<[Decision]> = match decide_chain_read(
                &def,
                self.inner.rules.as_ref(),
                start.instance(),
                &start.reading,
                &command,
                self.inner.clock.now(),
            ) {
                Ok(d) => d.into(),
                Err(_) if from_cache => {
                    // Another process may have moved the instance to where the command is right.
                    self.inner.cache.distrust(uid);
                    trust_cache = false;
                    continue;
                }
                Err(r) => {
                    record(&def, command.event.as_str(), r.code());
                    return Err(r.into());
                }
            };
            let (labels, findable) = self.indexes_after(&start, &decisions);
            let handoff = self.reserve_first_step(uid, start.stored.steps_enqueued, &decisions);
            let commit = Commit {
                uid: uid.clone(),
                base: Some(start.base()),
                workflow_hash: start.stored.workflow_hash.clone(),
                decisions: Arc::clone(&decisions),
                labels: (labels != start.labels).then(|| labels.clone()),
                findable: (findable != start.findable).then(|| findable.clone()),
                consume_timer: attached.consume_timer.clone(),
                complete_step: attached.complete_step.clone(),
                idempotency: attached.idempotency.clone(),
                enqueued_at: Some(handoff.as_ref().map_or_else(Utc::now, |h| h.enqueued_at())),
                lease_first_step: handoff.as_ref().map(|h| h.lease()),
            };
            let reading = decisions
                .last()
                .map_or(&start.reading, |d| &d.reading)
                .clone();
            let follow_up = FollowUp {
                engine: self.clone(),
                uid: uid.clone(),
                def: def.clone(),
                event: command.event.to_string(),
                decisions,
                handoff,
                kept: Some((reading, labels, findable)),
            };
            match commit_and_follow(commit, follow_up).await {
                Ok(outcome) => return Ok(outcome),
                Err(CommitError::Conflict { .. }) if from_cache => {
                    record(&def, command.event.as_str(), "conflict");
                    self.inner.cache.distrust(uid);
                    trust_cache = false;
                }
                Err(CommitError::Conflict { actual, .. }) => {
                    record(&def, command.event.as_str(), "conflict");
                    // At the revision the caller read but another chain head (a restored database): decided
                    // again below, not answered as a stale revision that names the same number twice.
                    if let Some(expected) = command.expected_revision.filter(|e| *e != actual) {
                        return Err(Rejection::StaleRevision { expected, actual }.into());
                    }
                    if conflicts >= retries {
                        return Err(Error::Contended { uid: uid.clone() });
                    }
                    // Another process changed it: back off a little, with jitter, before re-deciding.
                    let ms = rand::random_range(1..=(2u64 << conflicts.min(6)));
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                    conflicts += 1;
                }
                Err(e) => return Err(commit_error(e)),
            }
        }
    }

    /// Whether commands start from the instances this process kept: a cache of some capacity, and no other
    /// live process (a process without heartbeats, such as a tool, counts as alone).
    pub fn caches_instances(&self) -> bool {
        self.inner.cache.enabled() && self.liveness().is_none_or(|l| l.alone())
    }

    /// The instance `uid` as the store holds it, with its labels and findable.
    async fn read_start(&self, uid: &InstanceId) -> Result<Cached, Error> {
        let stored = self
            .inner
            .store
            .get(uid)
            .await?
            .ok_or_else(|| Error::NotFound(uid.clone()))?;
        let rules = self.inner.rules.as_ref();
        // One reading of the data for its labels, its search terms and the command's rules.
        let reading = Reading::new();
        let (labels, findable) = indexes_of(rules, &stored.instance, &reading);
        Ok(Cached {
            stored: Arc::new(stored),
            reading,
            labels,
            findable,
        })
    }

    /// The labels and the findable (title and search terms) of the instance after `decisions` (the store
    /// rewrites them only where they differ from `start`'s).
    fn indexes_after(&self, start: &Cached, decisions: &[Decision]) -> (Vec<String>, Findable) {
        let rules = self.inner.rules.as_ref();
        match decisions.last() {
            Some(last) => indexes_of(rules, &last.instance, &last.reading),
            None => (start.labels.clone(), start.findable.clone()),
        }
    }

    /// Keeps a committed instance for the next command on it (not one in a terminal state: few commands
    /// reach those).
    pub(crate) fn remember(
        &self,
        def: &WorkflowDef,
        stored: &Arc<StoredInstance>,
        reading: &Reading,
        labels: Vec<String>,
        findable: Findable,
    ) {
        let terminal = def
            .state(&stored.instance.state)
            .is_some_and(|s| s.terminal);
        if terminal || !self.caches_instances() {
            self.inner.cache.forget(&stored.instance.id);
        } else {
            self.inner.cache.put(Cached {
                stored: Arc::clone(stored),
                reading: reading.clone(),
                labels,
                findable,
            });
        }
    }

    pub(crate) fn accepted(
        &self,
        def: &Arc<WorkflowDef>,
        committed: Committed,
        decisions: Arc<[Decision]>,
        handoff: Option<Reservation>,
    ) -> Outcome {
        if let Some(observe) = &self.inner.on_commit {
            observe(&committed.stored, &decisions);
        }
        let handed_off = handoff.is_some() && committed.first_step_leased;
        self.hand_off_first_step(handoff, &committed, &decisions);
        for d in decisions.iter().skip(1) {
            record(def, d.entry.event.as_str(), "accepted");
        }
        // Steps the loop must claim itself: a first step not handed off (the others wait behind it, and a
        // completion wakes the loop anyway).
        if !committed.step_ids.is_empty() && !handed_off {
            self.inner.steps_enqueued.notify_one();
        }
        if decisions.iter().any(|d| !d.effects.set_timers.is_empty()) {
            self.inner.timers_changed.notify_one();
        }
        Outcome {
            stored: committed.stored,
            decisions,
            step_ids: committed.step_ids,
        }
    }

    /// The definition an instance is pinned to.
    pub(crate) fn definition_of(&self, stored: &StoredInstance) -> Result<Arc<WorkflowDef>, Error> {
        self.pinned_definition(&stored.instance, &stored.workflow_hash)
    }

    /// The definition `instance` is pinned to, which must have the content hash `workflow_hash`.
    fn pinned_definition(
        &self,
        instance: &Instance,
        workflow_hash: &str,
    ) -> Result<Arc<WorkflowDef>, Error> {
        let r = &instance.workflow;
        match self.inner.definitions.get(r) {
            Some(def) if def.hash() == workflow_hash => Ok(def.clone()),
            Some(_) => Err(Error::Corrupt(format!(
                "{} is pinned to {r} with another content hash",
                instance.id
            ))),
            None => Err(Error::Corrupt(format!(
                "{} is pinned to {r}, which is not loaded",
                instance.id
            ))),
        }
    }
}

fn commit_error(e: CommitError) -> Error {
    match e {
        CommitError::AlreadyExists(u) => Error::AlreadyExists(u),
        CommitError::Store(s) => Error::Store(s),
        other => Error::Corrupt(other.to_string()),
    }
}
