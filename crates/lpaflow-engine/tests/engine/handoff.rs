//! Claim-on-enqueue: a command's first step is leased with its commit and delivered without a claim, only
//! while a delivery slot is free; delivery leases run on the wall clock whatever the business clock says.

use crate::both_backends;
use crate::harness::{eventually, manual_clock, start, start_with, system_clock};
use chrono::TimeDelta;
use lpaflow_core::{Command, InstanceId};
use lpaflow_store::{StepStatus, SyncStatus};
use lpaflow_test_support::{TestDb, WriteLock};
use std::sync::atomic::Ordering;
use std::time::Duration;

both_backends!(
    a_first_step_is_leased_with_its_commit_while_a_slot_is_free,
    moving_the_business_clock_does_not_expire_delivery_leases,
    handed_off_steps_and_claimed_steps_never_wait_for_each_others_slots,
    a_command_whose_caller_went_away_still_hands_its_step_over,
);

fn agent(event: &str) -> Command {
    Command::new(event, "agent-1", "agent")
}

async fn a_first_step_is_leased_with_its_commit_while_a_slot_is_free(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    s.handler.held.store(true, Ordering::SeqCst);
    // The harness delivers with 8 slots: the first 8 steps are handed off with their commits.
    let ids: Vec<InstanceId> = (0..9)
        .map(|n| InstanceId::new(format!("T-9{n:02}")))
        .collect();
    for id in &ids[..8] {
        let out = s
            .engine
            .create("ticket", id.clone(), agent("create"))
            .await
            .unwrap();
        let step = &s.engine.steps(id).await.unwrap()[0];
        assert_eq!(step.id, out.step_ids[0]);
        assert_eq!(
            (step.status, step.fence, step.lease_owner.as_deref()),
            (StepStatus::InFlight, 1, Some(s.engine.node_id())),
            "{id}: leased in the commit that enqueued it"
        );
    }
    s.engine
        .create("ticket", ids[8].clone(), agent("create"))
        .await
        .unwrap();
    let step = &s.engine.steps(&ids[8]).await.unwrap()[0];
    assert_eq!(
        (step.status, step.fence),
        (StepStatus::Queued, 0),
        "no slot was free: the step waits for the loop's claim"
    );
    eventually("the handed-off steps are being delivered", || async {
        s.handler.calls().len() == 8
    })
    .await;
    s.handler.held.store(false, Ordering::SeqCst);
    for id in &ids {
        eventually("synced", || async {
            s.engine.get(id).await.unwrap().unwrap().sync_status == SyncStatus::Synced
        })
        .await;
    }
    let calls = s.handler.calls();
    assert_eq!(calls.len(), 9, "each step delivered once: {calls:?}");
    assert!(calls.iter().all(|c| !c.2), "no delivery was ambiguous");
    s.engine.shutdown().await;
}

async fn moving_the_business_clock_does_not_expire_delivery_leases(db: &TestDb) {
    let clock = manual_clock();
    let s = start(db, clock.clone(), true).await;
    s.handler.held.store(true, Ordering::SeqCst);
    let held = InstanceId::new("T-950");
    s.engine
        .create("ticket", held.clone(), agent("create"))
        .await
        .unwrap();
    eventually("the step is being delivered", || async {
        s.handler.calls().len() == 1
    })
    .await;
    // Weeks pass in business time (a development clock jumping to the end of a waiting period) while the
    // delivery is in flight; the loop keeps claiming for other instances meanwhile.
    clock.advance(TimeDelta::days(30));
    let other = InstanceId::new("T-951");
    s.engine
        .create("ticket", other.clone(), agent("create"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.handler.held.store(false, Ordering::SeqCst);
    for id in [&held, &other] {
        eventually("synced", || async {
            s.engine.get(id).await.unwrap().unwrap().sync_status == SyncStatus::Synced
        })
        .await;
    }
    let calls = s.handler.calls();
    assert_eq!(
        calls.iter().filter(|c| c.0 == held.as_str()).count(),
        1,
        "the lease held: the step was not delivered again: {calls:?}"
    );
    s.engine.shutdown().await;
}

/// More commands at once than delivery slots: commits reserve slots for their first steps while the loop
/// claims queued steps. The loop must never wait for a slot (the slots' holders may be handed-off steps
/// waiting for the loop itself); every step is delivered.
async fn handed_off_steps_and_claimed_steps_never_wait_for_each_others_slots(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    let creators: Vec<_> = (0..16)
        .map(|c| {
            let engine = s.engine.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..25 {
                    let id = InstanceId::new(format!("T-{c:02}{n:02}"));
                    engine
                        .create("ticket", id.clone(), agent("create"))
                        .await
                        .unwrap();
                    ids.push(id);
                }
                ids
            })
        })
        .collect();
    let mut ids = Vec::new();
    for c in creators {
        ids.extend(c.await.unwrap());
    }
    for id in &ids {
        eventually("every step delivered", || async {
            s.engine.get(id).await.unwrap().unwrap().sync_status == SyncStatus::Synced
        })
        .await;
    }
    assert_eq!(
        s.handler.calls().len(),
        ids.len(),
        "each step delivered once"
    );
    s.engine.shutdown().await;
}

