//! The store's vocabulary: what goes in (a [`Commit`]: one command's decisions), and what comes out
//! (instances with their bookkeeping, outbox steps, timers, pages of lists).

use chrono::{DateTime, Utc};
use lpaflow_core::search::Findable;

pub use crate::list::{InstanceSummary, ListQuery, ListSort};
use lpaflow_core::{Decision, Instance, InstanceId, StepName, TimerName};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// An instance as stored: the interpreter's view plus the bookkeeping the store needs to extend it safely.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredInstance {
    /// What the interpreter sees.
    pub instance: Instance,
    /// SHA-256 of the definition text the instance is pinned to.
    pub workflow_hash: String,
    /// The hash of the last history entry (the chain head).
    pub head_hash: String,
    /// How many steps were ever enqueued for it (the next step's `seq` is this + 1).
    pub steps_enqueued: u64,
    /// Steps not yet done, failed or skipped.
    pub steps_pending: u64,
    /// Steps that failed and wait for a person.
    pub steps_failed: u64,
    /// Derived from the counters and `awaiting`.
    pub sync_status: SyncStatus,
}

/// Where an instance stands with the external system.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SyncStatus {
    /// Nothing outstanding.
    Synced,
    /// Steps are queued, suspended, retrying or in flight.
    Pending,
    /// A blocking step is outstanding: the instance waits for it.
    AwaitingSync,
    /// A step failed and needs a person.
    Failed,
}

impl SyncStatus {
    /// The status implied by the counters (failed wins, then awaiting, then pending).
    pub fn derive(steps_pending: u64, steps_failed: u64, awaiting: bool) -> Self {
        if steps_failed > 0 {
            SyncStatus::Failed
        } else if awaiting {
            SyncStatus::AwaitingSync
        } else if steps_pending > 0 {
            SyncStatus::Pending
        } else {
            SyncStatus::Synced
        }
    }
}

/// The state an instance was read in; a commit succeeds only if the instance is still there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base {
    /// The revision read.
    pub revision: u64,
    /// The chain head read.
    pub head_hash: String,
    /// `steps_enqueued` read.
    pub steps_enqueued: u64,
}

impl Base {
    /// The base of a stored instance.
    pub fn of(stored: &StoredInstance) -> Self {
        Self {
            revision: stored.instance.revision,
            head_hash: stored.head_hash.clone(),
            steps_enqueued: stored.steps_enqueued,
        }
    }
}

/// A lease-holder's proof: the row id and the fence it was claimed with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fenced<K> {
    /// What was claimed.
    pub key: K,
    /// The fencing token of the claim.
    pub fence: u64,
}

/// One command's accepted decisions (the command and its automatic follow-ups), committed atomically: the
/// instance row (compare-and-set on `base.revision`, or insert when `base` is `None`), one history row per
/// decision, outbox rows, timer changes, labels, title and search terms.
#[derive(Clone, Debug)]
pub struct Commit {
    /// The instance.
    pub uid: InstanceId,
    /// `None` to create the instance; otherwise the state it was read in.
    pub base: Option<Base>,
    /// SHA-256 of the definition (stored on creation).
    pub workflow_hash: String,
    /// The decisions, in order (at least one). Shared, not copied: the engine keeps them for its answer while
    /// the writer turns them into rows (each holds the instance's whole data).
    pub decisions: std::sync::Arc<[Decision]>,
    /// The instance's labels after the last decision (for list filters), if they changed.
    pub labels: Option<Vec<String>>,
    /// The instance's title and search terms after the last decision, if they changed: `Some` replaces the
    /// stored terms and sets the title (to none, too), `None` leaves both as they are.
    pub findable: Option<Findable>,
    /// A due timer this commit consumes (the timer's event is the first decision); the commit fails with
    /// [`crate::CommitError::Fenced`] if the lease was lost.
    pub consume_timer: Option<Fenced<TimerName>>,
    /// A step this commit marks done (its confirmation event is the first decision).
    pub complete_step: Option<(Fenced<i64>, Value)>,
    /// The reserved idempotency key of the request behind this commit: the commit records itself on the key
    /// in the same transaction, so a retry after a crash learns that the request took effect.
    pub idempotency: Option<IdempotencyMark>,
    /// Wall-clock time of enqueueing (outbox `created_at` and first `next_attempt_at`); `None` uses the
    /// decision's time. Delivery runs on the wall clock, whatever the business clock says.
    pub enqueued_at: Option<DateTime<Utc>>,
    /// Lease the commit's first step to this holder in the same transaction, if it is claimable at once (no
    /// earlier step of the instance is open): the caller delivers it without a separate claim.
    pub lease_first_step: Option<StepLease>,
}

