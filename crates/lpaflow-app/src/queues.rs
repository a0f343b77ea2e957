//! The caseworker queues: LPAs filtered by state, label and sync status, a page at a time in a stable order.

use crate::caller::Role;
use crate::service::LpaService;
use lpaflow_core::StateName;
use lpaflow_engine::Error;
use lpaflow_store::{InstanceSummary, ListQuery, Page};

/// Who may list LPAs.
pub const LISTERS: &[Role] = &[Role::Caseworker, Role::Auditor, Role::Admin];

impl LpaService {
    /// Whether `state` is a state of the current LPA workflow.
    pub fn is_lpa_state(&self, state: &str) -> bool {
        self.lpa_definition()
            .is_some_and(|d| d.state(&StateName::new(state)).is_some())
    }

    /// The states of the current LPA workflow, in definition order.
    pub fn lpa_states(&self) -> Vec<String> {
        self.lpa_definition()
            .map(|d| d.states().iter().map(|s| s.name.to_string()).collect())
            .unwrap_or_default()
    }

    /// One page of the queue `query` describes.
    pub async fn list(&self, query: &ListQuery) -> Result<Page<InstanceSummary>, Error> {
        Ok(self.store.list(query).await?)
    }
}
