//! Store errors. A stale revision, an existing uid or a lost lease are typed outcomes the caller acts on;
//! database failures carry the operation and never a password.

use lpaflow_core::InstanceId;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL is not one the store understands.
    #[error("unsupported database URL {0}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// The database could not be reached or opened.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL with its password masked.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A database opened read-only does not exist (it is never created then).
    #[error("there is no database at {0}")]
    NoDatabase(String),
    /// A database opened read-only lacks migrations this build needs (it cannot apply them).
    #[error("the database lacks migration(s) {0:?} of this lpaflow; run `lpaflow migrate` first")]
    NotMigrated(Vec<i64>),
    /// The global log cannot answer: a gap in its indices, a size beyond it, an entry not in it.
    #[error("the global log: {0}")]
    Log(String),
    /// Applying migrations failed.
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error during {op}: {source}")]
    Database {
        /// What the store was doing.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A statement of the SQLite writer's own connection failed (`sqlite/direct.rs`).
    #[error("database error during {op}: {source}")]
    Sqlite {
        /// What the store was doing.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The SQLite writer's thread could not start, or a job on it panicked (a bug): nothing of that batch
    /// was written.
    #[error("the SQLite writer failed: {0}")]
    Writer(String),
    /// A stored row cannot be read back (a state not in the definition, malformed JSON, ...).
    #[error("the stored row of {uid} is corrupt: {detail}")]
    Corrupt {
        /// The instance.
        uid: String,
        /// What is wrong.
        detail: String,
    },
    /// A list cursor that this store did not produce.
    #[error("the cursor {0:?} is not valid; start again without it")]
    BadCursor(String),
    /// The store is shutting down.
    #[error("the store is shutting down")]
    ShuttingDown,
    /// A batch of step reports could not be written; the steps' leases will expire and they will be retried.
    #[error("step outcomes were not recorded: {detail}")]
    NotRecorded {
        /// The database's error.
        detail: String,
        /// Its kind.
        failure: Failure,
    },
    /// A lease was lost: another holder claimed the row (fencing).
    #[error("the lease on {0} was lost to another holder")]
    Fenced(String),
}

impl Error {
    /// Wraps a driver error with the operation it happened in.
    pub fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
        move |source| Error::Database { op, source }
    }

    /// Wraps an error of the SQLite writer's own connection, saying what the store was doing.
    pub(crate) fn sqlite(op: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
        move |source| Error::Sqlite { op, source }
    }

    /// A corrupt-row error for `uid`.
    pub fn corrupt(uid: &str, detail: impl Into<String>) -> Error {
        Error::Corrupt {
            uid: uid.to_owned(),
            detail: detail.into(),
        }
    }
}

/// Why a commit was not applied.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Someone else changed the instance since it was read.
    #[error("{uid} is at revision {actual}, not {expected}")]
    Conflict {
        /// The instance.
        uid: InstanceId,
        /// The revision the commit was based on.
        expected: u64,
        /// The revision found (0 if the instance does not exist).
        actual: u64,
    },
    /// A create found an instance with this uid.
    #[error("{0} already exists")]
    AlreadyExists(InstanceId),
    /// The commit consumed a timer or completed a step whose lease was lost.
    #[error("{0}")]
    Fenced(String),
    /// The commit was malformed (no decisions, decisions of another instance).
    #[error("invalid commit for {uid}: {detail}")]
    Invalid {
        /// The instance.
        uid: InstanceId,
        /// What is wrong.
        detail: String,
    },
    /// The database failed; nothing of this commit is visible.
    #[error(transparent)]
    Store(#[from] Error),
}

/// What kind of database failure an [`Error`] is, as far as an operator needs to know: whether retrying can
/// help by itself, or someone must act on the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The database did not answer (connection refused or lost, pool timeout, restart in progress).
    Unreachable,
    /// The database refuses writes (a read-only file, volume or transaction).
    ReadOnly,
    /// The disk (or the database's size limit) is full.
    Full,
    /// The database refused a value of the request (PostgreSQL's data exceptions, SQLSTATE class 22: a NUL in
    /// text, a number or time out of range; SQLite's "too big"). The database is fine: this is no outage, and
    /// retrying the same request cannot help.
    InvalidData,
    /// Anything else.
    Other,
}

