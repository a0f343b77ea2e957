//! The OPG steps of one LPA, and a person's decision on a step OPG refused for good: send it again (it is read
//! back first, in case it took effect) or skip it. Either wakes the delivery so the LPA's later steps move.

use crate::caller::{Caller, Forbidden, Role};
use crate::service::LpaService;
use lpaflow_core::InstanceId;
use lpaflow_engine::Error;
use lpaflow_store::{StepRow, SyncStatus};

/// What a person decides about a failed step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepDecision {
    /// Send it again.
    Retry,
    /// Give it up.
    Skip,
}

/// Why a decision on a step was not applied.
#[derive(Debug)]
pub enum DecideError {
    /// Only admins decide on failed steps.
    Forbidden(Forbidden),
    /// The LPA has no such step.
    NoSuchStep {
        /// The LPA.
        uid: InstanceId,
        /// The step asked for.
        id: i64,
    },
    /// The step is not failed.
    NotFailed {
        /// The step.
        id: i64,
    },
    /// The engine or the store failed.
    Engine(Error),
}

impl From<Error> for DecideError {
    fn from(e: Error) -> Self {
        Self::Engine(e)
    }
}

impl From<lpaflow_store::Error> for DecideError {
    fn from(e: lpaflow_store::Error) -> Self {
        Self::Engine(e.into())
    }
}

/// An LPA's sync status and every one of its steps, in order.
#[derive(Clone, Debug)]
pub struct LpaSteps {
    /// Where the LPA stands with OPG.
    pub status: SyncStatus,
    /// Every step.
    pub steps: Vec<StepRow>,
}

impl LpaService {
    /// LPA `uid`'s sync status and steps (`NotFound` for no LPA).
    pub async fn steps(&self, uid: &InstanceId) -> Result<LpaSteps, Error> {
        let stored = self.existing(uid).await?;
        Ok(LpaSteps {
            status: stored.sync_status,
            steps: self.engine.steps(uid).await?,
        })
    }

    /// Applies `decision` to failed step `id` of LPA `uid` as `caller`.
    pub async fn decide_step(
        &self,
        caller: &Caller,
        uid: &InstanceId,
        id: i64,
        decision: StepDecision,
    ) -> Result<LpaSteps, DecideError> {
        let what = match decision {
            StepDecision::Retry => "retry OPG steps",
            StepDecision::Skip => "skip OPG steps",
        };
        caller
            .require(&[Role::Admin], what)
            .map_err(DecideError::Forbidden)?;
        let step = self.store.step(id).await?;
        if step.as_ref().is_none_or(|s| &s.uid != uid) {
            return Err(DecideError::NoSuchStep {
                uid: uid.clone(),
                id,
            });
        }
        let now = self.now();
        let changed = match decision {
            StepDecision::Retry => self.store.retry_failed_step(id, now).await?,
            StepDecision::Skip => self.store.skip_failed_step(id, now).await?,
        };
        if !changed {
            return Err(DecideError::NotFailed { id });
        }
        self.engine.wake_delivery();
        let retry = decision == StepDecision::Retry;
        tracing::info!(uid = %uid, step_id = id, retry, actor = %caller.sub, "a person decided a failed OPG step");
        Ok(self.steps(uid).await?)
    }
}
