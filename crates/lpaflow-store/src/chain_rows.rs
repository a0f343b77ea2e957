//! The chain's columns turned into `lpaflow_core::history` types, once for both backends: an entry's binding
//! (hash format 2) and an instance row's [`ChainHead`] with the digest of the instance as stored.

use crate::Error;
use lpaflow_core::history::{Binding, ChainHead, FORMAT_BOUND, FORMAT_UNBOUND, Snapshot};

/// The binding of a history row: `None` for format 1, the stored digest and timers for format 2.
pub(crate) fn binding(
    uid: &str,
    format: i64,
    state_digest: Option<String>,
    timers: Option<String>,
) -> Result<Option<Binding>, Error> {
    if format == i64::from(FORMAT_UNBOUND) {
        return Ok(None);
    }
    if format != i64::from(FORMAT_BOUND) {
        return Err(Error::corrupt(uid, format!("unknown hash format {format}")));
    }
    let (Some(state), Some(timers)) = (state_digest, timers) else {
        return Err(Error::corrupt(
            uid,
            "a format-2 entry without its state digest or timers",
        ));
    };
    let timers = serde_json::from_str(&timers)
        .map_err(|e| Error::corrupt(uid, format!("history timers are not JSON: {e}")))?;
    Ok(Some(Binding { state, timers }))
}

/// An instance row's columns as read for verification.
pub(crate) struct HeadColumns {
    pub workflow: String,
    pub version: i64,
    pub state: String,
    pub revision: i64,
    pub data: String,
    pub awaiting: Option<String>,
    pub head_hash: String,
}

/// The columns `HeadColumns` reads, for `SELECT uid, {HEAD_COLUMNS} FROM instances`.
pub(crate) const HEAD_COLUMNS: &str =
    "workflow, version, state, revision, data, awaiting, head_hash";

impl HeadColumns {
    /// The head to verify against, with the digest of the row's columns as stored (nothing parsed: any change
    /// to their text shows).
    pub(crate) fn head(self) -> ChainHead {
        let revision = self.revision.max(0) as u64;
        let state = Snapshot {
            workflow: &self.workflow,
            version: u32::try_from(self.version).unwrap_or(u32::MAX),
            state: &self.state,
            revision,
            data: &self.data,
            awaiting: self.awaiting.as_deref(),
        }
        .digest();
        ChainHead {
            revision,
            hash: self.head_hash,
            state,
        }
    }
}
