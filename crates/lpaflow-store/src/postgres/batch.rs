//! The batch statements of a commit, one per table, each expanding its rows from one typed array parameter per
//! column with `UNNEST`. The SQL is constant (prepared once per connection); values are bound in the binary
//! protocol, times as `timestamptz` built from the prepared rows' integer microseconds, which is exact.

use super::{int, pg_time};
use crate::prepare::{
    HistoryRow, IdempotencyRow, Indexed, InstanceRow, LabelRow, OutboxRow, StepCompletionRow,
    TermRow, TimerConsumeRow, TimerKeyRow, TimerSetRow,
};
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;

pub(super) type Q<'a> = Query<'a, Postgres, PgArguments>;

/// One column of `rows`.
fn col<'r, R, T>(rows: &[&'r R], f: impl Fn(&'r R) -> T) -> Vec<T> {
    rows.iter().map(|r| f(r)).collect()
}

/// Locks the instance rows of `uids` in uid order, before anything else of the batch is touched: the one lock
/// order every writer of this backend follows (instances, then outbox and timers).
pub(super) const LOCK_INSTANCES: &str =
    "SELECT uid FROM instances WHERE uid = ANY($1) ORDER BY uid FOR NO KEY UPDATE";

/// Each step is reached by its id. Its uid is checked, not searched by: with the writer's joins by index probe
/// (`PgDb::begin_write`) the planner preferred `outbox_open_by_uid`, which walks every open step of the
/// instance before the one reported (5,000 queued behind it: 17.8 ms against 0.25 ms by id).
const COMPLETE_STEPS: &str = "UPDATE outbox SET status = 'done', result = v.result, completed_at = v.at, \
       lease_owner = NULL, lease_until = NULL, attempts = attempts + 1, ambiguous = false \
     FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[], $5::text[]) AS v(id, fence, result, at, uid) \
     WHERE outbox.id = v.id AND (outbox.uid = v.uid) IS TRUE AND outbox.fence = v.fence \
       AND outbox.status = 'in_flight' \
     RETURNING outbox.id, outbox.uid, outbox.seq";

pub(super) fn complete_steps<'a>(rows: &[&'a StepCompletionRow]) -> Q<'a> {
    sqlx::query(COMPLETE_STEPS)
        .bind(col(rows, |r| r.id))
        .bind(col(rows, |r| int(r.fence)))
        .bind(col(rows, |r| r.result.as_str()))
        .bind(col(rows, |r| pg_time(r.at)))
        .bind(col(rows, |r| r.uid.as_str()))
}

const CONSUME_TIMERS: &str = "DELETE FROM timers \
     USING unnest($1::text[], $2::text[], $3::bigint[]) AS v(uid, name, fence) \
     WHERE timers.uid = v.uid AND timers.name = v.name AND timers.fence = v.fence RETURNING timers.uid";

pub(super) fn consume_timers<'a>(rows: &[&'a TimerConsumeRow]) -> Q<'a> {
    sqlx::query(CONSUME_TIMERS)
        .bind(col(rows, |r| r.uid.as_str()))
        .bind(col(rows, |r| r.name.as_str()))
        .bind(col(rows, |r| int(r.fence)))
}

const PROMOTE_NEXT_STEPS: &str = "UPDATE outbox SET status = 'queued' \
     FROM unnest($1::text[], $2::bigint[]) AS v(uid, seq) \
     WHERE outbox.uid = v.uid AND outbox.seq = v.seq + 1 AND outbox.status = 'blocked'";

