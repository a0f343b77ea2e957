//! What reconciliation reports: per LPA the differences and what was done about them, and counts over all.

use super::Drift;
use crate::client::OpgError;
use lpaflow_core::InstanceId;
use serde::Serialize;
use std::collections::BTreeMap;

/// Why reconciliation stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] lpaflow_store::Error),
    /// The engine refused to record a finding for a reason other than the LPA's state.
    #[error(transparent)]
    Engine(#[from] lpaflow_engine::Error),
    /// OPG could not be read, even after retries.
    #[error("OPG could not be read: {0}")]
    Opg(#[from] OpgError),
    /// The requested LPA does not exist locally.
    #[error("no LPA {0} in the store")]
    NotFound(String),
}

/// What to reconcile, and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// The workflow whose instances are LPAs (`lpa`).
    pub workflow: String,
    /// Only this LPA.
    pub uid: Option<InstanceId>,
    /// Carry out the safe repairs and raise findings for the rest.
    pub repair: bool,
    /// LPAs per page (one batch read each); at most the API's batch limit.
    pub page_size: usize,
    /// lpaflow's author URN in OPG's change log.
    pub our_author: String,
}

impl Options {
    /// Every LPA, report only, pages of 500.
    pub fn new(our_author: impl Into<String>) -> Self {
        Self {
            workflow: "lpa".to_owned(),
            uid: None,
            repair: false,
            page_size: 500,
            our_author: our_author.into(),
        }
    }
}

/// How one LPA with something to say ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// OPG differs.
    Drift,
    /// Nothing could be decided.
    Unverified,
}

/// One LPA that differs from OPG or could not be checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LpaReport {
    /// The LPA.
    pub uid: String,
    /// Its workflow state.
    pub state: String,
    /// Drift or unverified.
    pub outcome: Outcome,
    /// Why it is unverified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The differences.
    pub differences: Vec<Drift>,
    /// What `--repair` did.
    pub repairs: Vec<String>,
    /// Whether differences remain that no repair was enqueued for.
    pub drift_remains: bool,
}

/// Counts over every LPA checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// LPAs compared.
    pub checked: u64,
    /// OPG holds what it should, nothing in flight.
    pub in_sync: u64,
    /// OPG holds what it should, steps still in flight.
    pub pending: u64,
    /// Not submitted yet.
    pub local_only: u64,
    /// LPAs with differences.
    pub drifted: u64,
    /// LPAs that could not be checked.
    pub unverified: u64,
    /// Differences by kind.
    pub differences: BTreeMap<String, u64>,
    /// Failed steps reopened.
    pub repairs_enqueued: u64,
    /// Findings raised for a person.
    pub findings_raised: u64,
    /// Differences an open finding already covers.
    pub already_flagged: u64,
}

/// The whole reconciliation.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The counts.
    pub summary: Summary,
    /// Every LPA that differs or could not be checked, in uid order.
    pub lpas: Vec<LpaReport>,
}

impl Report {
    /// Differences remain that no repair was enqueued for, or an LPA could not be checked.
    pub fn drift_remains(&self) -> bool {
        self.lpas.iter().any(|l| l.drift_remains)
    }
}
