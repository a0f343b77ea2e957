//! The PostgreSQL backend: one database shared by several engine processes, lpaflow's tables in a schema of
//! their own (`?schema=`, default `lpaflow`) so lpaflow can live inside an operator's existing database.
//! PostgreSQL keeps its default durability (`synchronous_commit = on`, fsync): an acknowledged commit survives
//! a crash.
//!
//! Batches are expressed as `UNNEST` of typed array parameters, one array per column: every statement has
//! constant text (prepared once per connection and cached), values travel in the binary protocol (times as
//! exact `timestamptz` microseconds, no JSON parsing on the server), and one statement writes a table's rows
//! for a whole batch.
//!
//! What SQLite's single writer gave for free is made explicit here (see each module's docs):
//! - Transactions run at READ COMMITTED; every state change is a compare-and-set `UPDATE` whose condition
//!   PostgreSQL re-checks on the latest row version after waiting for a concurrent writer, so a stale
//!   revision, a lost lease or an already-claimed row never applies twice.
//! - Anything that changes which step of an instance is next (enqueueing steps, completing, skipping) first
//!   locks the instance rows, in uid order (`commit.rs`, `outbox.rs`). Lock order is always instances, then
//!   outbox and timers, so these transactions serialize per instance and cannot deadlock each other.
//! - Claims use `FOR UPDATE SKIP LOCKED`, so claimers never wait on each other or on writers.
//! - The rare deadlocks that remain possible (two processes creating the same uids in different orders, a
//!   multi-row sweep such as a lease release meeting a writer) abort one transaction; commits, reports, a
//!   person's step decisions and key reservations then simply run again.

mod batch;
mod commit;
mod list;
mod log;
mod misc;
mod nodes;
mod outbox;
mod read;
mod reindex;
mod reveals;
mod roles;
mod rows;
mod sessions;
mod timers;

use crate::Error;
use crate::url::mask_password;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// A PostgreSQL database (one schema of it).
#[derive(Clone, Debug)]
pub struct PgDb {
    pub(crate) pool: PgPool,
    schema: String,
}

/// How the writer's transactions (commits, step reports, claims) begin. Every statement in them takes a batch of
/// keys (uids, step ids, at most a batch's worth) and touches those rows only, so each is planned to reach its
/// rows by key, whatever the tables hold and whatever PostgreSQL knows of them:
/// - planned for its own execution: a connection otherwise keeps the generic plan it made after a statement's
///   fifth execution, on the table sizes of that moment, until an `ANALYZE` replaces it; with autovacuum off
///   that never happens, and plans made while the outbox was empty scanned the whole table in every later batch
///   (the open-step check of the outbox insert, step completions: `bench store` 3,700 against 9,500
///   transitions/s at 64 submitters);
/// - joined by probing an index for each key, never by hashing or sorting a whole table: with statistics, a
///   batch of 80 commits updated the instances through a hash join over all 5,000 of them (the planner prefers
///   one scan to a probe per key up to about a hundred rows a key, though every probe finds its page cached), so
///   a batch's cost grew with the table instead of with the batch.
///
/// Planning costs a little CPU a statement; a batch carries many commits. One round trip, with the `BEGIN`.
/// Every statement run in these transactions must take parameters: PostgreSQL plans one without any once per
/// connection and keeps that plan, made under these settings, for its later uses outside them.
const BEGIN_WRITE: &str = "BEGIN; SET LOCAL plan_cache_mode = force_custom_plan; \
     SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off";

impl PgDb {
    /// Begins one of the writer's transactions (see [`BEGIN_WRITE`]).
    pub(crate) async fn begin_write(
        &self,
        what: &'static str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, Error> {
        self.pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(Error::db(what))
    }

    /// Connections in the pool (the writer leaves at least one to everything else).
    pub(crate) fn max_connections(&self) -> u32 {
        self.pool.options().get_max_connections()
    }

    /// Connects to `url` (without lpaflow's own parameters); every connection uses `schema` first.
    /// `read_only` makes every transaction read-only (an auditor's tool changes nothing).
    pub async fn open(
        url: &str,
        schema: &str,
        max_connections: u32,
        read_only: bool,
    ) -> Result<Self, Error> {
        let connect_error = |source| Error::Connect {
            url: mask_password(url),
            source,
        };
        let mut options = PgConnectOptions::from_str(url).map_err(connect_error)?;
        if options.get_application_name().is_none() {
            options = options.application_name("lpaflow");
        }
        // Only lpaflow's schema: its tables, its trigger function and `_sqlx_migrations` resolve there, and
        // nothing an operator keeps in `public` can stand in for a missing table. Appended after any options in
        // the URL, so it wins over a search_path given there.
        let options = options.options([("search_path", quote_ident(schema))]);
        let options = if read_only {
            options.options([("default_transaction_read_only", "on")])
        } else {
            options
        };
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        Ok(Self {
            pool,
            schema: schema.to_owned(),
        })
    }

