//! Timers: fired as system events once due, exactly once, also when they fell due while no engine ran.

use crate::both_backends;
use crate::harness::{eventually, manual_clock, start};
use chrono::TimeDelta;
use lpaflow_core::{Command, InstanceId};
use lpaflow_test_support::TestDb;

both_backends!(
    a_due_timer_fires_once,
    a_timer_due_during_downtime_fires_after_restart
);

async fn a_due_timer_fires_once(db: &TestDb) {
    let clock = manual_clock();
    let s = start(db, clock.clone(), false).await;
    let id = InstanceId::new("T-100");
    s.engine
        .create("ticket", id.clone(), Command::new("create", "a", "agent"))
        .await
        .unwrap();
    s.engine
        .fire(&id, Command::new("wait", "a", "agent"))
        .await
        .unwrap();
    assert_eq!(s.engine.fire_due_timers().await.unwrap(), 0, "not due yet");
    clock.advance(TimeDelta::hours(2));
    s.engine.wake_timers();
    eventually("the nudge timer fired", || async {
        s.engine.get(&id).await.unwrap().unwrap().instance.state == "open"
    })
    .await;
    assert_eq!(s.engine.fire_due_timers().await.unwrap(), 0);
    let history = s.engine.history(&id, 0, 10).await.unwrap();
    let nudges: Vec<_> = history
        .iter()
        .filter(|h| h.entry.event == "nudge")
        .collect();
    assert_eq!(nudges.len(), 1);
    assert_eq!(nudges[0].entry.actor, "system:timer:nudge");
    assert!(s.engine.timers(&id).await.unwrap().is_empty());
    s.engine.shutdown().await;
}

async fn a_timer_due_during_downtime_fires_after_restart(db: &TestDb) {
    let clock = manual_clock();
    let s = start(db, clock.clone(), false).await;
    let id = InstanceId::new("T-110");
    s.engine
        .create("ticket", id.clone(), Command::new("create", "a", "agent"))
        .await
        .unwrap();
    s.engine
        .fire(&id, Command::new("wait", "a", "agent"))
        .await
        .unwrap();
    s.engine.shutdown().await;
    clock.advance(TimeDelta::days(3));
    let again = start(db, clock.clone(), false).await;
    eventually("the timer fired after the restart", || async {
        again.engine.get(&id).await.unwrap().unwrap().instance.state == "open"
    })
    .await;
    let nudges = again
        .engine
        .history(&id, 0, 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.entry.event == "nudge")
        .count();
    assert_eq!(nudges, 1);
    again.engine.shutdown().await;
}
