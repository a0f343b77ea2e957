//! Everything a caseworker's page of one LPA shows, read once: the stored instance, its definition, one run of
//! the rules (the explanation and the data as the rules saw it), its OPG steps and timers, and its history for
//! the roles that may read history.

use crate::caller::{Caller, Role};
use crate::service::LpaService;
use chrono::{DateTime, Utc};
use lpaflow_core::history::StoredEntry;
use lpaflow_core::{InstanceId, WorkflowDef};
use lpaflow_engine::Error;
use lpaflow_lpa::{Explanation, LpaData};
use lpaflow_store::{StepRow, StoredInstance, TimerRow};
use std::sync::Arc;

/// Roles that may read history.
pub const HISTORY_READERS: &[Role] = &[Role::Auditor, Role::Caseworker, Role::Admin];
/// History entries a page shows.
pub const HISTORY_SHOWN: u32 = 1000;

/// One LPA's page.
pub struct LpaPage {
    /// As stored.
    pub stored: StoredInstance,
    /// The definition it is pinned to.
    pub def: Arc<WorkflowDef>,
    /// The rules' explanation now.
    pub explanation: Explanation,
    /// The data as the rules saw it (refreshed now); `None` when it cannot be read as LPA data.
    pub data: Option<LpaData>,
    /// Its OPG steps.
    pub steps: Vec<StepRow>,
    /// Its timers.
    pub timers: Vec<TimerRow>,
    /// `None` when the caller's role may not read history.
    pub history: Option<Vec<StoredEntry>>,
    /// The business clock's now, the explanation's.
    pub now: DateTime<Utc>,
}

impl LpaService {
    /// LPA `uid`'s page for `caller` (`NotFound` for no LPA).
    pub async fn page(&self, caller: &Caller, uid: &InstanceId) -> Result<LpaPage, Error> {
        let stored = self.existing(uid).await?;
        let def = self.definition_of(&stored)?;
        let now = self.now();
        let (explanation, data) = lpaflow_lpa::explain_with_data(
            &def,
            self.engine.rules().as_ref(),
            &stored.instance,
            now,
        );
        let history = if HISTORY_READERS.contains(&caller.role) {
            Some(self.engine.history(uid, 0, HISTORY_SHOWN).await?)
        } else {
            None
        };
        Ok(LpaPage {
            steps: self.engine.steps(uid).await?,
            timers: self.engine.timers(uid).await?,
            stored,
            def,
            explanation,
            data,
            history,
            now,
        })
    }

    /// The definition `stored` is pinned to.
    pub fn definition_of(&self, stored: &StoredInstance) -> Result<Arc<WorkflowDef>, Error> {
        self.engine.definition_for(stored)
    }
}
