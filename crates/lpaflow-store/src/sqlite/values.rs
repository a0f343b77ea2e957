//! Batches as bound multi-row `VALUES` statements: one statement per table per chunk, values bound as
//! parameters (no JSON to parse: extracting fields from a JSON batch cost SQLite more than the writes
//! themselves). Batches are cut into chunks of 64, 16, 4 and 1 rows, so each statement has one of four texts
//! and stays in the connection's prepared-statement cache.

use crate::Error;
use crate::prepare::{Indexed, InstanceRow, OutboxRow, StepCompletionRow};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Sqlite, Transaction};

/// A write transaction.
pub(super) type Tx<'c> = Transaction<'c, Sqlite>;
/// A query being bound.
pub(super) type Q<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

const CHUNKS: [usize; 4] = [64, 16, 4, 1];

/// `(?,?,?),(?,?,?)` for `rows` tuples of `width` parameters.
fn tuples(rows: usize, width: usize) -> String {
    let one = format!("({})", vec!["?"; width].join(","));
    vec![one; rows].join(",")
}

/// Cuts `rows` into chunks of the fixed sizes, largest first.
fn chunks<T>(rows: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = rows;
    while !rest.is_empty() {
        let size = CHUNKS
            .iter()
            .copied()
            .find(|c| *c <= rest.len())
            .unwrap_or(1);
        let (head, tail) = rest.split_at(size);
        out.push(head);
        rest = tail;
    }
    out
}

/// Runs `sql(n)` for every chunk of `rows`, binding each row with `bind`; returns every row returned.
pub(super) async fn fetch<T>(
    tx: &mut Tx<'_>,
    op: &'static str,
    rows: &[&T],
    sql: impl Fn(&str) -> String,
    width: usize,
    bind: impl for<'q> Fn(Q<'q>, &'q T) -> Q<'q>,
) -> Result<Vec<SqliteRow>, Error> {
    let mut out = Vec::new();
    for chunk in chunks(rows) {
        let text = sql(&tuples(chunk.len(), width));
        let mut q = sqlx::query(&text);
        for row in chunk {
            q = bind(q, row);
        }
        out.extend(q.fetch_all(&mut **tx).await.map_err(Error::db(op))?);
    }
    Ok(out)
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Inserts new instances (existing uids are left alone and not returned).
pub(super) async fn insert_instances(
    tx: &mut Tx<'_>,
    rows: &[&InstanceRow],
) -> Result<Vec<SqliteRow>, Error> {
    let sql = |values: &str| {
        format!(
            "INSERT INTO instances (uid, workflow, version, workflow_hash, state, data, revision, awaiting, head_hash, \
             steps_enqueued, steps_pending, steps_failed, sync_status, created_at, updated_at, title) VALUES {values} \
             ON CONFLICT (uid) DO NOTHING RETURNING uid, steps_pending, steps_failed, sync_status"
        )
    };
    fetch(tx, "insert instances", rows, sql, 16, |q, r| {
        q.bind(r.uid.as_str())
            .bind(r.workflow.as_str())
            .bind(i64::from(r.version))
            .bind(r.workflow_hash.as_str())
            .bind(r.state.as_str())
            .bind(r.data.as_str())
            .bind(int(r.revision))
            .bind(r.awaiting.as_deref())
            .bind(r.head_hash.as_str())
            .bind(int(r.steps_enqueued))
            .bind(int(r.new_steps))
            .bind(0i64)
            .bind(r.sync_status)
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(r.title.as_deref())
    })
    .await
}

/// Compare-and-set of existing instances on their base revision; returns the rows updated.
pub(super) async fn update_instances(
    tx: &mut Tx<'_>,
    rows: &[&InstanceRow],
) -> Result<Vec<SqliteRow>, Error> {
    let sql = |values: &str| {
        format!(
            "WITH v(uid, base_revision, state, data, revision, awaiting, head_hash, steps_enqueued, new_steps, \
                    completed_steps, updated_at, title, title_set, base_head_hash) AS (VALUES {values}) \
             UPDATE instances SET state = v.state, data = v.data, revision = v.revision, awaiting = v.awaiting, \
               head_hash = v.head_hash, steps_enqueued = v.steps_enqueued, \
               steps_pending = instances.steps_pending + v.new_steps - v.completed_steps, \
               sync_status = CASE WHEN instances.steps_failed > 0 THEN 'failed' \
                                  WHEN v.awaiting IS NOT NULL THEN 'awaiting_sync' \
                                  WHEN instances.steps_pending + v.new_steps - v.completed_steps > 0 THEN 'pending' \
                                  ELSE 'synced' END, \
               updated_at = v.updated_at, \
               title = CASE WHEN v.title_set THEN v.title ELSE instances.title END \
             FROM v WHERE instances.uid = v.uid AND instances.revision = v.base_revision \
               AND instances.head_hash = v.base_head_hash \
             RETURNING instances.uid, instances.steps_pending, instances.steps_failed, instances.sync_status"
        )
    };
    fetch(tx, "update instances", rows, sql, 14, |q, r| {
        q.bind(r.uid.as_str())
            .bind(int(r.base_revision))
            .bind(r.state.as_str())
            .bind(r.data.as_str())
            .bind(int(r.revision))
            .bind(r.awaiting.as_deref())
            .bind(r.head_hash.as_str())
            .bind(int(r.steps_enqueued))
            .bind(int(r.new_steps))
            .bind(int(r.completed_steps))
            .bind(r.updated_at)
            .bind(r.title.as_deref())
            .bind(r.title_set)
            .bind(r.base_head_hash.as_str())
    })
    .await
}

/// Appends history rows, each with its global index.
pub(super) async fn insert_history(tx: &mut Tx<'_>, rows: &[Indexed<'_>]) -> Result<(), Error> {
    let sql = |values: &str| {
        format!(
            "INSERT INTO history (uid, seq, at, actor, role, event, from_state, to_state, payload, changes, \
             workflow, version, prev_hash, hash, hash_format, state_digest, timers, log_index, rules) VALUES {values}"
        )
    };
    let rows: Vec<&Indexed<'_>> = rows.iter().collect();
    fetch(tx, "insert history", &rows, sql, 19, |q, i| {
        let r = i.row;
        q.bind(r.uid.as_str())
            .bind(int(r.seq))
            .bind(r.at)
            .bind(r.actor.as_str())
            .bind(r.role.as_str())
            .bind(r.event.as_str())
            .bind(r.from_state.as_deref())
            .bind(r.to_state.as_str())
            .bind(r.payload.as_str())
            .bind(r.changes.as_str())
            .bind(r.workflow.as_str())
            .bind(i64::from(r.version))
            .bind(r.prev_hash.as_str())
            .bind(r.hash.as_str())
            .bind(i64::from(r.hash_format))
            .bind(r.state_digest.as_str())
            .bind(r.timers.as_str())
            .bind(i.log_index)
            .bind(r.rules.as_deref())
    })
    .await?;
    Ok(())
}

