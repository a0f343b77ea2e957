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
    #[error("step outcomes were not recorded: {0}")]
    NotRecorded(String),
    /// A lease was lost: another holder claimed the row (fencing).
    #[error("the lease on {0} was lost to another holder")]
    Fenced(String),
}

impl Error {
    /// Wraps a driver error with the operation it happened in.
    pub fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
        move |source| Error::Database { op, source }
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