/// Makes the step after each completed `(uid, seq)` claimable, if it was blocked behind it.
pub(super) fn promote_next_steps(completed: &[(String, i64)]) -> Q<'_> {
    sqlx::query(PROMOTE_NEXT_STEPS)
        .bind(
            completed
                .iter()
                .map(|(u, _)| u.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(completed.iter().map(|(_, s)| *s).collect::<Vec<_>>())
}

const INSERT_INSTANCES: &str = "INSERT INTO instances (uid, workflow, version, workflow_hash, state, data, \
       revision, awaiting, head_hash, steps_enqueued, steps_pending, steps_failed, sync_status, created_at, \
       updated_at, title) \
     SELECT v.uid, v.workflow, v.version, v.workflow_hash, v.state, v.data, v.revision, v.awaiting, v.head_hash, \
            v.steps_enqueued, v.new_steps, 0, v.sync_status, v.created_at, v.updated_at, v.title \
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], \
                 $8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::text[], $13::timestamptz[], \
                 $14::timestamptz[], $15::text[]) \
          AS v(uid, workflow, version, workflow_hash, state, data, revision, awaiting, head_hash, \
               steps_enqueued, new_steps, sync_status, created_at, updated_at, title) \
     ON CONFLICT (uid) DO NOTHING \
     RETURNING uid, steps_pending, steps_failed, sync_status";

pub(super) fn insert_instances<'a>(rows: &[&'a InstanceRow]) -> Q<'a> {
    sqlx::query(INSERT_INSTANCES)
        .bind(col(rows, |r| r.uid.as_str()))
        .bind(col(rows, |r| r.workflow.as_str()))
        .bind(col(rows, |r| i64::from(r.version)))
        .bind(col(rows, |r| r.workflow_hash.as_str()))
        .bind(col(rows, |r| r.state.as_str()))
        .bind(col(rows, |r| r.data.as_str()))
        .bind(col(rows, |r| int(r.revision)))
        .bind(col(rows, |r| r.awaiting.as_deref()))
        .bind(col(rows, |r| r.head_hash.as_str()))
        .bind(col(rows, |r| int(r.steps_enqueued)))
        .bind(col(rows, |r| int(r.new_steps)))
        .bind(col(rows, |r| r.sync_status))
        .bind(col(rows, |r| pg_time(r.created_at)))
        .bind(col(rows, |r| pg_time(r.updated_at)))
        .bind(col(rows, |r| r.title.as_deref()))
}

const UPDATE_INSTANCES: &str = "UPDATE instances SET state = v.state, data = v.data, revision = v.revision, \
       awaiting = v.awaiting, head_hash = v.head_hash, steps_enqueued = v.steps_enqueued, \
       steps_pending = instances.steps_pending + v.new_steps - v.completed_steps, \
       sync_status = CASE WHEN instances.steps_failed > 0 THEN 'failed' \
                          WHEN v.awaiting IS NOT NULL THEN 'awaiting_sync' \
                          WHEN instances.steps_pending + v.new_steps - v.completed_steps > 0 THEN 'pending' \
                          ELSE 'synced' END, \
       updated_at = v.updated_at, \
       title = CASE WHEN v.title_set THEN v.title ELSE instances.title END \
     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], \
                 $8::bigint[], $9::bigint[], $10::bigint[], $11::timestamptz[], $12::text[], $13::boolean[], \
                 $14::text[]) \
          AS v(uid, base_revision, state, data, revision, awaiting, head_hash, steps_enqueued, new_steps, \
               completed_steps, updated_at, title, title_set, base_head_hash) \
     WHERE instances.uid = v.uid AND instances.revision = v.base_revision \
       AND instances.head_hash = v.base_head_hash \
     RETURNING instances.uid, instances.steps_pending, instances.steps_failed, instances.sync_status";

pub(super) fn update_instances<'a>(rows: &[&'a InstanceRow]) -> Q<'a> {
    sqlx::query(UPDATE_INSTANCES)
        .bind(col(rows, |r| r.uid.as_str()))
        .bind(col(rows, |r| int(r.base_revision)))
        .bind(col(rows, |r| r.state.as_str()))
        .bind(col(rows, |r| r.data.as_str()))
        .bind(col(rows, |r| int(r.revision)))
        .bind(col(rows, |r| r.awaiting.as_deref()))
        .bind(col(rows, |r| r.head_hash.as_str()))
        .bind(col(rows, |r| int(r.steps_enqueued)))
        .bind(col(rows, |r| int(r.new_steps)))
        .bind(col(rows, |r| int(r.completed_steps)))
        .bind(col(rows, |r| pg_time(r.updated_at)))
        .bind(col(rows, |r| r.title.as_deref()))
        .bind(col(rows, |r| r.title_set))
        .bind(col(rows, |r| r.base_head_hash.as_str()))
}

const INSERT_HISTORY: &str = "INSERT INTO history (uid, seq, at, actor, role, event, from_state, to_state, \
       payload, changes, workflow, version, prev_hash, hash, hash_format, state_digest, timers, log_index, rules) \
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], \
                          $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], \
                          $13::text[], $14::text[], $15::smallint[], $16::text[], $17::text[], $18::bigint[], \
                          $19::text[])";

