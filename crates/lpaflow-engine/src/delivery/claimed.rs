//! What the engine hands a step handler: the claimed step (engine-owned, not the store's outbox row) with its
//! [`Claim`], which the handler checks right before an effect it cannot take back.

use crate::Liveness;
use chrono::{DateTime, TimeDelta, Utc};
use lpaflow_core::{InstanceId, StepName};
use lpaflow_store::StepRow;
use serde_json::Value;
use std::sync::Arc;

use super::wall_now;

/// A step this process claimed, as a handler sees it.
#[derive(Clone, Debug)]
pub struct ClaimedStep {
    /// The outbox id.
    pub id: i64,
    /// The instance.
    pub uid: InstanceId,
    /// The step's name (`opg.create`, `opg.update:REGISTER`).
    pub name: StepName,
    /// What the rules stored for it.
    pub payload: Value,
    /// An earlier attempt may have taken effect: check before acting again.
    pub ambiguous: bool,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the instance's previous step completed (for systems that need a gap between two writes).
    pub previous_completed_at: Option<DateTime<Utc>>,
    /// The hold on it.
    pub claim: Claim,
}

impl ClaimedStep {
    /// The step of `row`, held under its lease by a process with `liveness`.
    pub fn new(row: &StepRow, liveness: Option<Arc<Liveness>>) -> Self {
        Self {
            id: row.id,
            uid: row.uid.clone(),
            name: row.step.clone(),
            payload: row.payload.clone(),
            ambiguous: row.ambiguous,
            attempts: row.attempts,
            previous_completed_at: row.previous_completed_at,
            claim: Claim::new(row.lease_until, liveness),
        }
    }
}

/// A claimed step's hold, for a handler to check right before an effect it cannot take back (a write to a
/// system without idempotency keys): the lease must not be about to end, and this process must not have gone
/// so long without a heartbeat that another one may have taken its work over (see [`crate::liveness`]).
#[derive(Clone, Debug)]
pub struct Claim {
    lease_until: Option<DateTime<Utc>>,
    liveness: Option<Arc<Liveness>>,
    /// The process's generation when the claim was made (see [`Liveness::generation`]).
    generation: u64,
}

/// Why a claim no longer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClaimLost {
    /// The lease ends too soon for the effect and its record.
    #[error("the step's lease ends too soon to act on it")]
    LeaseEnding,
    /// This process's last heartbeat is too old: another process may have taken its work over.
    #[error("this process has not beaten recently enough to act for its claims")]
    NotLive,
    /// Another process took this one over after the claim was made: the step is someone else's now, even
    /// if this process beats again.
    #[error("this process was taken over after it claimed the step")]
    TakenOver,
}

/// A lease this close to its end is not acted on. Kept small: an ambiguous step is read twice a write gap
/// (1.1 s) apart before its write, and the whole attempt must fit in one lease (30 s by default; tests use
/// 2 s), or it would be deferred for ever.
const CLAIM_MARGIN: TimeDelta = TimeDelta::milliseconds(250);

impl Claim {
    /// The claim of a step leased until `lease_until` by a process with `liveness`.
    pub fn new(lease_until: Option<DateTime<Utc>>, liveness: Option<Arc<Liveness>>) -> Self {
        let generation = liveness.as_ref().map_or(0, |l| l.generation());
        Self {
            lease_until,
            liveness,
            generation,
        }
    }

    /// A claim that always holds (a handler called outside an engine, in tests).
    pub fn unchecked() -> Self {
        Self::new(None, None)
    }

    /// `Ok` while the step may still be acted on.
    pub fn still_held(&self) -> Result<(), ClaimLost> {
        if self
            .lease_until
            .is_some_and(|until| until - CLAIM_MARGIN <= wall_now())
        {
            return Err(ClaimLost::LeaseEnding);
        }
        if let Some(l) = &self.liveness {
            if l.generation() != self.generation {
                return Err(ClaimLost::TakenOver);
            }
            if !l.fresh() {
                return Err(ClaimLost::NotLive);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod claim_tests {
    use super::*;
    use crate::LivenessOptions;
    use std::time::Duration;

    #[test]
    fn a_claim_holds_while_the_lease_has_time_and_the_process_beats() {
        let lease = |secs| Some(wall_now() + TimeDelta::seconds(secs));
        assert_eq!(Claim::new(lease(30), None).still_held(), Ok(()));
        assert_eq!(
            Claim::new(lease(0), None).still_held(),
            Err(ClaimLost::LeaseEnding),
            "no time left to record the outcome"
        );
        assert_eq!(Claim::unchecked().still_held(), Ok(()));

        let live = Arc::new(crate::Liveness::new(&LivenessOptions {
            dead_after: Duration::from_millis(600),
            ..LivenessOptions::default()
        }));
        let claim = Claim::new(lease(30), Some(live));
        assert_eq!(claim.still_held(), Ok(()));
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(
            claim.still_held(),
            Err(ClaimLost::NotLive),
            "no heartbeat for longer than the bound less the margin"
        );
    }

    #[test]
    fn a_claim_made_before_a_takeover_never_holds_again() {
        let live = Arc::new(crate::Liveness::new(&LivenessOptions::default()));
        let before = Claim::new(
            Some(wall_now() + TimeDelta::seconds(30)),
            Some(live.clone()),
        );
        live.taken_over();
        assert_eq!(
            before.still_held(),
            Err(ClaimLost::TakenOver),
            "the process beats again, but the step is another's now"
        );
        let after = Claim::new(Some(wall_now() + TimeDelta::seconds(30)), Some(live));
        assert_eq!(after.still_held(), Ok(()));
    }
}
