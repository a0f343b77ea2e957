//! Lists and counts on SQLite: the statements of `crate::list`, bound and read.

use super::SqliteDb;
use crate::Error;
use crate::list::{Arg, Dialect, Listing, Statement, count, labels_of};
use crate::model::{InstanceSummary, ListQuery, Page};
use crate::time::from_micros;
use lpaflow_core::InstanceId;
use sqlx::Row;
use sqlx::sqlite::{SqliteArguments, SqliteRow};

type Q<'q> = sqlx::query::Query<'q, sqlx::Sqlite, SqliteArguments<'q>>;

/// `statement` with its values bound (times as the integer microseconds SQLite stores).
fn query(statement: &Statement) -> Q<'_> {
    statement
        .args
        .iter()
        .fold(sqlx::query(&statement.text), |q, arg| match arg {
            Arg::Text(s) => q.bind(s.as_str()),
            Arg::Int(n) | Arg::Time(n) => q.bind(*n),
        })
}

impl SqliteDb {
    /// A page of instances matching `q`, in its order.
    pub async fn list(&self, q: &ListQuery) -> Result<Page<InstanceSummary>, Error> {
        let listing = Listing::new(q)?;
        let rows = query(&listing.page(Dialect::Sqlite))
            .fetch_all(&self.pool)
            .await
            .map_err(Error::db("list instances"))?;
        let items = rows.iter().map(summary).collect::<Result<Vec<_>, _>>()?;
        let uids: Vec<&str> = items.iter().map(|i| i.uid.as_str()).collect();
        let labels = if uids.is_empty() {
            Vec::new()
        } else {
            query(&labels_of(&uids, Dialect::Sqlite))
                .fetch_all(&self.pool)
                .await
                .map_err(Error::db("read labels"))?
                .iter()
                .map(|r| Ok((r.try_get("uid")?, r.try_get("label")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(Error::db("read labels"))?
        };
        Ok(listing.finish(items, labels))
    }

    /// How many instances match `q`'s filters.
    pub async fn count(&self, q: &ListQuery) -> Result<u64, Error> {
        let n: i64 = query(&count(q, Dialect::Sqlite))
            .fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(Error::db("count instances"))?;
        Ok(n.max(0) as u64)
    }
}

/// Reads a row of a list.
fn summary(r: &SqliteRow) -> Result<InstanceSummary, Error> {
    let uid: String = r.try_get("uid").map_err(Error::db("list instances"))?;
    let col = |c: &str, e: sqlx::Error| Error::corrupt(&uid, format!("instance column {c}: {e}"));
    let sync: String = r
        .try_get("sync_status")
        .map_err(|e| col("sync_status", e))?;
    Ok(InstanceSummary {
        workflow: r.try_get("workflow").map_err(|e| col("workflow", e))?,
        version: r
            .try_get::<i64, _>("version")
            .map_err(|e| col("version", e))?
            .clamp(0, i64::from(u32::MAX)) as u32,
        state: r.try_get("state").map_err(|e| col("state", e))?,
        revision: r
            .try_get::<i64, _>("revision")
            .map_err(|e| col("revision", e))?
            .max(0) as u64,
        sync_status: sync
            .parse()
            .map_err(|_| Error::corrupt(&uid, format!("sync_status {sync:?}")))?,
        created_at: from_micros(r.try_get("created_at").map_err(|e| col("created_at", e))?),
        updated_at: from_micros(r.try_get("updated_at").map_err(|e| col("updated_at", e))?),
        title: r.try_get("title").map_err(|e| col("title", e))?,
        labels: Vec::new(),
        uid: InstanceId::new(uid),
    })
}
