//! Indexes of instances written before the rules gave them (titles and search terms came with migration 0008):
//! the instances without a title, a page at a time, and their labels, title and terms written again, only if the
//! instance is still at the revision they were computed from.

use super::SqliteDb;
use super::rows::{INSTANCE_COLUMNS, instance};
use crate::Error;
use crate::model::StoredInstance;
use lpaflow_core::Findable;

impl SqliteDb {
    /// Instances without a title after `after`, in uid order, at most `limit`.
    pub async fn untitled(&self, after: &str, limit: u32) -> Result<Vec<StoredInstance>, Error> {
        let sql = format!(
            "SELECT {INSTANCE_COLUMNS} FROM instances WHERE title IS NULL AND uid > ?1 ORDER BY uid LIMIT ?2"
        );
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(Error::db("read untitled instances"))?;
        rows.iter().map(instance).collect()
    }

    /// Replaces the labels, title and terms of `uid` if it is still at `revision`; false if it moved on.
    pub async fn write_indexes(
        &self,
        uid: &str,
        revision: u64,
        labels: &[String],
        findable: &Findable,
    ) -> Result<bool, Error> {
        let _write = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await.map_err(Error::db("reindex"))?;
        let moved = sqlx::query("UPDATE instances SET title = ?3 WHERE uid = ?1 AND revision = ?2")
            .bind(uid)
            .bind(i64::try_from(revision).unwrap_or(i64::MAX))
            .bind(findable.title.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(Error::db("reindex title"))?;
        if moved.rows_affected() == 0 {
            return Ok(false);
        }
        let created: i64 = sqlx::query_scalar("SELECT created_at FROM instances WHERE uid = ?1")
            .bind(uid)
            .fetch_one(&mut *tx)
            .await
            .map_err(Error::db("reindex labels"))?;
        for (sql, what) in [
            (
                "DELETE FROM instance_labels WHERE uid = ?1",
                "reindex labels",
            ),
            ("DELETE FROM instance_terms WHERE uid = ?1", "reindex terms"),
        ] {
            sqlx::query(sql)
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(Error::db(what))?;
        }
        for label in labels {
            sqlx::query("INSERT OR IGNORE INTO instance_labels (label, uid, created_at) VALUES (?1, ?2, ?3)")
                .bind(label)
                .bind(uid)
                .bind(created)
                .execute(&mut *tx)
                .await
                .map_err(Error::db("reindex labels"))?;
        }
        for term in &findable.terms {
            sqlx::query(
                "INSERT OR IGNORE INTO instance_terms (term, uid, personal) VALUES (?1, ?2, ?3)",
            )
            .bind(&term.text)
            .bind(uid)
            .bind(term.personal)
            .execute(&mut *tx)
            .await
            .map_err(Error::db("reindex terms"))?;
        }
        tx.commit().await.map_err(Error::db("reindex"))?;
        Ok(true)
    }
}