/// A lease taken with a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepLease {
    /// The holder.
    pub owner: String,
    /// Until when.
    pub until: DateTime<Utc>,
}

/// Names a reserved idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyMark {
    /// The caller.
    pub actor: String,
    /// The key.
    pub key: String,
}

impl Commit {
    /// The instance after the commit.
    pub fn final_instance(&self) -> Option<&Instance> {
        self.decisions.last().map(|d| &d.instance)
    }
}

/// What a successful commit produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Committed {
    /// The stored instance after the commit (shared: the engine keeps it for the next command, `Arc` so that
    /// keeping it copies nothing).
    pub stored: std::sync::Arc<StoredInstance>,
    /// Ids of the outbox rows enqueued, in order.
    pub step_ids: Vec<i64>,
    /// The first enqueued step was leased to the holder asked for (fence 1), see [`Commit::lease_first_step`].
    pub first_step_leased: bool,
    /// When the step before the first enqueued one finished ([`StepRow::previous_completed_at`]).
    pub first_step_previous_completed_at: Option<DateTime<Utc>>,
}

/// The life of an outbox row.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum StepStatus {
    /// Waiting behind an earlier step of the same instance.
    Blocked,
    /// Ready to be claimed.
    Queued,
    /// Waiting while the external system is unavailable (still claimable: see [`StepOutcome::Suspended`]).
    Suspended,
    /// Claimed by a worker (leased).
    InFlight,
    /// Waiting for its next attempt.
    Retrying,
    /// Confirmed.
    Done,
    /// Refused for good; waits for a person.
    Failed,
    /// Skipped by a person.
    Skipped,
}

impl StepStatus {
    /// Still to be delivered (not done, failed or skipped).
    pub fn is_open(self) -> bool {
        match self {
            StepStatus::Blocked
            | StepStatus::Queued
            | StepStatus::Suspended
            | StepStatus::InFlight
            | StepStatus::Retrying => true,
            StepStatus::Done | StepStatus::Failed | StepStatus::Skipped => false,
        }
    }
}

/// An outbox row.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRow {
    /// Row id (global order of enqueueing).
    pub id: i64,
    /// The instance.
    pub uid: InstanceId,
    /// Position among the instance's steps (1-based).
    pub seq: u64,
    /// The instance revision that enqueued it.
    pub revision: u64,
    /// Step name.
    pub step: StepName,
    /// `background` or `blocking`.
    pub delivery: lpaflow_core::Delivery,
    /// For blocking steps: the event fired on confirmation.
    pub then_event: Option<String>,
    /// What the handler receives.
    pub payload: Value,
    /// Where it is.
    pub status: StepStatus,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's outcome is unknown (the next one reads back first).
    pub ambiguous: bool,
    /// When it may next be attempted.
    pub next_attempt_at: DateTime<Utc>,
    /// Current lease holder, if leased.
    pub lease_owner: Option<String>,
    /// Lease expiry.
    pub lease_until: Option<DateTime<Utc>>,
    /// Fencing token of the latest claim.
    pub fence: u64,
    /// The handler's result when done.
    pub result: Option<Value>,
    /// The last error.
    pub last_error: Option<Value>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When it finished.
    pub completed_at: Option<DateTime<Utc>>,
    /// When the instance's previous step (`seq - 1`) finished, if it has: a handler that must space its calls
    /// about one record (a store whose reads lag its writes) paces from it, whichever process delivered it.
    pub previous_completed_at: Option<DateTime<Utc>>,
}