pub(super) fn insert_history<'a>(indexed: &[Indexed<'a>]) -> Q<'a> {
    let rows: Vec<&'a HistoryRow> = indexed.iter().map(|i| i.row).collect();
    let rows = rows.as_slice();
    sqlx::query(INSERT_HISTORY)
        .bind(col(rows, |r| r.uid.as_str()))
        .bind(col(rows, |r| int(r.seq)))
        .bind(col(rows, |r| pg_time(r.at)))
        .bind(col(rows, |r| r.actor.as_str()))
        .bind(col(rows, |r| r.role.as_str()))
        .bind(col(rows, |r| r.event.as_str()))
        .bind(col(rows, |r| r.from_state.as_deref()))
        .bind(col(rows, |r| r.to_state.as_str()))
        .bind(col(rows, |r| r.payload.as_str()))
        .bind(col(rows, |r| r.changes.as_str()))
        .bind(col(rows, |r| r.workflow.as_str()))
        .bind(col(rows, |r| i64::from(r.version)))
        .bind(col(rows, |r| r.prev_hash.as_str()))
        .bind(col(rows, |r| r.hash.as_str()))
        .bind(col(rows, |r| i16::from(r.hash_format)))
        .bind(col(rows, |r| r.state_digest.as_str()))
        .bind(col(rows, |r| r.timers.as_str()))
        .bind(indexed.iter().map(|i| i.log_index).collect::<Vec<i64>>())
        .bind(col(rows, |r| r.rules.as_deref()))
}

/// Reserves `$1` global log indices; returns the first.
pub(super) const RESERVE_LOG: &str =
    "UPDATE audit_log SET size = size + $1 WHERE id = 1 RETURNING size - $1";

const CANCEL_TIMERS: &str = "DELETE FROM timers USING unnest($1::text[], $2::text[]) AS v(uid, name) \
     WHERE timers.uid = v.uid AND timers.name = v.name";

pub(super) fn cancel_timers<'a>(rows: &[&'a TimerKeyRow]) -> Q<'a> {
    sqlx::query(CANCEL_TIMERS)
        .bind(col(rows, |r| r.uid.as_str()))
        .bind(col(rows, |r| r.name.as_str()))
}

const SET_TIMERS: &str = "INSERT INTO timers (uid, name, fire_at, event, payload, fence) \
     SELECT v.uid, v.name, v.fire_at, v.event, v.payload, 0 \
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[]) \
          AS v(uid, name, fire_at, event, payload) \
     ON CONFLICT (uid, name) DO UPDATE SET fire_at = excluded.fire_at, event = excluded.event, \
       payload = excluded.payload, lease_owner = NULL, lease_until = NULL, fence = timers.fence + 1";

pub(super) fn set_timers<'a>(rows: &[&'a TimerSetRow]) -> Q<'a> {
    sqlx::query(SET_TIMERS)
        .bind(col(rows, |r| r.uid.as_str()))
        .bind(col(rows, |r| r.name.as_str()))
        .bind(col(rows, |r| pg_time(r.fire_at)))
        .bind(col(rows, |r| r.event.as_str()))
        .bind(col(rows, |r| r.payload.as_str()))
}

/// Clears the labels of the instances whose labels a commit replaces.
pub(super) fn clear_labels<'a>(uids: Vec<&'a str>) -> Q<'a> {
    sqlx::query("DELETE FROM instance_labels WHERE uid = ANY($1)").bind(uids)
}

const INSERT_LABELS: &str = "INSERT INTO instance_labels (label, uid, created_at) \
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) ON CONFLICT DO NOTHING";

pub(super) fn insert_labels<'a>(rows: &[&'a LabelRow]) -> Q<'a> {
    sqlx::query(INSERT_LABELS)
        .bind(col(rows, |r| r.label.as_str()))
        .bind(col(rows, |r| r.uid.as_str()))
        .bind(col(rows, |r| pg_time(r.created_at)))
}

/// Clears the search terms of the instances whose terms a commit replaces.
pub(super) fn clear_terms<'a>(uids: Vec<&'a str>) -> Q<'a> {
    sqlx::query("DELETE FROM instance_terms WHERE uid = ANY($1)").bind(uids)
}

const INSERT_TERMS: &str = "INSERT INTO instance_terms (term, uid, personal) \
     SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[]) ON CONFLICT DO NOTHING";

