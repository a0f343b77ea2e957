//! lpaflow-store: the durable store of lpaflow, on SQLite (one file) or PostgreSQL (shared by several engine
//! processes), with the same behaviour on both (one conformance suite runs against each).
//!
//! Guarantees:
//! - A [`Commit`] (one command's decisions) is atomic: instance row (compare-and-set on revision), one
//!   hash-chained history row per decision, outbox rows, timer changes, labels, title and search terms. A
//!   stale revision is [`CommitError::Conflict`]; nothing of a refused commit is visible.
//! - Commits submitted concurrently share transactions (group commit); each caller is answered only after its
//!   own commit is durable, and a commit that fails does not fail the others.
//! - History is append-only (triggers refuse UPDATE and DELETE) and verifiable ([`Store::verify`]).
//! - Outbox steps and timers are claimed with leases and fencing tokens; only the current holder's report
//!   applies; an instance's steps are delivered strictly in order.

mod chain_rows;
mod cursor;
mod db;
mod error;
mod finished;
mod group_commit;
mod list;
mod log;
pub mod model;
mod postgres;
mod prepare;
mod sqlite;
mod submitted;
mod time;
pub mod url;
mod verify;
mod writer;

pub use cursor::MAX_PAGE;
pub use error::{CommitError, Error, Failure};
pub use log::LogTree;
pub use model::*;
pub use submitted::Submitted;
pub use verify::{BrokenChain, Orphan, VerifyReport};
pub use writer::{WriterOptions, WriterStats};

use chrono::{DateTime, Utc};
use db::Db;
use lpaflow_core::history::{ChainHead, StoredEntry};
use lpaflow_core::{InstanceId, TimerName};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;
use url::DatabaseUrl;

/// How to open a store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// `sqlite://PATH` or `postgres://...` (`?schema=NAME`, default `lpaflow`).
    pub url: String,
    /// Connections in the pool.
    pub max_connections: u32,
    /// Group-commit limits.
    pub writer: WriterOptions,
    /// SQLite's page cache per connection, in MiB: the process's memory can reach
    /// `max_connections` times this. Ignored on PostgreSQL.
    pub sqlite_cache_mib: u32,
    /// Open an existing database without changing it (see [`Store::open_read_only`]).
    pub read_only: bool,
}

impl StoreOptions {
    /// Defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            writer: WriterOptions::default(),
            sqlite_cache_mib: 64,
            read_only: false,
        }
    }
}

/// Which backend a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::Display, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The store. Cheap to clone; every clone shares one pool and one group-commit writer.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    backend: Backend,
    masked_url: String,
    ops: std::sync::RwLock<Option<mpsc::Sender<writer::Op>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<WriterStats>,
    /// The failure of the last write, until a write succeeds again (for readiness).
    last_write: std::sync::Mutex<Option<WriteFailure>>,
}

/// Writes are failing: since when, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteFailure {
    /// The kind of failure.
    pub failure: Failure,
    /// The first failed write of this run of failures (wall clock).
    pub since: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.inner.masked_url)
            .finish()
    }
}

