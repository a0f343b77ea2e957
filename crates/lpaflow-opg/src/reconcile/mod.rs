//! Reconciliation: does OPG hold what lpaflow says it should? (`lpaflow reconcile`, issue 6.)
//!
//! For each LPA, what OPG *should* hold is derived from local facts only: the LPA document the rules build
//! from the instance's data (`lpaflow_lpa::document`, the same builder the step payloads come from), the LPA
//! Store status of the instance's state, and the outbox. A step still open (queued, suspended, retrying, in
//! flight, or blocked behind another) is *in flight*, not drift: OPG may hold the values before it or after
//! it, so the keys (or the status) it touches are not compared. Everything else must match.
//!
//! The comparison ([`compare()`]) is pure and returns the differences as data, each with the repair that is
//! safe for it ([`Repair`]). The driver (`lpaflow_app::reconcile`, a use case: it reads the store, fires
//! findings and reopens steps) reads local state first and OPG second (a step delivered in
//! between is then still open locally, never a false difference), uses the batch read, confirms every
//! difference with a fresh single read between two local reads that agree, asks OPG's change log who last
//! changed a differing key, and with `repair` carries the repairs out.
//!
//! What a repair may do, and why it is safe:
//! - **Retry a failed step** when OPG already holds its effect (applied, not recorded: OPG answered badly
//!   after applying it) or when it failed for a transient reason only (attempts used up). The store reopens
//!   it marked ambiguous, so the worker reads OPG back before sending and never sends a change twice.
//! - **Nothing automatic otherwise.** A key OPG holds differently (someone changed it in OPG), a status
//!   OPG disagrees with, an LPA OPG no longer holds although it confirmed its creation (it may have been
//!   deleted or merged there on purpose), an LPA OPG holds that lpaflow never submitted, or a step OPG refused:
//!   overwriting or recreating the system of record is a person's decision. Reconcile raises a
//!   `sync_problem` finding (kind `conflict`, subject `reconcile`) with the differences, unless an open
//!   finding already asks for that decision.
//!
//! Reports carry uids, step names, JSON pointers, statuses and codes, never the values of personal fields:
//! those go into the finding on the LPA only, where a caseworker sees them.

mod compare;
mod report;

pub use compare::{Local, Remote, attribute, compare, expected_document, fingerprint};
pub use report::{Error, LpaReport, Options, Outcome, Report, Summary};

use lpaflow_store::StepStatus;
use serde::Serialize;
use serde_json::Value;

/// The subject of the findings reconcile raises.
pub const FINDING_SUBJECT: &str = "reconcile";

/// Where one LPA stands after comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Not submitted yet, and OPG holds nothing: nothing to compare.
    LocalOnly,
    /// OPG holds what it should, up to `pending` steps still in flight.
    InSync {
        /// Open steps.
        pending: usize,
    },
    /// OPG differs.
    Drift(Vec<Drift>),
    /// Nothing can be said now (a stale or failed read, unreadable local data, an LPA that kept changing).
    Unverified {
        /// Why.
        reason: String,
    },
}

/// A kind of difference.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DriftKind {
    /// Submitted locally, but OPG does not hold the LPA.
    MissingInOpg,
    /// OPG holds an LPA lpaflow never submitted.
    UnexpectedInOpg,
    /// A step failed locally, but OPG holds its effect.
    StepAppliedNotRecorded,
    /// A step failed locally and OPG does not hold its effect.
    StepNotApplied,
    /// A document key differs (not explained by a step in flight or a failed step).
    FieldMismatch,
    /// The LPA Store status differs from the instance's state.
    StatusMismatch,
}

/// The step a difference is about.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRef {
    /// Outbox row id.
    pub id: i64,
    /// Position among the LPA's steps.
    pub seq: u64,
    /// Step name.
    pub name: String,
    /// Where it is.
    pub status: StepStatus,
}

/// Who last changed a differing key in OPG, from its change log.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribution {
    /// The change log entry.
    pub id: String,
    /// Its author (a URN).
    pub author: String,
    /// When it was applied.
    pub applied: String,
    /// Its update type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether lpaflow wrote it (its author is lpaflow's subject).
    pub by_lpaflow: bool,
}

/// What is safe to do about a difference.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Repair {
    /// Reopen the failed step (marked ambiguous: the worker reads OPG back before sending).
    RetryStep {
        /// The step.
        step_id: i64,
    },
    /// An open finding already asks a person to decide.
    Flagged {
        /// The finding.
        finding: String,
    },
    /// A person must decide: reconcile raises a finding.
    Person,
}

/// One difference between lpaflow and OPG.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    /// What kind.
    pub kind: DriftKind,
    /// The document key, for field differences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The step, for step differences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<StepRef>,
    /// Plain words, without personal data.
    pub detail: String,
    /// What is safe to do.
    pub repair: Repair,
    /// Who last changed the key (or the status) in OPG, when the change log says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_change: Option<Attribution>,
    /// The expected and actual values: personal data, kept for the finding on the LPA, never reported.
    #[serde(skip)]
    pub values: Option<(Value, Value)>,
}

impl Drift {
    fn new(kind: DriftKind, detail: impl Into<String>, repair: Repair) -> Self {
        Self {
            kind,
            pointer: None,
            step: None,
            detail: detail.into(),
            repair,
            last_change: None,
            values: None,
        }
    }
}

#[cfg(test)]
mod tests;
