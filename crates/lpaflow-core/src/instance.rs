//! One workflow instance as the interpreter sees it: where it is, its data, and whether it awaits a step.

use crate::data::Data;
use crate::definition::WorkflowRef;
use crate::names::{EventName, InstanceId, StateName, StepName};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An instance waits for the confirmation of a blocking step before it accepts other events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Awaiting {
    /// The blocking step.
    pub step: StepName,
    /// The event the engine fires when the step is confirmed.
    pub event: EventName,
    /// When the wait began.
    pub since: DateTime<Utc>,
}

/// A workflow instance. `revision` counts accepted commands: it is 1 after creation and grows by exactly one
/// per accepted command, and the instance's history holds entries 1..=revision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    /// The instance id (the LPA uid).
    pub id: InstanceId,
    /// The definition it is pinned to.
    pub workflow: WorkflowRef,
    /// Current state.
    pub state: StateName,
    /// Number of accepted commands.
    pub revision: u64,
    /// Domain data (a JSON object), shared: a decision, the store's answer and what the engine keeps of the
    /// instance hold the same members rather than copies, and so do an instance and the next one wherever a
    /// command left a member as it was ([`Data`]; issue 18).
    pub data: Data,
    /// Set while a blocking step is unconfirmed.
    pub awaiting: Option<Awaiting>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Instance {
    /// The instance before its creation command: revision 0, in the initial state, with no data. The
    /// interpreter's creation decision starts from it.
    pub fn unborn(
        id: InstanceId,
        workflow: WorkflowRef,
        initial: StateName,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            workflow,
            state: initial,
            revision: 0,
            data: Self::unborn_data(),
            awaiting: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The data of an instance before its creation (a creation's changes are from it): an empty object.
    pub fn unborn_data() -> Data {
        Data::empty()
    }
}