impl Store {
    /// Connects to the database at `options.url` (without migrating it).
    pub async fn connect(options: StoreOptions) -> Result<Self, Error> {
        let masked_url = url::mask_password(&options.url);
        let (db, backend) = match DatabaseUrl::parse(&options.url)? {
            DatabaseUrl::Sqlite { path } => (
                Db::Sqlite(
                    sqlite::SqliteDb::open(
                        &path,
                        options.max_connections,
                        options.sqlite_cache_mib,
                        options.read_only,
                    )
                    .await?,
                ),
                Backend::Sqlite,
            ),
            DatabaseUrl::Postgres { url, schema } => (
                Db::Postgres(
                    postgres::PgDb::open(&url, &schema, options.max_connections, options.read_only)
                        .await?,
                ),
                Backend::Postgres,
            ),
        };
        let (ops, rx) = mpsc::channel(options.writer.queue_capacity.max(1));
        let stats = Arc::new(WriterStats::default());
        let handle = tokio::spawn(writer::run(db.clone(), rx, options.writer, stats.clone()));
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                backend,
                masked_url,
                ops: std::sync::RwLock::new(Some(ops)),
                writer: Mutex::new(Some(handle)),
                stats,
                last_write: std::sync::Mutex::new(None),
            }),
        })
    }

    /// Connects and applies pending migrations.
    pub async fn open(options: StoreOptions) -> Result<Self, Error> {
        let store = Self::connect(options).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens an existing, fully migrated database without changing anything in it: a SQLite file that does
    /// not exist is [`Error::NoDatabase`] (never created), a database that lacks migrations is
    /// [`Error::NotMigrated`]. For auditors' tools.
    pub async fn open_read_only(options: StoreOptions) -> Result<Self, Error> {
        let store = Self::connect(StoreOptions {
            read_only: true,
            ..options
        })
        .await?;
        let missing = store.inner.db.missing_migrations().await?;
        if !missing.is_empty() {
            store.shutdown().await;
            return Err(Error::NotMigrated(missing));
        }
        Ok(store)
    }

    /// Whether this connection could switch off the history's append-only triggers: on PostgreSQL, when its
    /// role owns the table (or is a superuser); on SQLite always (whoever can write the file can). `serve` warns
    /// on PostgreSQL: the serving role should be one that was only granted what it needs (`docs/audit.md`).
    pub async fn can_alter_history(&self) -> Result<bool, Error> {
        self.inner.db.can_alter_history().await
    }

    /// PostgreSQL: grants `role` (the role `serve` connects as) what the engine needs, and on history only
    /// SELECT and INSERT. Run as the role that owns the tables, after [`Store::migrate`].
    pub async fn grant_serving_role(&self, role: &str) -> Result<(), Error> {
        self.inner.db.grant_serving_role(role).await
    }

    /// Applies pending migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), Error> {
        self.inner.db.migrate().await
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The URL with its password masked.
    pub fn url(&self) -> &str {
        &self.inner.masked_url
    }

    /// Proves the database answers.
    pub async fn ping(&self) -> Result<(), Error> {
        self.inner.db.ping().await
    }

    /// Finishes every queued write, stops the writer and closes the pool. Later writes fail with
    /// [`Error::ShuttingDown`].
    pub async fn shutdown(&self) {
        drop(
            self.inner
                .ops
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        );
        let handle = self.inner.writer.lock().await.take();
        if let Some(handle) = handle {
            // The writer drains what was queued and stops once the last sender (including any in a send right
            // now) is gone.
            let _ = handle.await;
        }
        self.inner.db.close().await;
    }

    fn sender(&self) -> Result<mpsc::Sender<writer::Op>, Error> {
        self.inner
            .ops
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(Error::ShuttingDown)
    }

    /// Transactions and commits the group-commit writer has written so far, and the microseconds it spent.
    pub fn writer_counts(&self) -> (u64, u64, u64) {
        let s = &self.inner.stats;
        (
            s.transactions.load(Ordering::Relaxed),
            s.commits.load(Ordering::Relaxed),
            s.busy_us.load(Ordering::Relaxed),
        )
    }

    /// Transactions the group-commit writer started while another of its lanes was writing one (PostgreSQL).
    pub fn writer_overlapped(&self) -> u64 {
        self.inner.stats.overlapped.load(Ordering::Relaxed)
    }

    /// Microseconds the group-commit writer has spent so far waiting, with commits in hand, for the commits of
    /// callers still preparing theirs (`WriterOptions::max_wait_us`).
    pub fn writer_gathering_us(&self) -> u64 {
        self.inner.stats.gathering_us.load(Ordering::Relaxed)
    }

    /// Callers inside a commit right now (preparing, queued or waiting for their answer).
    pub fn commits_in_flight(&self) -> usize {
        self.inner.stats.in_flight.load(Ordering::Relaxed)
    }

    /// Commits one command's decisions atomically, sharing a transaction with concurrent commits.
    pub async fn commit(&self, commit: Commit) -> Result<Committed, CommitError> {
        self.submit(commit).await?.await
    }

    /// Remembers whether the last write failed, and how.
    pub(crate) fn note_write(&self, failure: Option<Failure>) {
        let mut last = self
            .inner
            .last_write
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match (failure, last.as_ref()) {
            (None, _) => *last = None,
            (Some(f), Some(w)) if w.failure == f => {}
            (Some(failure), _) => {
                *last = Some(WriteFailure {
                    failure,
                    since: chrono::Utc::now(),
                })
            }
        }
    }

    /// Set while writes fail (the last commit or step report failed in the database), cleared by the next
    /// write that succeeds. A database that answers reads but refuses writes (read-only, full disk) shows here.
    pub fn write_failure(&self) -> Option<WriteFailure> {
        self.inner
            .last_write
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Records lease holders' reports on steps; per report, whether it applied (`false`: lease lost).
    pub async fn finish_steps(&self, finishes: Vec<StepFinish>) -> Result<Vec<bool>, Error> {
        if finishes.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.sender()?
            .send(writer::Op::Finish(finishes, reply))
            .await
            .map_err(|_| Error::ShuttingDown)?;
        let result = answer.await.map_err(|_| Error::ShuttingDown)?;
        self.note_write(result.as_ref().err().map(Error::failure));
        result
    }

    /// One instance.
    pub async fn get(&self, uid: &InstanceId) -> Result<Option<StoredInstance>, Error> {
        self.inner.db.get(uid).await
    }

    /// A page of instances (caseworker queues).
    pub async fn list(&self, query: &ListQuery) -> Result<Page<InstanceSummary>, Error> {
        self.inner.db.list(query).await
    }

    /// How many instances `query`'s filters match (its cursor, order and page size do not count): a queue's
    /// or a search's size.
    pub async fn count(&self, query: &ListQuery) -> Result<u64, Error> {
        self.inner.db.count(query).await
    }

    /// History entries of `uid` after `after_seq`, at most `limit`.
    pub async fn history(
        &self,
        uid: &InstanceId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, Error> {
        self.inner.db.history(uid, after_seq, limit).await
    }

    /// The chain head of one instance (revision and last hash), to publish elsewhere.
    pub async fn chain_head(&self, uid: &InstanceId) -> Result<Option<ChainHead>, Error> {
        self.inner.db.chain_head(uid).await
    }

    /// Chain heads in uid order after `after`, at most `limit`.
    pub async fn chain_heads(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<(InstanceId, ChainHead)>, Error> {
        self.inner.db.chain_heads(after, limit).await
    }

    /// The data of up to `limit` (1 to [`MAX_PAGE`]) instances of `workflow` whose uid sorts after `after`
    /// (from the first when `None`), in uid order: a full scan in pages for reports. Pass the last uid of a page
    /// as `after` for the next; a page shorter than `limit` is the last.
    pub async fn instances_data(
        &self,
        workflow: &str,
        after: Option<&InstanceId>,
        limit: u32,
    ) -> Result<Vec<(InstanceId, serde_json::Value)>, Error> {
        let after = after.map_or("", InstanceId::as_str);
        self.inner.db.instances_data(workflow, after, limit).await
    }

    /// Instances without a title (never indexed, or with nothing to title them by) after `after`, in uid
    /// order, at most `limit`: what [`Store::write_indexes`] brings up to date after an upgrade.
    pub async fn untitled(
        &self,
        after: Option<&InstanceId>,
        limit: u32,
    ) -> Result<Vec<StoredInstance>, Error> {
        let after = after.map_or("", InstanceId::as_str);
        self.inner.db.untitled(after, limit).await
    }

    /// Replaces the labels, title and search terms of `uid` with ones computed from it at `revision`, if it is
    /// still at that revision (a commit meanwhile wrote its own); whether they were written.
    pub async fn write_indexes(
        &self,
        uid: &InstanceId,
        revision: u64,
        labels: &[String],
        findable: &lpaflow_core::Findable,
    ) -> Result<bool, Error> {
        self.inner
            .db
            .write_indexes(uid.as_str(), revision, labels, findable)
            .await
    }

    /// Instances per (workflow, state).
    pub async fn count_by_state(&self) -> Result<Vec<(String, String, u64)>, Error> {
        self.inner.db.count_by_state().await
    }

    /// Records a definition's text.
    pub async fn save_definition(
        &self,
        name: &str,
        version: u32,
        hash: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.inner
            .db
            .save_definition(name, version, hash, source, now)
            .await
    }

    /// Every definition ever loaded.
    pub async fn definitions(&self) -> Result<Vec<StoredDefinition>, Error> {
        self.inner.db.definitions().await
    }

    /// (name, version, hash) of the definitions instances are pinned to.
    pub async fn pinned_definitions(&self) -> Result<Vec<(String, u32, String)>, Error> {
        self.inner.db.pinned_definitions().await
    }

    /// Claims due steps for `owner` until `lease_until`.
    pub async fn claim_steps(
        &self,
        owner: &str,
        limit: u32,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<StepRow>, Error> {
        self.inner
            .db
            .claim_steps(owner, limit, lease_until, now)
            .await
    }

    /// Every step of one instance.
    pub async fn steps_of(&self, uid: &InstanceId) -> Result<Vec<StepRow>, Error> {
        self.inner.db.steps_of(uid).await
    }

    /// One step.
    pub async fn step(&self, id: i64) -> Result<Option<StepRow>, Error> {
        self.inner.db.step(id).await
    }

    /// The outbox backlog.
    pub async fn backlog(&self) -> Result<Backlog, Error> {
        self.inner.db.backlog().await
    }

    /// The `limit` instances whose oldest open step is the oldest (those an outage holds up longest), with
    /// how many steps each has open. Failed and skipped steps are not open.
    pub async fn waiting_instances(&self, limit: u32) -> Result<Vec<WaitingInstance>, Error> {
        self.inner.db.waiting_instances(limit).await
    }

    /// Marks queued and retrying steps `suspended`, so people see they wait for the external system.
    pub async fn suspend_ready_steps(&self) -> Result<u64, Error> {
        self.inner.db.suspend_ready_steps().await
    }

    /// Marks suspended steps `queued` again, due at once.
    pub async fn resume_suspended(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        self.inner.db.resume_suspended(now).await
    }

    /// Retries a failed step.
    pub async fn retry_failed_step(&self, id: i64, now: DateTime<Utc>) -> Result<bool, Error> {
        self.inner.db.retry_failed_step(id, now).await
    }

    /// Skips a failed step.
    pub async fn skip_failed_step(&self, id: i64, now: DateTime<Utc>) -> Result<bool, Error> {
        self.inner.db.skip_failed_step(id, now).await
    }

    /// Releases `owner`'s step leases.
    pub async fn release_step_leases(&self, owner: &str, now: DateTime<Utc>) -> Result<u64, Error> {
        self.inner.db.release_step_leases(owner, now).await
    }

    /// Gives back the first step leased in a commit with `lease` ([`Commit::lease_first_step`]) when the
    /// commit's outcome is unknown (the connection failed before the reply) and the step was therefore never
    /// handed to a delivery loop. Without this the step would wait for its lease to expire. Only that exact
    /// lease (owner and expiry time, fence 1, no attempt) is released, never one a claim or a later commit
    /// took on the same step. Returns whether a lease was released: false when the commit did not happen, or
    /// the step already moved on.
    pub async fn release_unsent_step(
        &self,
        uid: &InstanceId,
        seq: u64,
        lease: &StepLease,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        self.inner
            .db
            .release_unsent_step(uid, seq, lease, now)
            .await
    }

    /// Claims due timers.
    pub async fn claim_timers(
        &self,
        owner: &str,
        limit: u32,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ClaimedTimer>, Error> {
        self.inner
            .db
            .claim_timers(owner, limit, lease_until, now)
            .await
    }

    /// Puts a claimed timer off.
    pub async fn defer_timer(
        &self,
        uid: &InstanceId,
        name: &TimerName,
        fence: u64,
        until: DateTime<Utc>,
    ) -> Result<bool, Error> {
        self.inner.db.defer_timer(uid, name, fence, until).await
    }

    /// Drops a claimed timer.
    pub async fn drop_timer(
        &self,
        uid: &InstanceId,
        name: &TimerName,
        fence: u64,
    ) -> Result<bool, Error> {
        self.inner.db.drop_timer(uid, name, fence).await
    }

    /// Timers of one instance.
    pub async fn timers_of(&self, uid: &InstanceId) -> Result<Vec<TimerRow>, Error> {
        self.inner.db.timers_of(uid).await
    }

    /// When the next timer falls due.
    pub async fn next_timer_at(&self) -> Result<Option<DateTime<Utc>>, Error> {
        self.inner.db.next_timer_at().await
    }

    /// Releases `owner`'s timer leases.
    pub async fn release_timer_leases(&self, owner: &str) -> Result<u64, Error> {
        self.inner.db.release_timer_leases(owner).await
    }

    /// Reserves an idempotency key.
    pub async fn reserve_idempotency_key(
        &self,
        actor: &str,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<Reservation, Error> {
        self.inner
            .db
            .reserve_idempotency_key(actor, key, request_hash, now, abandoned_before)
            .await
    }

    /// Stores a reserved key's response.
    pub async fn complete_idempotency_key(
        &self,
        actor: &str,
        key: &str,
        status: u16,
        response: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.inner
            .db
            .complete_idempotency_key(actor, key, status, response, now)
            .await
    }

    /// Forgets an unanswered reservation made at `reserved_at` (the `now` given to
    /// [`Store::reserve_idempotency_key`]): the time is the holder's token, so a holder never releases a
    /// reservation that another request took over (which sets its own time), and a reservation whose outcome
    /// the holder never learned (the database failed while answering) can still be given back.
    pub async fn release_idempotency_key(
        &self,
        actor: &str,
        key: &str,
        reserved_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.inner
            .db
            .release_idempotency_key(actor, key, reserved_at)
            .await
    }

    /// Deletes keys created before `before`.
    pub async fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, Error> {
        self.inner.db.purge_idempotency_keys(before).await
    }

    /// Plans a maintenance window.
    pub async fn add_maintenance(
        &self,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        reason: &str,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> Result<MaintenanceWindow, Error> {
        self.inner
            .db
            .add_maintenance(starts_at, ends_at, reason, created_by, now)
            .await
    }

    /// Windows not yet over.
    pub async fn maintenance_windows(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<MaintenanceWindow>, Error> {
        self.inner.db.maintenance_windows(now).await
    }

    /// Removes a window.
    pub async fn remove_maintenance(&self, id: i64) -> Result<bool, Error> {
        self.inner.db.remove_maintenance(id).await
    }

    /// Records a new console session.
    pub async fn start_session(&self, s: &ConsoleSession) -> Result<(), Error> {
        self.inner.db.start_session(s).await
    }

    /// Console session `id` (the SHA-256 of its secret), ended or not.
    pub async fn session(&self, id: &str) -> Result<Option<ConsoleSession>, Error> {
        self.inner.db.session(id).await
    }

    /// Notes that console session `id` was used at `now`.
    pub async fn touch_session(&self, id: &str, now: DateTime<Utc>) -> Result<(), Error> {
        self.inner.db.touch_session(id, now).await
    }

    /// Ends console session `id`; `false` when it had ended already or does not exist.
    pub async fn end_session(
        &self,
        id: &str,
        now: DateTime<Utc>,
        why: &str,
    ) -> Result<bool, Error> {
        self.inner.db.end_session(id, now, why).await
    }

    /// Ends the open console sessions of `subject` in any role but `role`; returns how many.
    pub async fn end_other_role_sessions(
        &self,
        subject: &str,
        role: &str,
        now: DateTime<Utc>,
        why: &str,
    ) -> Result<u64, Error> {
        self.inner
            .db
            .end_other_role_sessions(subject, role, now, why)
            .await
    }

    /// Console sessions open at `now`, most recently used first (at most `limit`).
    pub async fn open_sessions(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ConsoleSession>, Error> {
        self.inner.db.open_sessions(now, limit).await
    }

    /// Registers the engine process `node` (again: a new incarnation), alive at `now`.
    pub async fn register_node(
        &self,
        node: &NodeIdentity,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.inner.db.register_node(node, now).await
    }

    /// One heartbeat of `node` at `now`, in one transaction: its row is touched (`registered` false when it is
    /// gone or holds another incarnation: another process took this one over, or a restart under the same id
    /// replaced it), and every other node silent for longer than the longer of the two bounds is taken over: its step leases are released as after a restart (retried at once, ambiguous, so they are
    /// read back before any re-send; a late outcome from the dead process is refused by the fence), its timer
    /// leases released, its row deleted.
    pub async fn heartbeat(
        &self,
        node: &NodeIdentity,
        now: DateTime<Utc>,
    ) -> Result<Heartbeat, Error> {
        self.inner.db.heartbeat(node, now, Takeover::Allowed).await
    }

    /// A heartbeat that takes nobody over when `takeover` is [`Takeover::Withheld`] (this process's clock
    /// disagrees with the database's); otherwise [`Store::heartbeat`].
    pub async fn heartbeat_with(
        &self,
        node: &NodeIdentity,
        now: DateTime<Utc>,
        takeover: Takeover,
    ) -> Result<Heartbeat, Error> {
        self.inner.db.heartbeat(node, now, takeover).await
    }

    /// The database's clock now (PostgreSQL's `clock_timestamp()`; SQLite's is this host's clock).
    pub async fn database_now(&self) -> Result<DateTime<Utc>, Error> {
        self.inner.db.database_now().await
    }

    /// Every registered engine process.
    pub async fn nodes(&self) -> Result<Vec<NodeRow>, Error> {
        self.inner.db.nodes().await
    }

    /// Removes the engine process `node_id` (graceful shutdown).
    pub async fn deregister_node(&self, node_id: &str) -> Result<(), Error> {
        self.inner.db.deregister_node(node_id).await
    }

    /// Records that `reveal.actor` asked to see entry `reveal.seq` of LPA `reveal.uid` unmasked; its number.
    /// Reveals are append-only (triggers refuse any change; on PostgreSQL the serving role may only insert).
    pub async fn record_reveal(&self, reveal: &NewReveal) -> Result<i64, Error> {
        self.inner.db.record_reveal(reveal).await
    }

    /// The latest `limit` reveals of LPA `uid`, newest first.
    pub async fn reveals(&self, uid: &InstanceId, limit: u32) -> Result<Vec<Reveal>, Error> {
        self.inner.db.reveals(uid, limit).await
    }
}
