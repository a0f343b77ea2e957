//! Liveness between processes (issue 19): a survivor beats again the moment another process becomes overdue,
//! so a dead one is taken over at the bound rather than at the survivor's next heartbeat; a process whose
//! heartbeats stall on a slow database stops vouching for its claims until they get through again.

use crate::both_backends;
use crate::harness::{eventually, start_with, system_clock};
use chrono::Utc;
use lpaflow_core::{Command, InstanceId};
use lpaflow_engine::{ClaimLost, LivenessOptions};
use lpaflow_store::{NodeIdentity, Store, StoreOptions};
use lpaflow_test_support::TestDb;
use sqlx::Connection;
use std::time::Duration;

both_backends!(a_dead_process_is_taken_over_at_the_bound_not_at_the_survivors_next_beat,);

async fn a_dead_process_is_taken_over_at_the_bound_not_at_the_survivors_next_beat(db: &TestDb) {
    let store = Store::open(StoreOptions::new(db.url())).await.unwrap();
    let bound = Duration::from_millis(1_500);
    let ghost = NodeIdentity {
        node_id: "ghost".to_owned(),
        incarnation: "ghost-1".to_owned(),
        address: None,
        dead_after: bound,
    };
    // It beats once, now, and never again.
    store.register_node(&ghost, Utc::now()).await.unwrap();
    // The survivor beats at start (the ghost still alive then) and then every minute: only the ghost's
    // deadline can wake it within `eventually`'s 20 s.
    let s = start_with(db, system_clock(), false, |o| {
        o.liveness = Some(LivenessOptions {
            heartbeat: Duration::from_secs(60),
            dead_after: bound,
            address: None,
        });
    })
    .await;
    let names = || async {
        store
            .nodes()
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.node_id)
            .collect::<Vec<_>>()
    };
    eventually("the survivor took the silent process over", || async {
        !names().await.contains(&"ghost".to_owned())
    })
    .await;
    s.engine.shutdown().await;
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_whose_heartbeats_stall_on_a_slow_database_acts_on_no_claim_until_they_get_through()
 {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = start_with(&db, system_clock(), true, |o| {
        o.liveness = Some(LivenessOptions {
            heartbeat: Duration::from_millis(100),
            dead_after: Duration::from_millis(1_500),
            address: None,
        });
    })
    .await;
    let agent = |event: &str| Command::new(event, "agent-1", "agent");
    let id = InstanceId::new("T-990");
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    s.engine.fire(&id, agent("note")).await.unwrap();
    eventually("a step delivered while beating", || async {
        s.handler.calls().iter().any(|c| c.1 == "ext.note")
    })
    .await;
    assert_eq!(s.handler.claims.lock().unwrap().last(), Some(&Ok(())));

    // Another session holds the nodes table: every beat waits, whatever else the database still answers.
    let raw_url = db.url().split('?').next().unwrap().to_owned();
    let mut blocker = sqlx::PgConnection::connect(&raw_url).await.unwrap();
    let mut tx = blocker.begin().await.unwrap();
    sqlx::query("LOCK TABLE lpaflow.nodes IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let before = s.handler.calls().len();
    s.engine.fire(&id, agent("note")).await.unwrap();
    eventually("the next step handed over while the beats wait", || async {
        s.handler.calls().len() > before
    })
    .await;
    assert_eq!(
        s.handler.claims.lock().unwrap()[before],
        Err(ClaimLost::NotLive),
        "no beat for 1.5 s against a 1.5 s bound: another process may be taking this one over"
    );

    tx.rollback().await.unwrap();
    eventually("a beat got through", || async {
        s.engine.liveness().unwrap().fresh()
    })
    .await;
    let after = s.handler.calls().len();
    s.engine.fire(&id, agent("note")).await.unwrap();
    eventually("a step handed over once the beats get through", || async {
        s.handler.calls().len() > after
    })
    .await;
    assert_eq!(
        s.handler.claims.lock().unwrap()[after],
        Ok(()),
        "live again"
    );
    s.engine.shutdown().await;
}
