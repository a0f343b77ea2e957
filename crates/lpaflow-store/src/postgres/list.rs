//! Lists and counts on PostgreSQL: the statements of `crate::list`, bound and read.

use super::read::version_of;
use super::rows::get;
use super::{PgDb, pg_time};
use crate::Error;
use crate::list::{Arg, Dialect, Listing, Statement, count, labels_of};
use crate::model::{InstanceSummary, ListQuery, Page};
use lpaflow_core::InstanceId;
use sqlx::Row;
use sqlx::postgres::{PgArguments, PgRow};

type Q<'q> = sqlx::query::Query<'q, sqlx::Postgres, PgArguments>;

/// `statement` with its values bound (times as `timestamptz`).
fn query(statement: &Statement) -> Q<'_> {
    statement
        .args
        .iter()
        .fold(sqlx::query(&statement.text), |q, arg| match arg {
            Arg::Text(s) => q.bind(s.as_str()),
            Arg::Int(n) => q.bind(*n),
            Arg::Time(micros) => q.bind(pg_time(*micros)),
        })
}

impl PgDb {
    /// A page of instances matching `q`, in its order.
    pub async fn list(&self, q: &ListQuery) -> Result<Page<InstanceSummary>, Error> {
        let listing = Listing::new(q)?;
        let rows = query(&listing.page(Dialect::Postgres))
            .fetch_all(&self.pool)
            .await
            .map_err(Error::db("list instances"))?;
        let items = rows.iter().map(summary).collect::<Result<Vec<_>, _>>()?;
        let uids: Vec<&str> = items.iter().map(|i| i.uid.as_str()).collect();
        let labels = if uids.is_empty() {
            Vec::new()
        } else {
            query(&labels_of(&uids, Dialect::Postgres))
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
        let n: i64 = query(&count(q, Dialect::Postgres))
            .fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(Error::db("count instances"))?;
        Ok(n.max(0) as u64)
    }
}

/// Reads a row of a list.
fn summary(r: &PgRow) -> Result<InstanceSummary, Error> {
    let uid: String = r.try_get("uid").map_err(Error::db("list instances"))?;
    let sync: String = get(r, "sync_status", &uid)?;
    Ok(InstanceSummary {
        workflow: get(r, "workflow", &uid)?,
        version: version_of(get(r, "version", &uid)?),
        state: get(r, "state", &uid)?,
        revision: get::<i64>(r, "revision", &uid)?.max(0) as u64,
        sync_status: sync
            .parse()
            .map_err(|_| Error::corrupt(&uid, format!("sync_status {sync:?}")))?,
        created_at: get(r, "created_at", &uid)?,
        updated_at: get(r, "updated_at", &uid)?,
        title: get(r, "title", &uid)?,
        labels: Vec::new(),
        uid: InstanceId::new(uid),
    })
}
