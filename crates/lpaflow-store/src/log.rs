//! The global log as the auditor's tools read it: every entry in index order, read in pages.

use crate::{Error, Store};
use lpaflow_core::InstanceId;
use lpaflow_core::log::LogEntry;

const LOG_PAGE: u32 = 10_000;

impl Store {
    /// Every entry of the global log in index order (as stored: a gap or a duplicate index is for the caller
    /// to find). `progress` is called with the number read so far.
    pub async fn log(&self, mut progress: impl FnMut(u64)) -> Result<Vec<LogEntry>, Error> {
        let mut out: Vec<LogEntry> = Vec::new();
        let mut after = -1i64;
        loop {
            let page = self.inner.db.log_entries(after, LOG_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = i64::try_from(last.index).unwrap_or(i64::MAX);
            let full = page.len() == LOG_PAGE as usize;
            out.extend(page);
            progress(out.len() as u64);
            if !full {
                break;
            }
        }
        Ok(out)
    }

    /// History rows that have no global index (written outside lpaflow: no checkpoint can cover them).
    pub async fn unindexed_history(&self) -> Result<Vec<(InstanceId, u64)>, Error> {
        self.inner.db.unindexed_history().await
    }
}
