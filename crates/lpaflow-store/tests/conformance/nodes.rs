//! Engine processes: registration, heartbeats, and the takeover of a dead process's leases (issue 19): its
//! steps become ambiguous and claimable at once, its timers claimable, its late outcomes fenced out.

use crate::conformance;
use crate::harness::fixture;
use chrono::TimeDelta;
use lpaflow_store::{Fenced, NodeIdentity, StepFinish, StepOutcome, StepStatus, Takeover};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{t0, uid};
use serde_json::json;
use std::time::Duration;

conformance!(
    a_dead_nodes_step_leases_are_taken_over_as_ambiguous_and_its_late_outcome_is_fenced,
    a_dead_nodes_timer_leases_are_taken_over,
    live_nodes_are_left_alone_and_a_taken_over_node_learns_it,
    a_restart_under_the_same_id_releases_its_own_leases_as_ambiguous,
    a_paused_process_replaced_by_a_restart_under_its_id_learns_it,
    the_longer_of_two_bounds_decides,
    two_survivors_beating_at_once_take_a_dead_node_over_once,
    a_beat_names_when_the_next_node_becomes_overdue_and_reads_the_databases_clock,
    a_beat_with_the_takeover_withheld_leaves_the_silent_alone,
);

/// A process with the default 3 s bound, in its first incarnation.
fn node(id: &str) -> NodeIdentity {
    NodeIdentity {
        node_id: id.to_owned(),
        incarnation: format!("{id}-1"),
        address: None,
        dead_after: Duration::from_secs(3),
    }
}

fn done(id: i64, fence: u64, uid: &lpaflow_core::InstanceId) -> StepFinish {
    StepFinish {
        step: Fenced { key: id, fence },
        uid: uid.clone(),
        outcome: StepOutcome::Done {
            result: json!({"ok": true}),
        },
        at: t0(),
    }
}

async fn a_dead_nodes_step_leases_are_taken_over_as_ambiguous_and_its_late_outcome_is_fenced(
    db: &TestDb,
) {
    let f = fixture(db).await;
    let id = uid(900);
    f.create(&id, json!({}), t0()).await;
    f.store.register_node(&node("a"), t0()).await.unwrap();
    f.store.register_node(&node("b"), t0()).await.unwrap();
    let leased = f
        .store
        .claim_steps("a", 1, t0() + TimeDelta::seconds(30), t0())
        .await
        .unwrap()
        .remove(0);
    assert!(!leased.ambiguous);

    // b beats 5 s later; a last beat at t0, before the 3 s bound.
    let now = t0() + TimeDelta::seconds(5);
    f.store
        .heartbeat(&node("b"), now - TimeDelta::seconds(4))
        .await
        .unwrap();
    let beat = f.store.heartbeat(&node("b"), now).await.unwrap();
    assert!(beat.registered);
    assert_eq!(beat.alive, 1, "only b is alive");
    assert_eq!(beat.taken_over.len(), 1);
    let t = &beat.taken_over[0];
    assert_eq!((t.node_id.as_str(), t.steps, t.timers), ("a", 1, 0));
    assert_eq!(t.heartbeat_at, t0());

    let row = f.store.step(leased.id).await.unwrap().unwrap();
    assert_eq!(row.status, StepStatus::Retrying);
    assert!(
        row.ambiguous,
        "a may have sent it: read back before any re-send"
    );
    assert_eq!(row.lease_owner, None);
    assert_eq!(
        f.store
            .finish_steps(vec![done(leased.id, leased.fence, &id)])
            .await
            .unwrap(),
        [false],
        "the dead (or only paused) holder's outcome is fenced out"
    );
    let again = f
        .store
        .claim_steps("b", 1, now + TimeDelta::seconds(30), now)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(again.id, leased.id);
    assert!(again.ambiguous && again.fence > leased.fence);

    let nodes = f.store.nodes().await.unwrap();
    assert_eq!(
        nodes.iter().map(|n| n.node_id.as_str()).collect::<Vec<_>>(),
        ["b"],
        "the dead node's row is gone"
    );
    let again = f
        .store
        .heartbeat(&node("b"), now + TimeDelta::seconds(1))
        .await
        .unwrap();
    assert!(again.taken_over.is_empty(), "taken over once");
}

async fn a_dead_nodes_timer_leases_are_taken_over(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(910);
    f.create(&id, json!({}), t0()).await;
    f.fire(&id, &crate::harness::author("submit"), t0())
        .await
        .unwrap();
    let due = t0() + TimeDelta::hours(2);
    f.store.register_node(&node("a"), due).await.unwrap();
    f.store.register_node(&node("b"), due).await.unwrap();
    let held = f
        .store
        .claim_timers("a", 10, due + TimeDelta::seconds(30), due)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    let later = due + TimeDelta::seconds(1);
    assert!(
        f.store
            .claim_timers("b", 10, later + TimeDelta::seconds(30), later)
            .await
            .unwrap()
            .is_empty(),
        "leased by a"
    );
    f.store
        .register_node(&node("b"), due + TimeDelta::seconds(4))
        .await
        .unwrap();
    let now = due + TimeDelta::seconds(5);
    let beat = f.store.heartbeat(&node("b"), now).await.unwrap();
    assert_eq!(beat.taken_over.len(), 1);
    assert_eq!(beat.taken_over[0].timers, 1);
    let claimed = f
        .store
        .claim_timers("b", 10, now + TimeDelta::seconds(30), now)
        .await
        .unwrap();
    assert_eq!(
        claimed.len(),
        1,
        "claimable at once, not after the 30 s lease"
    );
    assert!(
        claimed[0].fence > held[0].fence,
        "a's consumption would be fenced out"
    );
}