impl Error {
    /// Classifies the failure behind this error.
    pub fn failure(&self) -> Failure {
        match self {
            Error::Connect { .. } | Error::ShuttingDown => Failure::Unreachable,
            Error::NotRecorded { failure, .. } => *failure,
            Error::Database { source, .. } => classify(source),
            Error::Sqlite { source, .. } => classify_sqlite(source),
            Error::Migrate(sqlx::migrate::MigrateError::Execute(source)) => classify(source),
            _ => Failure::Other,
        }
    }
}

/// The SQLite writer's errors, by primary result code as [`classify`] reads sqlx's.
fn classify_sqlite(e: &rusqlite::Error) -> Failure {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ReadOnly) => Failure::ReadOnly,
        Some(rusqlite::ErrorCode::DiskFull) => Failure::Full,
        Some(rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::CannotOpen) => {
            Failure::Unreachable
        }
        Some(rusqlite::ErrorCode::TooBig | rusqlite::ErrorCode::TypeMismatch) => {
            Failure::InvalidData
        }
        _ => Failure::Other,
    }
}

/// SQLite primary result codes (the low byte of an extended code) and PostgreSQL SQLSTATEs.
fn classify(e: &sqlx::Error) -> Failure {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Failure::Unreachable,
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let sqlite_primary = code.parse::<i64>().ok().map(|c| c & 0xff);
            match (sqlite_primary, code.as_str()) {
                // SQLITE_READONLY; PostgreSQL read_only_sql_transaction.
                (Some(8), _) | (_, "25006") => Failure::ReadOnly,
                // SQLITE_FULL; PostgreSQL disk_full, insufficient_resources, out_of_memory.
                (Some(13), _) | (_, "53100") => Failure::Full,
                // SQLITE_IOERR, SQLITE_CANTOPEN; PostgreSQL admin_shutdown, crash_shutdown,
                // cannot_connect_now, connection exceptions (08xxx).
                (Some(10 | 14), _) | (_, "57P01" | "57P02" | "57P03") => Failure::Unreachable,
                (_, c) if c.starts_with("08") => Failure::Unreachable,
                // SQLITE_TOOBIG, SQLITE_MISMATCH; PostgreSQL data exceptions (22xxx).
                (Some(18 | 20), _) => Failure::InvalidData,
                (_, c) if c.starts_with("22") => Failure::InvalidData,
                _ => Failure::Other,
            }
        }
        _ => Failure::Other,
    }
}

impl CommitError {
    /// The database failure behind this refusal, if it was one.
    pub fn failure(&self) -> Option<Failure> {
        match self {
            CommitError::Store(e) => Some(e.failure()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of_writer(code: std::os::raw::c_int) -> Failure {
        let source =
            rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some("x".into()));
        Error::Sqlite {
            op: "commit",
            source,
        }
        .failure()
    }

    #[test]
    fn the_sqlite_writers_failures_are_classified_like_the_pools() {
        use rusqlite::ffi;
        assert_eq!(of_writer(ffi::SQLITE_READONLY), Failure::ReadOnly);
        assert_eq!(of_writer(ffi::SQLITE_FULL), Failure::Full);
        assert_eq!(of_writer(ffi::SQLITE_IOERR_FSYNC), Failure::Unreachable);
        assert_eq!(of_writer(ffi::SQLITE_CANTOPEN), Failure::Unreachable);
        assert_eq!(of_writer(ffi::SQLITE_TOOBIG), Failure::InvalidData);
        assert_eq!(of_writer(ffi::SQLITE_CONSTRAINT_UNIQUE), Failure::Other);
    }
}