    /// Creates the schema if it is missing, then applies the migrations in `migrations/postgres` (under
    /// sqlx's advisory lock, so processes starting together migrate once).
    pub async fn migrate(&self) -> Result<(), Error> {
        // Up to date: nothing to run, and nothing that needs more than a serving role's rights (sqlx would
        // first try to create its own table, which needs CREATE on the schema).
        if self.up_to_date().await {
            return Ok(());
        }
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
                .bind(&self.schema)
                .fetch_one(&self.pool)
                .await
                .map_err(Error::db("look up schema"))?;
        // Checked first because CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema
        // exists, and an operator may have created it for a user without that right.
        if !exists {
            let created = sqlx::query(&format!(
                "CREATE SCHEMA IF NOT EXISTS {}",
                quote_ident(&self.schema)
            ))
            .execute(&self.pool)
            .await;
            match created {
                Ok(_) => {}
                // Another process created it at the same moment (IF NOT EXISTS is not race-free).
                Err(e) if sql_state(&e).is_some_and(|c| c == "23505" || c == "42P06") => {}
                Err(e) => return Err(Error::db("create schema")(e)),
            }
        }
        sqlx::migrate!("../../migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    /// Every migration of this build applied, with the checksum of its text (an edited migration is not).
    async fn up_to_date(&self) -> bool {
        let applied: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await
                .unwrap_or_default();
        sqlx::migrate!("../../migrations/postgres").iter().all(|m| {
            applied
                .iter()
                .any(|(v, sum)| *v == m.version && sum.as_slice() == &*m.checksum)
        })
    }

    /// The versions of `migrations/postgres` not applied to this schema.
    pub async fn missing_migrations(&self) -> Result<Vec<i64>, Error> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await
                .unwrap_or_default();
        Ok(sqlx::migrate!("../../migrations/postgres")
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect())
    }

    /// Whether this connection's role owns the history table (or is a member of its owner, or a superuser):
    /// such a role can disable the append-only triggers.
    pub async fn can_alter_history(&self) -> Result<bool, Error> {
        sqlx::query_scalar(
            "SELECT pg_has_role(current_user, c.relowner, 'USAGE') \
               OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) \
             FROM pg_class c WHERE c.oid = 'history'::regclass",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(Error::db("look up the history table's owner"))
    }

    /// A trivial query, to prove the database answers.
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(Error::db("ping"))?;
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `name` as a quoted identifier. Schema names are letters, digits and `_` (checked by `DatabaseUrl`), so
/// quoting only keeps their case and allows a leading digit.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The SQLSTATE of a database error.
fn sql_state(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// Whether `e` is a deadlock or serialization failure: the transaction did nothing and may simply run again.
pub(crate) fn is_transient(e: &Error) -> bool {
    match e {
        Error::Database { source, .. } => {
            sql_state(source).is_some_and(|c| c == "40P01" || c == "40001")
        }
        _ => false,
    }
}

/// How many times a transaction that hit a deadlock or serialization failure is run again.
pub(crate) const TRANSIENT_RETRIES: u32 = 5;

/// Microseconds since the Unix epoch of PostgreSQL's earliest `timestamptz` (4714-11-24 BC).
const PG_MIN_MICROS: i64 = -210_866_803_200_000_000;

/// The time `micros` after the Unix epoch, clamped to what both chrono and PostgreSQL represent. Prepared
/// rows carry integer microseconds; binding them as `timestamptz` is exact.
pub(crate) fn pg_time(micros: i64) -> DateTime<Utc> {
    crate::time::from_micros(micros.max(PG_MIN_MICROS))
}

/// `t` truncated to microseconds exactly as the SQLite backend stores it (floor), before binding.
pub(crate) fn pg_time_of(t: DateTime<Utc>) -> DateTime<Utc> {
    pg_time(crate::time::to_micros(t))
}

/// A count or counter as PostgreSQL's `bigint`.
pub(crate) fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_exact_microseconds_within_postgres_range() {
        let t = DateTime::parse_from_rfc3339("2026-01-05T09:00:00.123456789Z")
            .unwrap()
            .to_utc();
        assert_eq!(pg_time_of(t).timestamp_subsec_nanos(), 123_456_000);
        let before_2000 = DateTime::parse_from_rfc3339("1969-12-31T23:59:59.999999999Z")
            .unwrap()
            .to_utc();
        assert_eq!(crate::time::to_micros(pg_time_of(before_2000)), -1);
        assert_eq!(crate::time::to_micros(pg_time(i64::MIN)), PG_MIN_MICROS);
    }

    #[test]
    fn schema_names_are_quoted() {
        assert_eq!(quote_ident("Ops_1"), "\"Ops_1\"");
    }
}
