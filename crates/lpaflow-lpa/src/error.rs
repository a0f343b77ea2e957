//! The crate's error: instance data that cannot be read as the layout of `docs/lpa-data.md`. It never
//! carries personal data (serde's message names a field and a position, not a value).

use lpaflow_core::{ActionError, Unmet};

/// Why the rules cannot work on an instance.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// The stored data does not have the LPA layout.
    #[error("the instance data does not have the LPA layout: {0}")]
    CorruptData(String),
}

impl Error {
    /// The stable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::CorruptData(_) => "corrupt_data",
        }
    }

    /// The error as an unmet condition.
    pub fn unmet(&self) -> Unmet {
        Unmet::new(self.code(), self.to_string())
    }
}

impl From<Error> for ActionError {
    fn from(e: Error) -> Self {
        ActionError::Refused(vec![e.unmet()])
    }
}
