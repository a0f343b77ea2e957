//! Batches as bound multi-row `VALUES` statements on the writer's own connection (`direct.rs`): one statement
//! per table per chunk, values bound as parameters (no JSON to parse: extracting fields from a JSON batch cost
//! SQLite more than the writes themselves). Batches are cut into chunks of 64, 16, 4 and 1 rows, so each
//! statement has one of four texts and stays in the connection's prepared-statement cache.

use crate::Error;
use crate::prepare::{Indexed, InsertedStep, InstanceRow, OutboxRow, StepCompletionRow};
use crate::time::from_micros;
use rusqlite::ToSql;

/// A write transaction on the writer's connection.
pub(super) type Tx<'c> = rusqlite::Transaction<'c>;

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

/// Binds one statement's parameters in order.
pub(super) struct Binder<'s, 'c> {
    stmt: &'s mut rusqlite::Statement<'c>,
    next: usize,
}

impl Binder<'_, '_> {
    /// Binds the next parameter.
    pub(super) fn put(&mut self, value: impl ToSql) -> rusqlite::Result<&mut Self> {
        self.next += 1;
        self.stmt.raw_bind_parameter(self.next, value)?;
        Ok(self)
    }
}

/// Runs `sql` with its parameters bound by `bind`; returns every row it returned, read by `read`.
pub(super) fn query<R>(
    tx: &Tx<'_>,
    op: &'static str,
    sql: &str,
    bind: impl FnOnce(&mut Binder<'_, '_>) -> rusqlite::Result<()>,
    read: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<R>,
) -> Result<Vec<R>, Error> {
    let run = || -> rusqlite::Result<Vec<R>> {
        let mut stmt = tx.prepare_cached(sql)?;
        bind(&mut Binder {
            stmt: &mut stmt,
            next: 0,
        })?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(read(row)?);
        }
        Ok(out)
    };
    run().map_err(Error::sqlite(op))
}

/// Runs `sql(n)` for every chunk of `rows`, binding each row with `bind`; returns every row returned, read by
/// `read`.
pub(super) fn fetch<T, R>(
    tx: &Tx<'_>,
    op: &'static str,
    rows: &[&T],
    sql: impl Fn(&str) -> String,
    width: usize,
    bind: impl Fn(&mut Binder<'_, '_>, &T) -> rusqlite::Result<()>,
    read: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<R>,
) -> Result<Vec<R>, Error> {
    let mut out = Vec::new();
    for chunk in chunks(rows) {
        let text = sql(&tuples(chunk.len(), width));
        out.extend(query(
            tx,
            op,
            &text,
            |b| chunk.iter().try_for_each(|row| bind(b, row)),
            &read,
        )?);
    }
    Ok(out)
}

/// A statement that returns no rows.
fn none(_: &rusqlite::Row<'_>) -> rusqlite::Result<()> {
    Ok(())
}

/// An instance's outbox counters as a write left them.
pub(super) struct Counted {
    pub(super) uid: String,
    pub(super) pending: i64,
    pub(super) failed: i64,
    pub(super) sync: String,
}

impl Counted {
    /// Reads `uid, steps_pending, steps_failed, sync_status`.
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            uid: row.get(0)?,
            pending: row.get(1)?,
            failed: row.get(2)?,
            sync: row.get(3)?,
        })
    }
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Inserts new instances (existing uids are left alone and not returned).
pub(super) fn insert_instances(tx: &Tx<'_>, rows: &[&InstanceRow]) -> Result<Vec<Counted>, Error> {
    let sql = |values: &str| {
        format!(
            "INSERT INTO instances (uid, workflow, version, workflow_hash, state, data, revision, awaiting, head_hash, \
             steps_enqueued, steps_pending, steps_failed, sync_status, created_at, updated_at, title) VALUES {values} \
             ON CONFLICT (uid) DO NOTHING RETURNING uid, steps_pending, steps_failed, sync_status"
        )
    };
    fetch(
        tx,
        "insert instances",
        rows,
        sql,
        16,
        |b, r| {
            b.put(r.uid.as_str())?
                .put(r.workflow.as_str())?
                .put(i64::from(r.version))?
                .put(r.workflow_hash.as_str())?
                .put(r.state.as_str())?
                .put(r.data.as_str())?
                .put(int(r.revision))?
                .put(r.awaiting.as_deref())?
                .put(r.head_hash.as_str())?
                .put(int(r.steps_enqueued))?
                .put(int(r.new_steps))?
                .put(0i64)?
                .put(r.sync_status)?
                .put(r.created_at)?
                .put(r.updated_at)?
                .put(r.title.as_deref())?;
            Ok(())
        },
        Counted::read,
    )
}

/// Compare-and-set of existing instances on their base revision; returns the rows updated.
pub(super) fn update_instances(tx: &Tx<'_>, rows: &[&InstanceRow]) -> Result<Vec<Counted>, Error> {
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
    fetch(
        tx,
        "update instances",
        rows,
        sql,
        14,
        |b, r| {
            b.put(r.uid.as_str())?
                .put(int(r.base_revision))?
                .put(r.state.as_str())?
                .put(r.data.as_str())?
                .put(int(r.revision))?
                .put(r.awaiting.as_deref())?
                .put(r.head_hash.as_str())?
                .put(int(r.steps_enqueued))?
                .put(int(r.new_steps))?
                .put(int(r.completed_steps))?
                .put(r.updated_at)?
                .put(r.title.as_deref())?
                .put(r.title_set)?
                .put(r.base_head_hash.as_str())?;
            Ok(())
        },
        Counted::read,
    )
}

