//! Engine errors: what a caller (the HTTP API, a test, an embedding program) can act on.

use lpaflow_core::{InstanceId, Rejection};

/// Why the engine did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The interpreter refused the command (every reason is in the rejection).
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// No instance has this uid.
    #[error("no instance {0}")]
    NotFound(InstanceId),
    /// An instance with this uid exists already.
    #[error("{0} already exists")]
    AlreadyExists(InstanceId),
    /// No workflow of that name is loaded.
    #[error("no workflow named {0:?} is loaded")]
    UnknownWorkflow(String),
    /// Other writers kept changing the instance; the command was not applied.
    #[error("{uid} kept changing under concurrent commands; try again")]
    Contended {
        /// The instance.
        uid: InstanceId,
    },
    /// Stored data the engine cannot use (an instance pinned to a definition that is not loaded, ...).
    #[error("{0}")]
    Corrupt(String),
    /// Definitions on disk disagree with the ones instances are pinned to.
    #[error("{0}")]
    Definitions(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] lpaflow_store::Error),
    /// The engine is shutting down.
    #[error("the engine is shutting down")]
    ShuttingDown,
}
