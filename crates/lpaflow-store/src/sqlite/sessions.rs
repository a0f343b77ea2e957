//! Console sessions on SQLite (`migrations/sqlite/0005_console_sessions.sql`).

use super::SqliteDb;
use crate::Error;
use crate::model::ConsoleSession;
use crate::time::{from_micros, to_micros};
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

const COLUMNS: &str =
    "id, subject, role, created_at, last_seen_at, expires_at, ended_at, ended_why";

fn session_of(r: &SqliteRow) -> Result<ConsoleSession, Error> {
    let op = "read console session";
    let ended: Option<i64> = r.try_get("ended_at").map_err(Error::db(op))?;
    Ok(ConsoleSession {
        id: r.try_get("id").map_err(Error::db(op))?,
        subject: r.try_get("subject").map_err(Error::db(op))?,
        role: r.try_get("role").map_err(Error::db(op))?,
        created_at: from_micros(r.try_get("created_at").map_err(Error::db(op))?),
        last_seen_at: from_micros(r.try_get("last_seen_at").map_err(Error::db(op))?),
        expires_at: from_micros(r.try_get("expires_at").map_err(Error::db(op))?),
        ended_at: ended.map(from_micros),
        ended_why: r.try_get("ended_why").map_err(Error::db(op))?,
    })
}

impl SqliteDb {
    /// Records a new session.
    pub async fn start_session(&self, s: &ConsoleSession) -> Result<(), Error> {
        let _write = self.write_lock.lock().await;
        sqlx::query(
            "INSERT INTO console_sessions (id, subject, role, created_at, last_seen_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&s.id)
        .bind(&s.subject)
        .bind(&s.role)
        .bind(to_micros(s.created_at))
        .bind(to_micros(s.last_seen_at))
        .bind(to_micros(s.expires_at))
        .execute(&self.pool)
        .await
        .map_err(Error::db("start console session"))?;
        Ok(())
    }

    /// Session `id`, ended or not.
    pub async fn session(&self, id: &str) -> Result<Option<ConsoleSession>, Error> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM console_sessions WHERE id = ?1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(Error::db("read console session"))?;
        row.as_ref().map(session_of).transpose()
    }

    /// Notes that session `id` was used at `now`.
    pub async fn touch_session(&self, id: &str, now: DateTime<Utc>) -> Result<(), Error> {
        let _write = self.write_lock.lock().await;
        sqlx::query(
            "UPDATE console_sessions SET last_seen_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
        )
        .bind(id)
        .bind(to_micros(now))
        .execute(&self.pool)
        .await
        .map_err(Error::db("touch console session"))?;
        Ok(())
    }

    /// Ends session `id` at `now` for `why`; `false` when it had ended already or does not exist.
    pub async fn end_session(
        &self,
        id: &str,
        now: DateTime<Utc>,
        why: &str,
    ) -> Result<bool, Error> {
        let _write = self.write_lock.lock().await;
        let done = sqlx::query(
            "UPDATE console_sessions SET ended_at = ?2, ended_why = ?3 WHERE id = ?1 AND ended_at IS NULL",
        )
        .bind(id)
        .bind(to_micros(now))
        .bind(why)
        .execute(&self.pool)
        .await
        .map_err(Error::db("end console session"))?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends every open session of `subject` in a role other than `role`; returns how many.
    pub async fn end_other_role_sessions(
        &self,
        subject: &str,
        role: &str,
        now: DateTime<Utc>,
        why: &str,
    ) -> Result<u64, Error> {
        let _write = self.write_lock.lock().await;
        let done = sqlx::query(
            "UPDATE console_sessions SET ended_at = ?3, ended_why = ?4 \
             WHERE subject = ?1 AND role <> ?2 AND ended_at IS NULL",
        )
        .bind(subject)
        .bind(role)
        .bind(to_micros(now))
        .bind(why)
        .execute(&self.pool)
        .await
        .map_err(Error::db("end console sessions"))?;
        Ok(done.rows_affected())
    }

    /// Sessions not ended and not expired at `now`, most recently used first (at most `limit`).
    pub async fn open_sessions(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ConsoleSession>, Error> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM console_sessions WHERE ended_at IS NULL AND expires_at > ?1 \
             ORDER BY last_seen_at DESC, id LIMIT ?2"
        ))
        .bind(to_micros(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(Error::db("list console sessions"))?;
        rows.iter().map(session_of).collect()
    }
}