async fn live_nodes_are_left_alone_and_a_taken_over_node_learns_it(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(920);
    f.create(&id, json!({}), t0()).await;
    f.store.register_node(&node("a"), t0()).await.unwrap();
    f.store.register_node(&node("b"), t0()).await.unwrap();
    let leased = f
        .store
        .claim_steps("a", 1, t0() + TimeDelta::seconds(30), t0())
        .await
        .unwrap()
        .remove(0);
    let now = t0() + TimeDelta::seconds(2);
    let beat = f.store.heartbeat(&node("b"), now).await.unwrap();
    assert!(beat.taken_over.is_empty(), "a beat within the bound");
    assert_eq!(beat.alive, 2);
    assert_eq!(
        f.store.step(leased.id).await.unwrap().unwrap().status,
        StepStatus::InFlight
    );

    // a is paused past the bound; b takes it over; a wakes and beats.
    let later = t0() + TimeDelta::seconds(10);
    f.store.heartbeat(&node("b"), later).await.unwrap();
    let woke = f.store.heartbeat(&node("a"), later).await.unwrap();
    assert!(!woke.registered, "a learns it was taken over");
    assert!(
        woke.taken_over.is_empty(),
        "and b is alive, so it takes nothing"
    );
    f.store.register_node(&node("a"), later).await.unwrap();
    let nodes = f.store.nodes().await.unwrap();
    assert_eq!(nodes.len(), 2);
    f.store.deregister_node("a").await.unwrap();
    assert_eq!(f.store.nodes().await.unwrap().len(), 1);
}

async fn a_restart_under_the_same_id_releases_its_own_leases_as_ambiguous(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(930);
    f.create(&id, json!({}), t0()).await;
    let leased = f
        .store
        .claim_steps("a", 1, t0() + TimeDelta::seconds(30), t0())
        .await
        .unwrap()
        .remove(0);
    let restart = t0() + TimeDelta::seconds(1);
    assert_eq!(f.store.release_step_leases("a", restart).await.unwrap(), 1);
    let row = f.store.step(leased.id).await.unwrap().unwrap();
    assert_eq!(row.status, StepStatus::Retrying);
    assert!(row.ambiguous, "the previous process may have sent it");
    assert_eq!(
        f.store
            .finish_steps(vec![done(leased.id, leased.fence, &id)])
            .await
            .unwrap(),
        [false]
    );
}

async fn a_paused_process_replaced_by_a_restart_under_its_id_learns_it(db: &TestDb) {
    let f = fixture(db).await;
    let old = node("a");
    f.store.register_node(&old, t0()).await.unwrap();
    let restarted = NodeIdentity {
        incarnation: "a-2".into(),
        ..node("a")
    };
    f.store
        .register_node(&restarted, t0() + TimeDelta::seconds(1))
        .await
        .unwrap();
    let now = t0() + TimeDelta::seconds(2);
    assert!(
        !f.store.heartbeat(&old, now).await.unwrap().registered,
        "the old incarnation beats for nobody"
    );
    assert!(f.store.heartbeat(&restarted, now).await.unwrap().registered);
}

async fn the_longer_of_two_bounds_decides(db: &TestDb) {
    let f = fixture(db).await;
    let patient = NodeIdentity {
        dead_after: Duration::from_secs(10),
        ..node("a")
    };
    f.store.register_node(&patient, t0()).await.unwrap();
    f.store.register_node(&node("b"), t0()).await.unwrap();
    let soon = f
        .store
        .heartbeat(&node("b"), t0() + TimeDelta::seconds(5))
        .await
        .unwrap();
    assert!(
        soon.taken_over.is_empty(),
        "a counts itself fresh for 10 s, so b waits that long"
    );
    assert_eq!(soon.alive, 2);
    let late = f
        .store
        .heartbeat(&node("b"), t0() + TimeDelta::seconds(11))
        .await
        .unwrap();
    assert_eq!(late.taken_over.len(), 1);
}

