//! Turning SQLite rows into the store's types, naming the uid of any row that cannot be read.

use crate::Error;
use crate::model::{StepRow, StepStatus, StoredInstance, SyncStatus};
use crate::time::from_micros;
use lpaflow_core::{Awaiting, Delivery, Instance, InstanceId, StateName, StepName, WorkflowRef};
use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    col: &str,
    uid: &str,
) -> Result<T, Error> {
    row.try_get(col)
        .map_err(|e| Error::corrupt(uid, format!("column {col}: {e}")))
}

pub(crate) fn json(uid: &str, col: &str, text: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| Error::corrupt(uid, format!("{col} is not JSON: {e}")))
}

fn non_negative(uid: &str, col: &str, v: i64) -> Result<u64, Error> {
    u64::try_from(v).map_err(|_| Error::corrupt(uid, format!("{col} is negative ({v})")))
}

/// Reads an `instances` row selected with `INSTANCE_COLUMNS`.
pub(crate) fn instance(row: &SqliteRow) -> Result<StoredInstance, Error> {
    let uid: String = row.try_get("uid").map_err(Error::db("read instance uid"))?;
    let data_text: String = get(row, "data", &uid)?;
    let awaiting_text: Option<String> = get(row, "awaiting", &uid)?;
    let awaiting: Option<Awaiting> = match awaiting_text {
        Some(t) => Some(
            serde_json::from_str(&t).map_err(|e| Error::corrupt(&uid, format!("awaiting: {e}")))?,
        ),
        None => None,
    };
    let version: i64 = get(row, "version", &uid)?;
    let sync: String = get(row, "sync_status", &uid)?;
    let instance = Instance {
        id: InstanceId::new(&uid),
        workflow: WorkflowRef {
            name: get(row, "workflow", &uid)?,
            version: u32::try_from(version)
                .map_err(|_| Error::corrupt(&uid, "version out of range"))?,
        },
        state: StateName::new(get::<String>(row, "state", &uid)?),
        revision: non_negative(&uid, "revision", get(row, "revision", &uid)?)?,
        data: json(&uid, "data", &data_text)?.into(),
        awaiting,
        created_at: from_micros(get(row, "created_at", &uid)?),
        updated_at: from_micros(get(row, "updated_at", &uid)?),
    };
    Ok(StoredInstance {
        workflow_hash: get(row, "workflow_hash", &uid)?,
        head_hash: get(row, "head_hash", &uid)?,
        steps_enqueued: non_negative(&uid, "steps_enqueued", get(row, "steps_enqueued", &uid)?)?,
        steps_pending: non_negative(&uid, "steps_pending", get(row, "steps_pending", &uid)?)?,
        steps_failed: non_negative(&uid, "steps_failed", get(row, "steps_failed", &uid)?)?,
        sync_status: sync
            .parse::<SyncStatus>()
            .map_err(|_| Error::corrupt(&uid, format!("sync_status {sync:?}")))?,
        instance,
    })
}

/// The columns [`instance`] reads.
pub(crate) const INSTANCE_COLUMNS: &str = "uid, workflow, version, workflow_hash, state, data, revision, awaiting, \
     head_hash, steps_enqueued, steps_pending, steps_failed, sync_status, created_at, updated_at";

/// The columns [`step`] reads.
pub(crate) const STEP_COLUMNS: &str = "id, uid, seq, revision, step, delivery, then_event, payload, status, attempts, \
     ambiguous, next_attempt_at, lease_owner, lease_until, fence, result, last_error, created_at, completed_at, \
     (SELECT p.completed_at FROM outbox p WHERE p.uid = outbox.uid AND p.seq = outbox.seq - 1) AS previous_completed_at";

/// Reads an `outbox` row selected with `STEP_COLUMNS`.
pub(crate) fn step(row: &SqliteRow) -> Result<StepRow, Error> {
    let uid: String = row.try_get("uid").map_err(Error::db("read step uid"))?;
    let status: String = get(row, "status", &uid)?;
    let delivery: String = get(row, "delivery", &uid)?;
    let payload: String = get(row, "payload", &uid)?;
    let result: Option<String> = get(row, "result", &uid)?;
    let last_error: Option<String> = get(row, "last_error", &uid)?;
    Ok(StepRow {
        id: get(row, "id", &uid)?,
        seq: non_negative(&uid, "seq", get(row, "seq", &uid)?)?,
        revision: non_negative(&uid, "revision", get(row, "revision", &uid)?)?,
        step: StepName::new(get::<String>(row, "step", &uid)?),
        delivery: delivery
            .parse::<Delivery>()
            .map_err(|_| Error::corrupt(&uid, format!("delivery {delivery:?}")))?,
        then_event: get(row, "then_event", &uid)?,
        payload: json(&uid, "payload", &payload)?,
        status: status
            .parse::<StepStatus>()
            .map_err(|_| Error::corrupt(&uid, format!("step status {status:?}")))?,
        attempts: u32::try_from(get::<i64>(row, "attempts", &uid)?).unwrap_or(u32::MAX),
        ambiguous: get::<i64>(row, "ambiguous", &uid)? != 0,
        next_attempt_at: from_micros(get(row, "next_attempt_at", &uid)?),
        lease_owner: get(row, "lease_owner", &uid)?,
        lease_until: get::<Option<i64>>(row, "lease_until", &uid)?.map(from_micros),
        fence: non_negative(&uid, "fence", get(row, "fence", &uid)?)?,
        result: result.map(|r| json(&uid, "result", &r)).transpose()?,
        last_error: last_error
            .map(|r| json(&uid, "last_error", &r))
            .transpose()?,
        created_at: from_micros(get(row, "created_at", &uid)?),
        completed_at: get::<Option<i64>>(row, "completed_at", &uid)?.map(from_micros),
        previous_completed_at: get::<Option<i64>>(row, "previous_completed_at", &uid)?
            .map(from_micros),
        uid: InstanceId::new(uid),
    })
}
