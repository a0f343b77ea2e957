//! Claim-on-enqueue: a command whose commit enqueues a step that can be delivered at once leases that step in
//! the same transaction and hands it straight to this process's delivery loop. Without it every step costs a
//! second write transaction (the claim) and waits for the loop to wake up and find it; with it the step's
//! delivery starts as soon as the command is durable.
//!
//! The store decides whether the lease is taken (only when no earlier step of the instance is open, so the
//! per-instance order holds); the engine only asks when it could start the delivery now: delivery enabled,
//! breaker closed, no maintenance window in force, a handler for the step and a free delivery slot (reserved
//! before the commit, so a leased step never waits for a slot). A leased step the loop never receives (the
//! process stopped or crashed) is recovered like any other lease: released at shutdown or restart, or
//! claimable again when the lease expires, and marked ambiguous either way. A commit whose outcome is unknown
//! (the database connection failed before the reply) gives its lease back at once when it turns out to have
//! happened: the step was never handed over, so it is queued again, not ambiguous, and no delivery waits for
//! the lease to expire.

use super::worker::{DeliveryState, wall_now};
use crate::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use lpaflow_core::{Decision, InstanceId};
use lpaflow_store::{Committed, StepLease, StepRow, StepStatus};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;

/// A leased step on its way to the delivery loop, holding the delivery slot it will run in.
pub(crate) struct HandedOff {
    pub(crate) step: StepRow,
    pub(crate) slot: OwnedSemaphorePermit,
}

/// A delivery slot reserved for the first step of a commit about to be made.
pub(crate) struct Reservation {
    state: Arc<DeliveryState>,
    slot: OwnedSemaphorePermit,
    lease: StepLease,
    enqueued_at: DateTime<Utc>,
    uid: InstanceId,
    /// The per-instance sequence number the step gets.
    seq: u64,
}

/// How often a commit with an unknown outcome retries giving back its step's lease.
const GIVE_BACK_RETRY: Duration = Duration::from_millis(500);

impl Reservation {
    /// The lease to ask the commit for.
    pub(crate) fn lease(&self) -> StepLease {
        self.lease.clone()
    }

    /// When the commit enqueues its steps.
    pub(crate) fn enqueued_at(&self) -> DateTime<Utc> {
        self.enqueued_at
    }
}

impl Engine {
    /// Reserves a delivery slot for the first step `decisions` enqueue on `uid` (which already holds
    /// `steps_before` steps), if its delivery could start now.
    pub(crate) fn reserve_first_step(
        &self,
        uid: &InstanceId,
        steps_before: u64,
        decisions: &[Decision],
    ) -> Option<Reservation> {
        let state = self.inner.delivery.as_ref()?;
        let first = decisions.iter().flat_map(|d| &d.effects.steps).next()?;
        if !state.can_start_now(first.name.as_str()) {
            return None;
        }
        let slot = state.slots.clone().try_acquire_owned().ok()?;
        let enqueued_at = wall_now();
        Some(Reservation {
            state: state.clone(),
            slot,
            lease: StepLease {
                owner: self.inner.node_id.clone(),
                until: enqueued_at + TimeDelta::milliseconds(state.options.lease_ms as i64),
            },
            enqueued_at,
            uid: uid.clone(),
            seq: steps_before + 1,
        })
    }

    /// After a commit failed with a store error its outcome is unknown: if it did happen, its first step is
    /// leased to this process but was never handed over. Gives the lease back (retrying while the database
    /// is unreachable, until the lease would have expired anyway) so the step is delivered without delay.
    pub(crate) fn give_back_unsent_step(&self, reservation: Option<Reservation>) {
        let Some(r) = reservation else { return };
        let Reservation {
            slot,
            lease,
            uid,
            seq,
            ..
        } = r;
        drop(slot);
        let engine = self.clone();
        tokio::spawn(async move {
            while wall_now() < lease.until {
                match engine
                    .inner
                    .store
                    .release_unsent_step(&uid, seq, &lease, wall_now())
                    .await
                {
                    Ok(released) => {
                        if released {
                            engine.inner.steps_enqueued.notify_one();
                        }
                        return;
                    }
                    Err(_) => tokio::time::sleep(GIVE_BACK_RETRY).await,
                }
            }
        });
    }

    /// Hands the commit's first step to the delivery loop if the store leased it with the commit; otherwise
    /// the reserved slot is freed and the loop claims the step when it is due.
    pub(crate) fn hand_off_first_step(
        &self,
        reservation: Option<Reservation>,
        committed: &Committed,
        decisions: &[Decision],
    ) {
        let Some(r) = reservation else { return };
        if !committed.first_step_leased {
            return;
        }
        let Some(step) = first_step_row(&r, committed, decisions) else {
            return;
        };
        r.state.hand_off(HandedOff { step, slot: r.slot });
    }
}

/// The outbox row the store wrote for the commit's first step, rebuilt from what was committed.
fn first_step_row(
    r: &Reservation,
    committed: &Committed,
    decisions: &[Decision],
) -> Option<StepRow> {
    let (d, s) = decisions
        .iter()
        .find_map(|d| d.effects.steps.first().map(|s| (d, s)))?;
    let id = *committed.step_ids.first()?;
    Some(StepRow {
        id,
        uid: r.uid.clone(),
        seq: r.seq,
        revision: d.instance.revision,
        step: s.name.clone(),
        delivery: s.delivery,
        then_event: s.then.as_ref().map(|e| e.to_string()),
        payload: s.payload.clone(),
        status: StepStatus::InFlight,
        attempts: 0,
        ambiguous: false,
        next_attempt_at: r.enqueued_at,
        lease_owner: Some(r.lease.owner.clone()),
        lease_until: Some(r.lease.until),
        fence: 1,
        result: None,
        last_error: None,
        created_at: r.enqueued_at,
        completed_at: None,
        previous_completed_at: committed.first_step_previous_completed_at,
    })
}