/// A caller that goes away while its command's commit waits in the writer (an HTTP client that disconnects, a
/// request timeout) does not stop the command: the commit lands with its first step leased to this process, so
/// the step must still be handed to the delivery loop (and the instance kept), or it would wait out its lease
/// and go out as ambiguous. Leases and polls last ten minutes here: a step left behind shows as a timeout.
async fn a_command_whose_caller_went_away_still_hands_its_step_over(db: &TestDb) {
    let s = start_with(db, system_clock(), true, |o| {
        if let Some(d) = o.delivery.as_mut() {
            d.poll_ms = 600_000;
            d.lease_ms = 600_000;
        }
    })
    .await;
    let id = InstanceId::new("T-960");
    // A creation (no stripe, nothing kept before) and a later command (decided from the instance kept).
    let (engine, uid) = (s.engine.clone(), id.clone());
    let create = async move { engine.create("ticket", uid, agent("create")).await };
    abandon_while_committing(&s, db, create).await;
    // Synced: the first step's completion is recorded, so the note's step is leased in its own commit (not left
    // behind the first, for its completion to wake the loop).
    eventually("the step delivered", || async {
        let stored = s.engine.get(&id).await.unwrap();
        stored.is_some_and(|i| i.sync_status == SyncStatus::Synced)
    })
    .await;
    let (engine, uid) = (s.engine.clone(), id.clone());
    let note = async move { engine.fire(&uid, agent("note")).await };
    abandon_while_committing(&s, db, note).await;
    eventually("the note's step delivered", || async {
        s.handler.calls().len() == 2
    })
    .await;
    s.engine.fire(&id, agent("note")).await.unwrap();
    eventually("the next step delivered", || async {
        s.handler.calls().len() == 3
    })
    .await;
    eventually("synced", || async {
        s.engine.get(&id).await.unwrap().unwrap().sync_status == SyncStatus::Synced
    })
    .await;
    let calls = s.handler.calls();
    assert!(
        calls.iter().all(|c| !c.2),
        "each handed over with its commit, none taken again as ambiguous: {calls:?}"
    );
    assert_eq!(
        s.engine.get(&id).await.unwrap().unwrap().instance.revision,
        3
    );
    s.engine.shutdown().await;
}

/// Runs `command` until its commit waits behind another connection's write lock, then stops waiting for it (as
/// hyper drops the handler of a client that disconnected) and lets the commit through.
async fn abandon_while_committing<T>(
    s: &crate::harness::Setup,
    db: &TestDb,
    command: impl std::future::Future<Output = T> + Send + 'static,
) where
    T: Send + 'static,
{
    let lock = WriteLock::take(db).await;
    let caller = tokio::spawn(command);
    eventually("the commit queued behind the lock", || async {
        s.store.commits_in_flight() > 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    caller.abort();
    assert!(
        matches!(caller.await, Err(e) if e.is_cancelled()),
        "the caller went away before its answer"
    );
    lock.release().await;
}
