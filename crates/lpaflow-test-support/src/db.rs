//! A fresh database per test. SQLite always; PostgreSQL when `DATABASE_URL` is set or a server answers on
//! 127.0.0.1:5432. With `LPAFLOW_REQUIRE_POSTGRES=1` a missing PostgreSQL fails the test instead of skipping
//! it. PostgreSQL test databases are created with a random name and dropped when the `TestDb` is dropped.

use sqlx::Connection;
use std::time::Duration;

/// A temporary database.
pub enum TestDb {
    /// A file in a temporary directory (removed on drop).
    Sqlite {
        /// Keeps the directory alive.
        dir: tempfile::TempDir,
        /// `sqlite://...`
        url: String,
    },
    /// A database created for this test on the server (dropped on drop).
    Postgres {
        /// URL of a database to connect to for CREATE/DROP DATABASE.
        admin_url: String,
        /// The test database's name.
        name: String,
        /// `postgres://.../name`
        url: String,
    },
}

fn postgres_required() -> bool {
    std::env::var("LPAFLOW_REQUIRE_POSTGRES")
        .is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// The server URL to create test databases on (`DATABASE_URL`, else the local default).
pub fn postgres_admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestDb {
    /// A new SQLite database file.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("lpaflow-test.db").display());
        TestDb::Sqlite { dir, url }
    }

    /// A new PostgreSQL database, or `None` (with a message) when no server answers and it is not required.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = postgres_admin_url();
        let connect = tokio::time::timeout(
            Duration::from_secs(5),
            sqlx::PgConnection::connect(&admin_url),
        )
        .await;
        let mut conn = match connect {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return skip_or_fail(&format!("cannot connect to {admin_url}: {e}")),
            Err(_) => return skip_or_fail(&format!("connecting to {admin_url} timed out")),
        };
        let name = format!("lpaflow_t_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let mut url = url_with_database(&admin_url, &name);
        if !url.contains('?') {
            url.push_str("?schema=lpaflow");
        }
        Some(TestDb::Postgres {
            admin_url,
            name,
            url,
        })
    }

    /// Every backend available here: SQLite, and PostgreSQL when it answers (or is required).
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite()];
        if let Some(pg) = TestDb::postgres().await {
            dbs.push(pg);
        }
        dbs
    }

    /// The database URL.
    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    /// "sqlite" or "postgres", for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            TestDb::Sqlite { .. } => "sqlite",
            TestDb::Postgres { .. } => "postgres",
        }
    }

    /// Runs SQL statements directly on the database, in order, as its administrator could (on PostgreSQL in
    /// the `lpaflow` schema). Panics on the first that fails: a test's own set-up.
    pub async fn run_sql(&self, statements: &[String]) {
        match self {
            TestDb::Sqlite { url, .. } => {
                let mut conn = sqlx::SqliteConnection::connect(url)
                    .await
                    .expect("connect to the test database");
                for s in statements {
                    sqlx::query(s).execute(&mut conn).await.expect(s);
                }
            }
            TestDb::Postgres { url, .. } => {
                let plain = url.split('?').next().unwrap_or(url);
                let mut conn = sqlx::PgConnection::connect(plain)
                    .await
                    .expect("connect to the test database");
                sqlx::query("SET search_path TO lpaflow")
                    .execute(&mut conn)
                    .await
                    .expect("set the search path");
                for s in statements {
                    sqlx::query(s).execute(&mut conn).await.expect(s);
                }
            }
        }
    }

    /// The directory of a SQLite database (for files beside it).
    pub fn dir(&self) -> Option<&std::path::Path> {
        match self {
            TestDb::Sqlite { dir, .. } => Some(dir.path()),
            TestDb::Postgres { .. } => None,
        }
    }
}

fn skip_or_fail(why: &str) -> Option<TestDb> {
    if postgres_required() {
        panic!("LPAFLOW_REQUIRE_POSTGRES=1 but PostgreSQL is not usable: {why}");
    }
    eprintln!("skipping the PostgreSQL half of this test: {why}");
    None
}

/// `admin_url` with its database name replaced by `name`.
fn url_with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let prefix = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; do the async work on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            url_with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            url_with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
    }
}
