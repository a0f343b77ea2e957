//! A fresh, empty store per scenario: a new SQLite file in a temporary directory by default, a file beside
//! the given one for `sqlite://` URLs, or a new schema (`bench_<scenario>`, dropped first) for PostgreSQL.

use anyhow::Context as _;
use sqlx::Connection;

/// The database of one scenario.
pub struct ScenarioDb {
    /// Its URL.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// An empty database for `scenario`.
pub async fn fresh(base: Option<&str>, scenario: &str) -> anyhow::Result<ScenarioDb> {
    match base {
        None => {
            let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
            let url = format!(
                "sqlite://{}",
                dir.path().join(format!("bench-{scenario}.db")).display()
            );
            Ok(ScenarioDb {
                url,
                _dir: Some(dir),
            })
        }
        Some(url) if url.starts_with("sqlite:") => {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let path = format!("{path}.{scenario}");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            Ok(ScenarioDb {
                url: format!("sqlite://{path}"),
                _dir: None,
            })
        }
        Some(url) => {
            let plain = url.split('?').next().unwrap_or(url);
            let schema = format!("bench_{scenario}");
            let mut conn = sqlx::PgConnection::connect(plain).await.with_context(|| {
                format!(
                    "cannot connect to {}",
                    lpaflow_store::url::mask_password(plain)
                )
            })?;
            sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&mut conn)
                .await?;
            let _ = conn.close().await;
            Ok(ScenarioDb {
                url: format!("{plain}?schema={schema}"),
                _dir: None,
            })
        }
    }
}
