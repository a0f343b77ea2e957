//! The database's write lock, held by a connection of the test's own: a store's commits wait in its writer
//! until [`WriteLock::release`], while reads go on. Tests use it to catch a commit queued and not yet answered.

use crate::TestDb;
use sqlx::{Connection, Executor};

/// A connection holding the write lock of a test database.
pub enum WriteLock {
    /// `BEGIN IMMEDIATE`: SQLite's one write lock.
    Sqlite(sqlx::SqliteConnection),
    /// `LOCK TABLE instances IN EXCLUSIVE MODE`: every commit writes an instance row.
    Postgres(sqlx::PgConnection),
}

impl WriteLock {
    /// Takes the write lock of `db` (migrated).
    pub async fn take(db: &TestDb) -> WriteLock {
        match db {
            TestDb::Sqlite { .. } => {
                let mut conn = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
                conn.execute("BEGIN IMMEDIATE").await.unwrap();
                WriteLock::Sqlite(conn)
            }
            TestDb::Postgres { .. } => {
                let raw_url = db.url().split('?').next().unwrap().to_owned();
                let mut conn = sqlx::PgConnection::connect(&raw_url).await.unwrap();
                conn.execute("BEGIN").await.unwrap();
                conn.execute("LOCK TABLE lpaflow.instances IN EXCLUSIVE MODE")
                    .await
                    .unwrap();
                WriteLock::Postgres(conn)
            }
        }
    }

    /// Lets the waiting commits through.
    pub async fn release(self) {
        match self {
            WriteLock::Sqlite(mut conn) => {
                conn.execute("ROLLBACK").await.unwrap();
            }
            WriteLock::Postgres(mut conn) => {
                conn.execute("ROLLBACK").await.unwrap();
            }
        }
    }
}