/// Appends history rows, each with its global index.
pub(super) fn insert_history(tx: &Tx<'_>, rows: &[Indexed<'_>]) -> Result<(), Error> {
    let sql = |values: &str| {
        format!(
            "INSERT INTO history (uid, seq, at, actor, role, event, from_state, to_state, payload, changes, \
             workflow, version, prev_hash, hash, hash_format, state_digest, timers, log_index, rules) VALUES {values}"
        )
    };
    let rows: Vec<&Indexed<'_>> = rows.iter().collect();
    fetch(
        tx,
        "insert history",
        &rows,
        sql,
        19,
        |b, i| {
            let r = i.row;
            b.put(r.uid.as_str())?
                .put(int(r.seq))?
                .put(r.at)?
                .put(r.actor.as_str())?
                .put(r.role.as_str())?
                .put(r.event.as_str())?
                .put(r.from_state.as_deref())?
                .put(r.to_state.as_str())?
                .put(r.payload.as_str())?
                .put(r.changes.as_str())?
                .put(r.workflow.as_str())?
                .put(i64::from(r.version))?
                .put(r.prev_hash.as_str())?
                .put(r.hash.as_str())?
                .put(i64::from(r.hash_format))?
                .put(r.state_digest.as_str())?
                .put(r.timers.as_str())?
                .put(i.log_index)?
                .put(r.rules.as_deref())?;
            Ok(())
        },
        none,
    )?;
    Ok(())
}

/// The statement that enqueues steps, for `values` tuples of its 11 parameters.
fn outbox_sql(values: &str) -> String {
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
}

/// Enqueues steps: a commit's first step is queued if nothing of its instance is open (and leased at once when
/// the commit asked for it), every other one waits (`blocked`) behind it. Returns `id, uid, seq, status`.
pub(super) fn insert_outbox(tx: &Tx<'_>, rows: &[&OutboxRow]) -> Result<Vec<InsertedStep>, Error> {
    fetch(
        tx,
        "insert outbox",
        rows,
        outbox_sql,
        11,
        |b, r| {
            b.put(r.uid.as_str())?
                .put(int(r.seq))?
                .put(int(r.revision))?
                .put(r.step.as_str())?
                .put(r.delivery)?
                .put(r.then_event.as_deref())?
                .put(r.payload.as_str())?
                .put(i64::from(r.first))?
                .put(r.at)?
                .put(r.lease_owner.as_deref())?
                .put(r.lease_until)?;
            Ok(())
        },
        |row| {
            Ok(InsertedStep {
                id: row.get(0)?,
                uid: row.get(1)?,
                seq: row.get(2)?,
                status: row.get(3)?,
                previous_completed_at: row.get::<_, Option<i64>>(4)?.map(from_micros),
            })
        },
    )
}

/// Marks leased steps done (only where the fence still holds); returns the `(id, uid, seq)` of each row done.
pub(super) fn complete_steps(
    tx: &Tx<'_>,
    rows: &[&StepCompletionRow],
) -> Result<Vec<(i64, String, i64)>, Error> {
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
    fetch(
        tx,
        "complete steps",
        rows,
        sql,
        5,
        |b, r| {
            b.put(r.id)?
                .put(int(r.fence))?
                .put(r.result.as_str())?
                .put(r.at)?
                .put(r.uid.as_str())?;
            Ok(())
        },
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )
}

/// After steps complete, the next step of each instance (if blocked behind them) becomes claimable.
pub(super) fn promote_next_steps(tx: &Tx<'_>, completed: &[(String, i64)]) -> Result<(), Error> {
    let refs: Vec<&(String, i64)> = completed.iter().collect();
    let sql = |values: &str| {
        format!(
            "WITH v(uid, seq) AS (VALUES {values}) UPDATE outbox SET status = 'queued' FROM v \
             WHERE outbox.uid = v.uid AND outbox.seq = v.seq + 1 AND outbox.status = 'blocked'"
        )
    };
    fetch(
        tx,
        "promote next steps",
        &refs,
        sql,
        2,
        |b, (uid, seq)| {
            b.put(uid.as_str())?.put(*seq)?;
            Ok(())
        },
        none,
    )?;
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

    /// The bundled SQLite finds each new step's predecessor by the `(uid, seq)` index; SQLite 3.40 planned the
    /// same `RETURNING` subquery as a scan of the whole outbox, one per inserted step (issue 18's records).
    #[tokio::test]
    async fn enqueueing_steps_reads_no_whole_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.db");
        let db = super::super::SqliteDb::open(path.to_str().unwrap(), 2, 8, false)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        db.close().await;
        let conn = rusqlite::Connection::open(&path).unwrap();
        let sql = format!("EXPLAIN QUERY PLAN {}", outbox_sql(&tuples(4, 11)));
        let mut stmt = conn.prepare(&sql).unwrap();
        let plan: Vec<String> = stmt
            .query_map(
                rusqlite::params_from_iter([rusqlite::types::Null; 44]),
                |r| r.get(3),
            )
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter().any(|p| p.contains("SEARCH p USING INDEX")),
            "{plan:?}"
        );
        assert!(
            plan.iter()
                .all(|p| !p.starts_with("SCAN") || p == "SCAN v" || p.ends_with("CONSTANT ROWS")),
            "{plan:?}"
        );
    }
}
