//! Reveals of masked personal values on PostgreSQL (`migrations/postgres/0007_reveals.sql`).

use super::{PgDb, pg_time_of};
use crate::Error;
use crate::model::{NewReveal, Reveal};
use lpaflow_core::InstanceId;
use sqlx::Row;

impl PgDb {
    /// Records `reveal`; its number.
    pub async fn record_reveal(&self, reveal: &NewReveal) -> Result<i64, Error> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO reveals (uid, seq, actor, role, reason, revealed_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(reveal.uid.as_str())
        .bind(crate::sqlite::seq_column(reveal.seq))
        .bind(&reveal.actor)
        .bind(&reveal.role)
        .bind(&reveal.reason)
        .bind(pg_time_of(reveal.revealed_at))
        .fetch_one(&self.pool)
        .await
        .map_err(Error::db("record a reveal"))?;
        Ok(id)
    }

    /// The latest `limit` reveals of `uid`, newest first.
    pub async fn reveals(&self, uid: &InstanceId, limit: u32) -> Result<Vec<Reveal>, Error> {
        let rows = sqlx::query(
            "SELECT id, uid, seq, actor, role, reason, revealed_at FROM reveals \
             WHERE uid = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(uid.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("read reveals"))?;
        rows.iter()
            .map(|r| {
                Ok(Reveal {
                    id: r.try_get("id")?,
                    reveal: NewReveal {
                        uid: InstanceId::new(r.try_get::<String, _>("uid")?),
                        seq: u64::try_from(r.try_get::<i64, _>("seq")?).unwrap_or(0),
                        actor: r.try_get("actor")?,
                        role: r.try_get("role")?,
                        reason: r.try_get("reason")?,
                        revealed_at: r.try_get("revealed_at")?,
                    },
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Error::db("read reveals"))
    }
}
