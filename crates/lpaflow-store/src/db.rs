//! The backend a store runs on. Each backend offers the same methods; this enum forwards to the one in use.

use crate::model::{
    Backlog, ClaimedTimer, Committed, ConsoleSession, Heartbeat, InstanceSummary, ListQuery,
    MaintenanceWindow, NewReveal, NodeIdentity, NodeRow, Page, Reservation, Reveal, StepFinish,
    StepLease, StepRow, StoredDefinition, StoredInstance, Takeover, TimerRow, WaitingInstance,
};
use crate::postgres::PgDb;
use crate::prepare::Prepared;
use crate::sqlite::SqliteDb;
use crate::{CommitError, Error};
use chrono::{DateTime, Utc};
use lpaflow_core::history::{ChainHead, StoredEntry};
use lpaflow_core::{InstanceId, TimerName};
use serde_json::Value;

/// A connected backend.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqliteDb),
    Postgres(PgDb),
}

macro_rules! forward {
    ($( $(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        impl Db {
            $(
                $(#[$doc])*
                pub(crate) async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    match self {
                        Db::Sqlite(db) => db.$name($($arg),*).await,
                        Db::Postgres(db) => db.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

forward! {
    fn migrate(&self) -> Result<(), Error>;
    fn ping(&self) -> Result<(), Error>;
    fn missing_migrations(&self) -> Result<Vec<i64>, Error>;
    fn can_alter_history(&self) -> Result<bool, Error>;
    fn grant_serving_role(&self, role: &str) -> Result<(), Error>;
    fn close(&self) -> ();
    fn get(&self, uid: &InstanceId) -> Result<Option<StoredInstance>, Error>;
    fn list(&self, q: &ListQuery) -> Result<Page<InstanceSummary>, Error>;
    fn count(&self, q: &ListQuery) -> Result<u64, Error>;
    fn history(&self, uid: &InstanceId, after_seq: u64, limit: u32) -> Result<Vec<StoredEntry>, Error>;
    fn chain_head(&self, uid: &InstanceId) -> Result<Option<ChainHead>, Error>;
    fn chain_heads(&self, after: &str, limit: u32) -> Result<Vec<(InstanceId, ChainHead)>, Error>;
    fn orphaned_history(&self) -> Result<Vec<(InstanceId, u64)>, Error>;
    fn log_entries(&self) -> Result<Vec<lpaflow_core::log::LogEntry>, Error>;
    fn unindexed_history(&self) -> Result<Vec<(InstanceId, u64)>, Error>;
    fn log_size(&self) -> Result<u64, Error>;
    fn save_checkpoint(&self, tree_size: u64, taken_at: DateTime<Utc>, checkpoint: &str) -> Result<(), Error>;
    fn latest_checkpoint(&self) -> Result<Option<String>, Error>;
    fn instances_data(&self, workflow: &str, after: &str, limit: u32) -> Result<Vec<(InstanceId, Value)>, Error>;
    fn count_by_state(&self) -> Result<Vec<(String, String, u64)>, Error>;
    fn untitled(&self, after: &str, limit: u32) -> Result<Vec<StoredInstance>, Error>;
    fn write_indexes(&self, uid: &str, revision: u64, labels: &[String], findable: &lpaflow_core::Findable) -> Result<bool, Error>;
    fn save_definition(&self, name: &str, version: u32, hash: &str, source: &str, now: DateTime<Utc>) -> Result<(), Error>;
    fn definitions(&self) -> Result<Vec<StoredDefinition>, Error>;
    fn pinned_definitions(&self) -> Result<Vec<(String, u32, String)>, Error>;
    fn claim_steps(&self, owner: &str, limit: u32, lease_until: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<StepRow>, Error>;
    fn finish_steps(&self, finishes: &[StepFinish]) -> Result<Vec<bool>, Error>;
    fn steps_of(&self, uid: &InstanceId) -> Result<Vec<StepRow>, Error>;
    fn step(&self, id: i64) -> Result<Option<StepRow>, Error>;
    fn backlog(&self) -> Result<Backlog, Error>;
    fn suspend_ready_steps(&self) -> Result<u64, Error>;
    fn resume_suspended(&self, now: DateTime<Utc>) -> Result<u64, Error>;
    fn retry_failed_step(&self, id: i64, now: DateTime<Utc>) -> Result<bool, Error>;
    fn skip_failed_step(&self, id: i64, now: DateTime<Utc>) -> Result<bool, Error>;
    fn release_step_leases(&self, owner: &str, now: DateTime<Utc>) -> Result<u64, Error>;
    fn release_unsent_step(&self, uid: &InstanceId, seq: u64, lease: &StepLease, now: DateTime<Utc>) -> Result<bool, Error>;
    fn claim_timers(&self, owner: &str, limit: u32, lease_until: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<ClaimedTimer>, Error>;
    fn defer_timer(&self, uid: &InstanceId, name: &TimerName, fence: u64, until: DateTime<Utc>) -> Result<bool, Error>;
    fn drop_timer(&self, uid: &InstanceId, name: &TimerName, fence: u64) -> Result<bool, Error>;
    fn timers_of(&self, uid: &InstanceId) -> Result<Vec<TimerRow>, Error>;
    fn next_timer_at(&self) -> Result<Option<DateTime<Utc>>, Error>;
    fn release_timer_leases(&self, owner: &str) -> Result<u64, Error>;
    fn reserve_idempotency_key(&self, actor: &str, key: &str, request_hash: &str, now: DateTime<Utc>, abandoned_before: DateTime<Utc>) -> Result<Reservation, Error>;
    fn complete_idempotency_key(&self, actor: &str, key: &str, status: u16, response: &str, now: DateTime<Utc>) -> Result<(), Error>;
    fn release_idempotency_key(&self, actor: &str, key: &str, reserved_at: DateTime<Utc>) -> Result<(), Error>;
    fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, Error>;
    fn add_maintenance(&self, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, reason: &str, created_by: &str, now: DateTime<Utc>) -> Result<MaintenanceWindow, Error>;
    fn maintenance_windows(&self, now: DateTime<Utc>) -> Result<Vec<MaintenanceWindow>, Error>;
    fn remove_maintenance(&self, id: i64) -> Result<bool, Error>;
    fn start_session(&self, s: &ConsoleSession) -> Result<(), Error>;
    fn session(&self, id: &str) -> Result<Option<ConsoleSession>, Error>;
    fn touch_session(&self, id: &str, now: DateTime<Utc>) -> Result<(), Error>;
    fn end_session(&self, id: &str, now: DateTime<Utc>, why: &str) -> Result<bool, Error>;
    fn end_other_role_sessions(&self, subject: &str, role: &str, now: DateTime<Utc>, why: &str) -> Result<u64, Error>;
    fn open_sessions(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ConsoleSession>, Error>;
    fn register_node(&self, node: &NodeIdentity, now: DateTime<Utc>) -> Result<(), Error>;
    fn heartbeat(&self, node: &NodeIdentity, now: DateTime<Utc>, takeover: Takeover) -> Result<Heartbeat, Error>;
    fn database_now(&self) -> Result<DateTime<Utc>, Error>;
    fn nodes(&self) -> Result<Vec<NodeRow>, Error>;
    fn deregister_node(&self, node_id: &str) -> Result<(), Error>;
    fn record_reveal(&self, reveal: &NewReveal) -> Result<i64, Error>;
    fn waiting_instances(&self, limit: u32) -> Result<Vec<WaitingInstance>, Error>;
    fn reveals(&self, uid: &InstanceId, limit: u32) -> Result<Vec<Reveal>, Error>;
}

impl Db {
    /// How many transactions the group-commit writer runs at once (`wanted`, 0 for the default; see
    /// `writer.rs`): SQLite writes one at a time whatever it is given; PostgreSQL leaves at least one of its
    /// connections to everything else (claims, reads, idempotency keys).
    pub(crate) fn writer_lanes(&self, wanted: usize) -> usize {
        match self {
            Db::Sqlite(_) => 1,
            Db::Postgres(pg) => {
                let wanted = if wanted == 0 { 2 } else { wanted };
                let spare = (pg.max_connections() as usize).saturating_sub(1).max(1);
                wanted.min(spare)
            }
        }
    }

    /// Writes a batch of prepared commits (one result each, in order).
    pub(crate) async fn commit_batch(
        &self,
        batch: &[Prepared],
    ) -> Vec<Result<Committed, CommitError>> {
        match self {
            Db::Sqlite(db) => crate::group_commit::commit_batch(db, batch).await,
            Db::Postgres(db) => crate::group_commit::commit_batch(db, batch).await,
        }
    }
}