/// Enqueues steps: a commit's first step is queued if nothing of its instance is open (and leased at once when
/// the commit asked for it), every other one waits (`blocked`) behind it. Returns `id, uid, seq, status`.
pub(super) async fn insert_outbox(
    tx: &mut Tx<'_>,
    rows: &[&OutboxRow],
) -> Result<Vec<SqliteRow>, Error> {
    let sql = |values: &str| {
        format!(
            "WITH v(uid, seq, revision, step, delivery, then_event, payload, first, at, lease_owner, lease_until) \
               AS (VALUES {values}), \
             w AS (SELECT v.*, (v.first = 0 OR EXISTS (SELECT 1 FROM outbox p WHERE p.uid = v.uid \
                                                    AND p.status NOT IN ('done', 'skipped'))) AS blocked FROM v) \
             INSERT INTO outbox (uid, seq, revision, step, delivery, then_event, payload, status, next_attempt_at, \
               created_at, lease_owner, lease_until, fence) \
             SELECT uid, seq, revision, step, delivery, then_event, payload, \
                    CASE WHEN blocked THEN 'blocked' WHEN lease_owner IS NOT NULL THEN 'in_flight' ELSE 'queued' END, \
                    at, at, CASE WHEN blocked THEN NULL ELSE lease_owner END, \
                    CASE WHEN blocked THEN NULL ELSE lease_until END, \
                    CASE WHEN NOT blocked AND lease_owner IS NOT NULL THEN 1 ELSE 0 END \
             FROM w RETURNING id, uid, seq, status, \
               (SELECT p.completed_at FROM outbox p WHERE p.uid = outbox.uid AND p.seq = outbox.seq - 1) \
               AS previous_completed_at"
        )
    };
    fetch(tx, "insert outbox", rows, sql, 11, |q, r| {
        q.bind(r.uid.as_str())
            .bind(int(r.seq))
            .bind(int(r.revision))
            .bind(r.step.as_str())
            .bind(r.delivery)
            .bind(r.then_event.as_deref())
            .bind(r.payload.as_str())
            .bind(i64::from(r.first))
            .bind(r.at)
            .bind(r.lease_owner.as_deref())
            .bind(r.lease_until)
    })
    .await
}

/// Marks leased steps done (only where the fence still holds); returns `id, uid, seq` of each row done.
pub(super) async fn complete_steps(
    tx: &mut Tx<'_>,
    rows: &[&StepCompletionRow],
) -> Result<Vec<SqliteRow>, Error> {
    let sql = |values: &str| {
        format!(
            "WITH v(id, fence, result, at, uid) AS (VALUES {values}) \
             UPDATE outbox SET status = 'done', result = v.result, completed_at = v.at, lease_owner = NULL, \
               lease_until = NULL, attempts = attempts + 1, ambiguous = 0 \
             FROM v WHERE outbox.id = v.id AND outbox.uid = v.uid AND outbox.fence = v.fence \
               AND outbox.status = 'in_flight' \
             RETURNING outbox.id, outbox.uid, outbox.seq"
        )
    };
    fetch(tx, "complete steps", rows, sql, 5, |q, r| {
        q.bind(r.id)
            .bind(int(r.fence))
            .bind(r.result.as_str())
            .bind(r.at)
            .bind(r.uid.as_str())
    })
    .await
}

/// After steps complete, the next step of each instance (if blocked behind them) becomes claimable.
pub(super) async fn promote_next_steps(
    tx: &mut Tx<'_>,
    completed: &[(String, i64)],
) -> Result<(), Error> {
    let refs: Vec<&(String, i64)> = completed.iter().collect();
    let sql = |values: &str| {
        format!(
            "WITH v(uid, seq) AS (VALUES {values}) UPDATE outbox SET status = 'queued' FROM v \
             WHERE outbox.uid = v.uid AND outbox.seq = v.seq + 1 AND outbox.status = 'blocked'"
        )
    };
    fetch(tx, "promote next steps", &refs, sql, 2, |q, (uid, seq)| {
        q.bind(uid.as_str()).bind(*seq)
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_cut_into_fixed_chunk_sizes() {
        let rows: Vec<u32> = (0..157).collect();
        let sizes: Vec<usize> = chunks(&rows).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [64, 64, 16, 4, 4, 4, 1]);
        assert_eq!(sizes.iter().sum::<usize>(), 157);
        assert_eq!(tuples(2, 3), "(?,?,?),(?,?,?)");
    }
}
