//! The chain's columns turned into `lpaflow_core::history` types, once for both backends: an entry's binding
//! (hash format 2) and an instance row's [`ChainHead`] with the digest of the instance as stored.

use crate::Error;
use lpaflow_core::history::{
    Binding, ChainHead, FORMAT_BOUND, FORMAT_RULED, FORMAT_UNBOUND, Snapshot,
};

/// A history row's columns that depend on its hash format.
pub(crate) struct FormatColumns {
    pub format: i64,
    pub state_digest: Option<String>,
    pub timers: Option<String>,
    pub rules: Option<String>,
}

impl FormatColumns {
    /// The entry's binding and rules version: neither for format 1, the stored digest and timers for format 2,
    /// and the rules version too for format 3. A column the format does not hash is ignored (never shown as
    /// if it were vouched for).
    pub(crate) fn read(self, uid: &str) -> Result<(Option<Binding>, Option<String>), Error> {
        let format = self.format;
        if format == i64::from(FORMAT_UNBOUND) {
            return Ok((None, None));
        }
        if format != i64::from(FORMAT_BOUND) && format != i64::from(FORMAT_RULED) {
            return Err(Error::corrupt(uid, format!("unknown hash format {format}")));
        }
        let (Some(state), Some(timers)) = (self.state_digest, self.timers) else {
            return Err(Error::corrupt(
                uid,
                format!("a format-{format} entry without its state digest or timers"),
            ));
        };
        let timers = serde_json::from_str(&timers)
            .map_err(|e| Error::corrupt(uid, format!("history timers are not JSON: {e}")))?;
        let rules = match (format == i64::from(FORMAT_RULED), self.rules) {
            (false, _) => None,
            (true, Some(rules)) => Some(rules),
            (true, None) => {
                return Err(Error::corrupt(
                    uid,
                    "a format-3 entry without its rules version",
                ));
            }
        };
        Ok((Some(Binding { state, timers }), rules))
    }
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