/// Two live processes beat at the same instant after a third died: exactly one of them takes it over (on
/// PostgreSQL the dead row is taken `FOR UPDATE SKIP LOCKED`; on SQLite the writes queue), its steps are released
/// once, and both survivors see the other alive.
async fn two_survivors_beating_at_once_take_a_dead_node_over_once(db: &TestDb) {
    let f = fixture(db).await;
    for n in 0..3 {
        f.create(&uid(930 + n), json!({}), t0()).await;
    }
    f.store.register_node(&node("a"), t0()).await.unwrap();
    let leased = f
        .store
        .claim_steps("a", 3, t0() + TimeDelta::seconds(30), t0())
        .await
        .unwrap();
    assert_eq!(leased.len(), 3);
    // b and c started a second ago; a last beat five seconds ago, beyond the 3 s bound.
    let now = t0() + TimeDelta::seconds(5);
    for id in ["b", "c"] {
        f.store
            .register_node(&node(id), now - TimeDelta::seconds(1))
            .await
            .unwrap();
    }
    let (nb, nc) = (node("b"), node("c"));
    let (b, c) = tokio::join!(f.store.heartbeat(&nb, now), f.store.heartbeat(&nc, now));
    let (b, c) = (b.unwrap(), c.unwrap());
    let takeovers: Vec<_> = b.taken_over.iter().chain(&c.taken_over).collect();
    assert_eq!(takeovers.len(), 1, "one survivor takes a over: {b:?} {c:?}");
    assert_eq!(
        (takeovers[0].node_id.as_str(), takeovers[0].steps),
        ("a", 3)
    );
    for row in &leased {
        let row = f.store.step(row.id).await.unwrap().unwrap();
        assert_eq!(row.status, StepStatus::Retrying);
        assert!(row.ambiguous);
        assert_eq!(row.lease_owner, None);
    }
    let alive: Vec<String> = f
        .store
        .nodes()
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.node_id)
        .collect();
    assert_eq!(alive, ["b", "c"]);
}

async fn a_beat_names_when_the_next_node_becomes_overdue_and_reads_the_databases_clock(
    db: &TestDb,
) {
    let f = fixture(db).await;
    let mut slow = node("a");
    slow.dead_after = Duration::from_secs(5);
    let secs = |s: f64| t0() + TimeDelta::milliseconds((s * 1000.0) as i64);
    f.store.register_node(&slow, t0()).await.unwrap();
    f.store.register_node(&node("c"), secs(1.0)).await.unwrap();
    f.store.register_node(&node("b"), secs(2.0)).await.unwrap();
    let beat = f.store.heartbeat(&node("b"), secs(2.0)).await.unwrap();
    assert_eq!(
        beat.next_overdue_at,
        Some(secs(4.0)),
        "c (3 s after its beat at 1 s) before a (5 s, its own longer bound, after 0 s)"
    );
    assert!(
        (beat.database_now - chrono::Utc::now()).abs() < TimeDelta::seconds(60),
        "the database's own clock, not the caller's (t0 is in January): {}",
        beat.database_now
    );
    f.store.heartbeat(&node("c"), secs(3.5)).await.unwrap();
    let beat = f.store.heartbeat(&node("b"), secs(3.6)).await.unwrap();
    assert_eq!(beat.next_overdue_at, Some(secs(5.0)), "now a is next");
    f.store.deregister_node("a").await.unwrap();
    f.store.deregister_node("c").await.unwrap();
    let alone = f.store.heartbeat(&node("b"), secs(3.7)).await.unwrap();
    assert_eq!(alone.next_overdue_at, None, "no other node to wait for");
    // A node already overdue but left alone (here: the takeover withheld) does not hide a later deadline.
    f.store
        .register_node(&node("old"), secs(-10.0))
        .await
        .unwrap();
    f.store.register_node(&node("c"), secs(3.0)).await.unwrap();
    let withheld = f
        .store
        .heartbeat_with(&node("b"), secs(3.8), Takeover::Withheld)
        .await
        .unwrap();
    assert_eq!(withheld.next_overdue_at, Some(secs(6.0)));
    let database_now = f.store.database_now().await.unwrap();
    assert!((database_now - chrono::Utc::now()).abs() < TimeDelta::seconds(60));
}

async fn a_beat_with_the_takeover_withheld_leaves_the_silent_alone(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(980);
    f.create(&id, json!({}), t0()).await;
    f.store.register_node(&node("a"), t0()).await.unwrap();
    f.store.register_node(&node("b"), t0()).await.unwrap();
    let leased = f
        .store
        .claim_steps("a", 1, t0() + TimeDelta::seconds(30), t0())
        .await
        .unwrap()
        .remove(0);
    let now = t0() + TimeDelta::seconds(10);
    let withheld = f
        .store
        .heartbeat_with(&node("b"), now, Takeover::Withheld)
        .await
        .unwrap();
    assert!(withheld.registered);
    assert!(
        withheld.taken_over.is_empty(),
        "b's clock cannot be trusted"
    );
    assert_eq!(
        f.store.step(leased.id).await.unwrap().unwrap().status,
        StepStatus::InFlight,
        "a's lease stands"
    );
    assert_eq!(f.store.nodes().await.unwrap().len(), 2);
    let allowed = f.store.heartbeat(&node("b"), now).await.unwrap();
    assert_eq!(allowed.taken_over.len(), 1, "once its clock agrees again");
}