/// How a delivery attempt ended, as recorded by the lease holder.
#[derive(Clone, Debug, PartialEq)]
pub enum StepOutcome {
    /// Confirmed; `result` is kept.
    Done {
        /// The handler's result.
        result: Value,
    },
    /// Try again at `next_attempt_at`; `ambiguous` if the attempt's effect is unknown.
    Retry {
        /// When.
        next_attempt_at: DateTime<Utc>,
        /// Why.
        error: Value,
        /// Whether the attempt may have taken effect.
        ambiguous: bool,
        /// Whether the attempt counts (suspensions and breaker refusals do not).
        count_attempt: bool,
    },
    /// Refused for good.
    Failed {
        /// Why.
        error: Value,
    },
    /// The external system is unavailable (outage, maintenance): the step waits as `suspended`, which shows
    /// people why it waits, without counting an attempt. Suspended steps stay claimable: each engine's circuit
    /// breaker and the shared maintenance windows decide when to send again.
    Suspended {
        /// Why.
        error: Value,
        /// Whether the step's effect is unknown after this attempt.
        ambiguous: bool,
    },
}

/// A lease holder's report on one claimed step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepFinish {
    /// The step and the fence it was claimed with.
    pub step: Fenced<i64>,
    /// The step's instance.
    pub uid: InstanceId,
    /// What happened.
    pub outcome: StepOutcome,
    /// When.
    pub at: DateTime<Utc>,
}

/// A due timer claimed by a worker.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimedTimer {
    /// The instance.
    pub uid: InstanceId,
    /// The timer.
    pub name: TimerName,
    /// When it fell due.
    pub fire_at: DateTime<Utc>,
    /// The event to fire.
    pub event: String,
    /// The event's payload.
    pub payload: Value,
    /// Fencing token of the claim.
    pub fence: u64,
}

/// A timer as listed for an instance.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimerRow {
    /// Name.
    pub name: TimerName,
    /// When it falls due.
    pub fire_at: DateTime<Utc>,
    /// The event it fires.
    pub event: String,
}

/// A page of a list, with the cursor of the next page if there is one.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Pass it back as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// The outbox backlog.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backlog {
    /// Open and failed rows by status.
    pub by_status: BTreeMap<String, u64>,
    /// When the oldest open step was enqueued.
    pub oldest_open_at: Option<DateTime<Utc>>,
}

impl Backlog {
    /// Steps not yet confirmed (queued, blocked, suspended, retrying, in flight).
    pub fn open(&self) -> u64 {
        self.by_status
            .iter()
            .filter(|(s, _)| s.parse::<StepStatus>().is_ok_and(StepStatus::is_open))
            .map(|(_, n)| n)
            .sum()
    }
}

/// An instance with steps not yet confirmed by the external system (the LPAs an outage holds up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingInstance {
    /// The instance.
    pub uid: InstanceId,
    /// Its open steps (queued, retrying, suspended, in flight, blocked behind another).
    pub open_steps: u64,
    /// When the oldest of them was enqueued.
    pub oldest_at: DateTime<Utc>,
}

/// A reveal to record: who asked to see one history entry's masked personal values, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReveal {
    /// The LPA.
    pub uid: InstanceId,
    /// The entry revealed.
    pub seq: u64,
    /// Who asked (the token's subject).
    pub actor: String,
    /// In which role.
    pub role: String,
    /// Why, in their words.
    pub reason: String,
    /// When.
    pub revealed_at: DateTime<Utc>,
}

/// A recorded reveal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reveal {
    /// Its number, in the order reveals were recorded.
    pub id: i64,
    /// What was recorded.
    pub reveal: NewReveal,
}

/// A console session as the server keeps it. `id` is the SHA-256 of the secret the browser holds (hex), so the
/// table alone gives no session away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleSession {
    /// SHA-256 of the browser's secret, hex.
    pub id: String,
    /// Who (the token's subject).
    pub subject: String,
    /// In which role.
    pub role: String,
    /// Signed in.
    pub created_at: DateTime<Utc>,
    /// Last used (updated at most once a minute).
    pub last_seen_at: DateTime<Utc>,
    /// The token's expiry: the session ends then at the latest.
    pub expires_at: DateTime<Utc>,
    /// When it ended (sign-out, revocation, another role, idle time).
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended.
    pub ended_why: Option<String>,
}

