//! Lists of instances: the caseworker queues and searches. A [`ListQuery`] filters by state, labels, sync status
//! and search words, orders by one [`ListSort`] in either direction and pages with a keyset cursor, so a page
//! never skips or repeats a row while rows change. The SQL is built once here for both backends (`sql.rs`); each
//! backend only binds and reads rows.

mod sql;
#[cfg(test)]
mod tests;

pub(crate) use sql::{Arg, Dialect, Listing, Statement, count, labels_of};

use crate::model::SyncStatus;
use chrono::{DateTime, Utc};
use lpaflow_core::InstanceId;
use serde::Serialize;

/// Filters of a list query (all optional, combined with AND), its order and its page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Current state.
    pub state: Option<String>,
    /// Labels set by the rules (e.g. `finding:open`): every one given must be present.
    pub labels: Vec<String>,
    /// Sync status; `Pending` also matches instances awaiting a blocking step.
    pub sync: Option<SyncStatus>,
    /// Query words, already normalised ([`lpaflow_core::search::query_words`]): each must be a prefix of one
    /// of the instance's search terms. Empty words are ignored.
    pub words: Vec<String>,
    /// Whether personal terms (names, postcodes, dates of birth) count: only for callers who may see
    /// personal data.
    pub personal_terms: bool,
    /// The order of the list.
    pub sort: ListSort,
    /// Largest first (for [`ListSort::Title`], instances without a title still come last).
    pub descending: bool,
    /// Continue after this cursor (from the previous page of the same sort and direction).
    pub cursor: Option<String>,
    /// Page size (1..=500).
    pub limit: u32,
}

/// What a list is ordered by; ties are broken by uid, so every order is total and pages are stable.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ListSort {
    /// Creation time.
    #[default]
    Created,
    /// Time of the last change.
    Updated,
    /// The uid (the LPA's reference).
    Reference,
    /// The title the rules gave (instances without one come last, in both directions).
    Title,
}

/// One row of a list.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceSummary {
    /// The instance.
    pub uid: InstanceId,
    /// Workflow name.
    pub workflow: String,
    /// Workflow version.
    pub version: u32,
    /// Current state.
    pub state: String,
    /// Revision.
    pub revision: u64,
    /// Sync status.
    pub sync_status: SyncStatus,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The title the rules gave. Never serialised: for LPAs it is the donor's name, personal data, which only
    /// a read model that knows the caller's role may show.
    #[serde(skip)]
    pub title: Option<String>,
    /// The instance's labels, sorted.
    pub labels: Vec<String>,
}
