//! When the delivery loop asks the store for steps: a step handed over with its commit, or a completion that
//! unblocked nothing, costs no claim round; a completion that unblocked its instance's next step is followed by
//! one at once, not at the next poll. The loop polls every ten minutes here, so a missing round shows as a
//! timeout and a needless one as a count.

use crate::both_backends;
use crate::harness::{Setup, agent, eventually, plan_window, start_with, system_clock};
use chrono::Utc;
use lpaflow_core::InstanceId;
use lpaflow_store::SyncStatus;
use lpaflow_test_support::TestDb;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;

both_backends!(
    a_step_unblocked_by_a_completion_is_claimed_at_once,
    a_step_left_for_want_of_a_slot_is_claimed_when_one_frees,
    a_deferred_step_is_claimed_when_it_falls_due,
    a_window_starting_later_stops_hand_offs_at_its_lead,
    a_window_planned_to_start_now_stops_hand_offs_at_once,
    a_step_handed_over_and_completed_with_its_event_costs_no_claim,
);

async fn polling_every_ten_minutes(db: &TestDb) -> Setup {
    polling_every_ten_minutes_with(db, 8).await
}

async fn polling_every_ten_minutes_with(db: &TestDb, slots: usize) -> Setup {
    start_with(db, system_clock(), true, |o| {
        if let Some(d) = o.delivery.as_mut() {
            d.poll_ms = 600_000;
            d.concurrency = slots;
        }
    })
    .await
}

async fn synced(s: &Setup, id: &InstanceId) {
    eventually("synced", || async {
        s.engine.get(id).await.unwrap().unwrap().sync_status == SyncStatus::Synced
    })
    .await;
}

async fn a_step_unblocked_by_a_completion_is_claimed_at_once(db: &TestDb) {
    let s = polling_every_ten_minutes(db).await;
    // The first step completes with a report (an event committed with the completion), the notes without:
    // both ways of recording a completion are followed by a round.
    s.handler.report_on("ext.open");
    s.handler.held.store(true, Ordering::SeqCst);
    let id = InstanceId::new("T-C01");
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    for i in 0..3 {
        s.engine
            .fire(&id, agent("note").with_payload(json!({ "i": i })))
            .await
            .unwrap();
    }
    // The notes wait behind the first step, which the held handler has not finished.
    s.handler.held.store(false, Ordering::SeqCst);
    synced(&s, &id).await;
    let steps: Vec<String> = s.handler.calls().into_iter().map(|c| c.1).collect();
    assert_eq!(steps, ["ext.open", "ext.note", "ext.note", "ext.note"]);
    s.engine.shutdown().await;
}

async fn a_step_left_for_want_of_a_slot_is_claimed_when_one_frees(db: &TestDb) {
    let s = polling_every_ten_minutes_with(db, 1).await;
    // A's step completes with a report: its commit shows no later step, so only the backlog can bring B's.
    s.handler.report_on("ext.open");
    s.handler.held.store(true, Ordering::SeqCst);
    let (a, b) = (InstanceId::new("T-C03"), InstanceId::new("T-C04"));
    s.engine
        .create("ticket", a.clone(), agent("create"))
        .await
        .unwrap();
    eventually("A's step in flight", || async {
        s.handler.calls().len() == 1
    })
    .await;
    // B's step finds no free slot: it is queued and the round it wakes has no slot to claim with.
    s.engine
        .create("ticket", b.clone(), agent("create"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.handler.held.store(false, Ordering::SeqCst);
    synced(&s, &b).await;
    s.engine.shutdown().await;
}

async fn a_deferred_step_is_claimed_when_it_falls_due(db: &TestDb) {
    let s = polling_every_ten_minutes(db).await;
    s.handler
        .defer_once
        .lock()
        .unwrap()
        .insert("ext.open".into());
    let id = InstanceId::new("T-C05");
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    synced(&s, &id).await;
    let steps: Vec<String> = s.handler.calls().into_iter().map(|c| c.1).collect();
    assert_eq!(
        steps,
        ["ext.open", "ext.open"],
        "deferred once, then delivered"
    );
    s.engine.shutdown().await;
}

async fn a_window_starting_later_stops_hand_offs_at_its_lead(db: &TestDb) {
    let s = polling_every_ten_minutes(db).await;
    // The loop reads the windows again at a round at least a second after its last read (its first round, as
    // it started): wait well past that.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let window = plan_window(&s, 2, 4).await;
    // What the API and the console do after adding a window.
    s.engine.maintenance_changed();
    // The window's lead (a second before it) starts in a second; no poll is due for ten minutes, and a command
    // hands its step over unless a round has seen the window in force.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let id = InstanceId::new("T-C06");
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        s.handler.calls().is_empty(),
        "nothing is sent from the window's lead"
    );
    synced(&s, &id).await;
    assert!(Utc::now() >= window.ends_at);
    s.engine.shutdown().await;
}

async fn a_window_planned_to_start_now_stops_hand_offs_at_once(db: &TestDb) {
    let s = polling_every_ten_minutes(db).await;
    // The loop reads the windows at its first round, then not for a second unless told.
    eventually("the loop's first round", || async {
        s.engine.delivery_claim_rounds() > 0
    })
    .await;
    let window = plan_window(&s, -1, 2).await;
    s.engine.maintenance_changed();
    // At once, before the loop may even have run: the command must not hand its step over.
    let id = InstanceId::new("T-C07");
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        s.handler.calls().is_empty(),
        "nothing is sent in a window planned to start now"
    );
    synced(&s, &id).await;
    assert!(Utc::now() >= window.ends_at);
    s.engine.shutdown().await;
}

async fn a_step_handed_over_and_completed_with_its_event_costs_no_claim(db: &TestDb) {
    let s = polling_every_ten_minutes(db).await;
    let id = InstanceId::new("T-C02");
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    synced(&s, &id).await;
    // Two rounds so far: the loop's first, and the one after the first step's completion (no event: it may
    // have unblocked something).
    eventually("the rounds so far", || async {
        s.engine.delivery_claim_rounds() >= 2
    })
    .await;
    let before = s.engine.delivery_claim_rounds();
    // `ext.close` is handed over with the `close` commit and completed with its `closed` event; the instance
    // has no step after it.
    s.engine.fire(&id, agent("close")).await.unwrap();
    eventually("closed", || async {
        s.engine.get(&id).await.unwrap().unwrap().instance.state == "closed"
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.engine.delivery_claim_rounds(), before, "no claim round");
    assert_eq!(s.handler.calls().len(), 2);
    s.engine.shutdown().await;
}
