//! Timers: set on entering a state, cancelled on leaving, claimed with leases when due, consumed exactly once
//! by the commit of the event they fire.

use crate::conformance;
use crate::harness::{author, editor, fixture};
use chrono::TimeDelta;
use lpaflow_core::{Command, EventName, TimerName};
use lpaflow_store::{CommitError, Fenced};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{t0, uid};
use serde_json::json;

conformance!(
    a_due_timer_fires_once_through_its_commit,
    leaving_the_state_cancels_its_timer,
    a_deferred_timer_waits_and_a_dropped_one_is_gone,
);

async fn a_due_timer_fires_once_through_its_commit(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(600);
    f.create(&id, json!({}), t0()).await;
    f.fire(&id, &author("submit"), t0()).await.unwrap();
    let timers = f.store.timers_of(&id).await.unwrap();
    assert_eq!(timers.len(), 1);
    assert_eq!(timers[0].fire_at, t0() + TimeDelta::hours(1));
    assert_eq!(
        f.store.next_timer_at().await.unwrap(),
        Some(t0() + TimeDelta::hours(1))
    );
    let early = t0() + TimeDelta::minutes(59);
    assert!(
        f.store
            .claim_timers("w", 10, early + TimeDelta::seconds(30), early)
            .await
            .unwrap()
            .is_empty()
    );
    let due = t0() + TimeDelta::hours(2);
    let claimed = f
        .store
        .claim_timers("w", 10, due + TimeDelta::seconds(30), due)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        f.store
            .claim_timers("w2", 10, due + TimeDelta::seconds(30), due)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    let t = &claimed[0];
    assert_eq!(
        (t.event.as_str(), t.name.as_str()),
        ("expire", "review_deadline")
    );
    let mut commit = f
        .fire_commit(
            &id,
            &Command::system(EventName::new(&t.event), "timer"),
            due,
        )
        .await;
    commit.consume_timer = Some(Fenced {
        key: t.name.clone(),
        fence: t.fence + 1,
    });
    assert!(matches!(
        f.store.commit(commit.clone()).await,
        Err(CommitError::Fenced(_))
    ));
    commit.consume_timer = Some(Fenced {
        key: t.name.clone(),
        fence: t.fence,
    });
    let committed = f.store.commit(commit).await.unwrap();
    assert_eq!(committed.stored.instance.state, "expired");
    assert!(f.store.timers_of(&id).await.unwrap().is_empty());
    assert_eq!(f.store.next_timer_at().await.unwrap(), None);
}

async fn leaving_the_state_cancels_its_timer(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(610);
    f.create(&id, json!({}), t0()).await;
    f.fire(&id, &author("submit"), t0()).await.unwrap();
    f.fire(&id, &author("edit"), t0()).await.unwrap();
    assert_eq!(
        f.store.timers_of(&id).await.unwrap().len(),
        1,
        "a stay transition keeps the timer"
    );
    f.fire(&id, &editor("approve"), t0()).await.unwrap();
    assert!(f.store.timers_of(&id).await.unwrap().is_empty());
}

async fn a_deferred_timer_waits_and_a_dropped_one_is_gone(db: &TestDb) {
    let f = fixture(db).await;
    let (a, b) = (uid(620), uid(621));
    for id in [&a, &b] {
        f.create(id, json!({}), t0()).await;
        f.fire(id, &author("submit"), t0()).await.unwrap();
    }
    let due = t0() + TimeDelta::hours(2);
    let claimed = f
        .store
        .claim_timers("w", 10, due + TimeDelta::seconds(30), due)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    let name = TimerName::new("review_deadline");
    let ta = claimed.iter().find(|t| t.uid == a).unwrap();
    let tb = claimed.iter().find(|t| t.uid == b).unwrap();
    assert!(
        !f.store
            .defer_timer(&a, &name, ta.fence + 1, due + TimeDelta::hours(1))
            .await
            .unwrap(),
        "fenced"
    );
    assert!(
        f.store
            .defer_timer(&a, &name, ta.fence, due + TimeDelta::hours(1))
            .await
            .unwrap()
    );
    assert!(f.store.drop_timer(&b, &name, tb.fence).await.unwrap());
    assert!(f.store.timers_of(&b).await.unwrap().is_empty());
    assert!(
        f.store
            .claim_timers(
                "w",
                10,
                due + TimeDelta::seconds(30),
                due + TimeDelta::minutes(1)
            )
            .await
            .unwrap()
            .is_empty()
    );
    let later = due + TimeDelta::hours(1);
    assert_eq!(
        f.store
            .claim_timers("w", 10, later + TimeDelta::seconds(30), later)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(f.store.release_timer_leases("w").await.unwrap(), 1);
}
