//! Bringing the list indexes of older instances up to date: instances written before the store kept titles
//! and search terms (migration 0008), or before the rules gave them their present labels, have none. Each is
//! given the labels and findable its rules compute now, written only if it is still at the revision they were
//! computed from (a command meanwhile wrote its own). Runs in the background when a service starts; a page at a
//! time, so a large database is not read at once.

use crate::{Engine, Error};
use lpaflow_core::InstanceId;

/// Instances read at a time.
const PAGE: u32 = 500;

impl Engine {
    /// Gives every instance without a title the labels, title and search terms its rules compute; returns how
    /// many were written. Instances that have nothing to title them by are looked at again on each run (they are
    /// few: applications without a donor's name).
    pub async fn reindex_untitled(&self) -> Result<u64, Error> {
        let rules = self.inner.rules.as_ref();
        let mut after: Option<InstanceId> = None;
        let mut written = 0u64;
        loop {
            let page = self.inner.store.untitled(after.as_ref(), PAGE).await?;
            let Some(last) = page.last() else {
                if written > 0 {
                    tracing::info!(written, "list indexes brought up to date");
                }
                return Ok(written);
            };
            after = Some(last.instance.id.clone());
            for stored in &page {
                let i = &stored.instance;
                let (labels, findable) =
                    crate::commands::indexes_of(rules, i, &lpaflow_core::Reading::new());
                if findable.title.is_none() && findable.terms.is_empty() && labels.is_empty() {
                    continue;
                }
                if self
                    .inner
                    .store
                    .write_indexes(&i.id, i.revision, &labels, &findable)
                    .await?
                {
                    written += 1;
                }
            }
        }
    }
}