pub(super) fn insert_terms<'a>(rows: &[&'a TermRow]) -> Q<'a> {
    sqlx::query(INSERT_TERMS)
        .bind(col(rows, |r| r.term.as_str()))
        .bind(col(rows, |r| r.uid.as_str()))
        .bind(col(rows, |r| r.personal))
}

const MARK_IDEMPOTENCY: &str = "UPDATE idempotency_keys SET uid = v.uid, revision = v.revision \
     FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS v(actor, key, uid, revision) \
     WHERE idempotency_keys.actor = v.actor AND idempotency_keys.key = v.key AND idempotency_keys.status IS NULL";

/// Records on their reserved idempotency keys which commits took effect.
pub(super) fn mark_idempotency<'a>(rows: &[&'a IdempotencyRow]) -> Q<'a> {
    sqlx::query(MARK_IDEMPOTENCY)
        .bind(col(rows, |r| r.actor.as_str()))
        .bind(col(rows, |r| r.key.as_str()))
        .bind(col(rows, |r| r.uid.as_str()))
        .bind(col(rows, |r| int(r.revision)))
}

/// A commit's first step is queued at once only if its instance has no open (or failed) step; the instance row
/// is locked by then, and every writer that closes a step locks it too, so the check cannot race with one. The
/// check is one probe of the partial index `outbox_open_by_uid` for each first step, on any table, whatever
/// PostgreSQL knows of it: a lateral subquery with `LIMIT 1` can only run once per row (an `EXISTS` may be
/// planned as one hashed scan of every open step: with a large backlog, as during an outage, 24,000 rows read
/// for each batch of `bench store`, half of its insert's time), and only for first steps (`v.first` in it);
/// `w` is materialized, so the insert and its `RETURNING` read the checks once; and the statement is planned
/// for each batch, as every statement of the writer's transactions is (`PgDb::begin_write`): a generic plan
/// made while the outbox was small scans the whole table (test `plans.rs` in the engine's tests).
const INSERT_OUTBOX: &str = "WITH v AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], \
         $5::text[], $6::text[], $7::text[], $8::boolean[], $9::timestamptz[], $10::text[], $11::timestamptz[]) \
         AS v(uid, seq, revision, step, delivery, then_event, payload, first, at, lease_owner, lease_until)), \
     w AS MATERIALIZED (SELECT v.*, (NOT v.first OR o.open IS NOT NULL) AS blocked FROM v \
                        LEFT JOIN LATERAL (SELECT true AS open FROM outbox p WHERE v.first AND p.uid = v.uid \
                                             AND p.status NOT IN ('done', 'skipped') LIMIT 1) o ON true) \
     INSERT INTO outbox (uid, seq, revision, step, delivery, then_event, payload, status, next_attempt_at, \
       created_at, lease_owner, lease_until, fence) \
     SELECT uid, seq, revision, step, delivery, then_event, payload, \
            CASE WHEN blocked THEN 'blocked' WHEN lease_owner IS NOT NULL THEN 'in_flight' ELSE 'queued' END, \
            at, at, CASE WHEN blocked THEN NULL ELSE lease_owner END, \
            CASE WHEN blocked THEN NULL ELSE lease_until END, \
            CASE WHEN NOT blocked AND lease_owner IS NOT NULL THEN 1 ELSE 0 END \
     FROM w RETURNING id, uid, seq, status, \
       (SELECT p.completed_at FROM outbox p WHERE p.uid = outbox.uid AND p.seq = outbox.seq - 1) \
       AS previous_completed_at";

pub(super) fn insert_outbox<'a>(rows: &[&'a OutboxRow]) -> Q<'a> {
    sqlx::query(INSERT_OUTBOX)
        .bind(col(rows, |r| r.uid.as_str()))
        .bind(col(rows, |r| int(r.seq)))
        .bind(col(rows, |r| int(r.revision)))
        .bind(col(rows, |r| r.step.as_str()))
        .bind(col(rows, |r| r.delivery))
        .bind(col(rows, |r| r.then_event.as_deref()))
        .bind(col(rows, |r| r.payload.as_str()))
        .bind(col(rows, |r| r.first))
        .bind(col(rows, |r| pg_time(r.at)))
        .bind(col(rows, |r| r.lease_owner.as_deref()))
        .bind(col(rows, |r| r.lease_until.map(pg_time)))
}