/// A planned maintenance window of the external system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceWindow {
    /// Row id.
    pub id: i64,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Why.
    pub reason: String,
    /// Who planned it.
    pub created_by: String,
    /// When it was planned.
    pub created_at: DateTime<Utc>,
}

/// A definition as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDefinition {
    /// Name.
    pub name: String,
    /// Version.
    pub version: u32,
    /// SHA-256 of the source.
    pub hash: String,
    /// The TOML text.
    pub source: String,
    /// When it was first loaded.
    pub loaded_at: DateTime<Utc>,
}

/// What reserving an idempotency key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reservation {
    /// The key is new (or an abandoned reservation was taken over): go ahead, then complete it.
    Reserved,
    /// The same request was completed before: answer with its response.
    Completed {
        /// The original status.
        status: u16,
        /// The original body.
        response: String,
    },
    /// The same request was committed (at `revision` of `uid`) but its response was not stored, and its
    /// holder has been silent longer than the lock timeout (it died in between): answer from the instance as it
    /// is now. (While the holder may still be finishing, the key reads as [`Reservation::InProgress`].)
    Committed {
        /// The instance the request changed.
        uid: InstanceId,
        /// The revision its commit produced.
        revision: u64,
    },
    /// The same request is being processed by someone else right now.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
}

/// An engine process as it registered itself (`nodes`): its heartbeat says it is alive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRow {
    /// The node id (`--node-id`), the owner name of its leases.
    pub node_id: String,
    /// When it registered (started, or re-registered after it was taken over).
    pub started_at: DateTime<Utc>,
    /// Its last heartbeat.
    pub heartbeat_at: DateTime<Utc>,
    /// Where it can be reached, for diagnostics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// Who beats: a node id, this registration of it, and its takeover bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeIdentity {
    /// The node id (the owner name of its leases).
    pub node_id: String,
    /// This registration: a paused process that wakes after a restart under the same id beats for an old
    /// incarnation and learns it was replaced.
    pub incarnation: String,
    /// Where it can be reached (diagnostics).
    pub address: Option<String>,
    /// Its takeover bound: another process is dead to it after this long without a beat, and it is dead to
    /// another only after the longer of the two bounds.
    pub dead_after: std::time::Duration,
}

impl NodeIdentity {
    /// The bound in whole milliseconds, as stored.
    pub fn dead_after_ms(&self) -> i64 {
        i64::try_from(self.dead_after.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A dead node whose leases a heartbeat released.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TakenOver {
    /// The dead node.
    pub node_id: String,
    /// Its last heartbeat.
    pub heartbeat_at: DateTime<Utc>,
    /// Step leases released (the steps are retried at once, ambiguous: read back before any re-send).
    pub steps: u64,
    /// Timer leases released.
    pub timers: u64,
}

/// What one heartbeat learned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Heartbeat {
    /// False when this node's row was gone: another process took it over (it must register again, and its
    /// leases are no longer its own).
    pub registered: bool,
    /// Dead nodes this heartbeat took over.
    pub taken_over: Vec<TakenOver>,
    /// Nodes whose heartbeat is within the bound (this one included when registered).
    pub alive: u64,
    /// When the soonest of the other nodes not yet overdue becomes overdue if it does not beat again (in the
    /// caller's clock, like `now`): a survivor beats again then instead of waiting for its next tick, so a dead
    /// process is taken over at the bound, not up to a heartbeat interval later. A node already overdue but
    /// not taken over by this beat (another survivor holds it, or the takeover was withheld) is left to the
    /// next tick, so it cannot hide a later deadline.
    pub next_overdue_at: Option<DateTime<Utc>>,
    /// The database's own clock, read inside the heartbeat's transaction: the one clock every process shares,
    /// against which each process checks its own (see `lpaflow_engine::liveness`).
    pub database_now: DateTime<Utc>,
}

/// Whether a heartbeat may take other processes over. A process whose clock disagrees with the database's
/// beats without taking anyone over: its idea of "silent for longer than the bound" cannot be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Takeover {
    /// Take over every node silent for longer than the bound.
    Allowed,
    /// Only beat.
    Withheld,
}
