//! Step delivery with a scripted handler: order per instance, blocking confirmations, reports, failures, the
//! circuit breaker and maintenance windows.

use crate::both_backends;
use crate::harness::{
    DEFERRAL, Setup, all_synced, eventually, plan_window, start, start_with, system_clock,
};
use chrono::Utc;
use lpaflow_core::{Command, InstanceId};
use lpaflow_engine::delivery::BreakerState;
use lpaflow_store::{StepStatus, SyncStatus};
use lpaflow_test_support::TestDb;
use serde_json::json;
use std::sync::atomic::Ordering;

both_backends!(
    steps_are_delivered_in_order_per_instance,
    a_blocking_step_holds_the_instance_until_confirmed,
    a_refused_step_fails_and_is_reported_on_the_instance,
    a_step_given_up_is_reported_in_the_handlers_words,
    a_process_that_stopped_beating_hands_claims_that_no_longer_hold,
    a_report_is_committed_with_the_step,
    an_outage_opens_the_breaker_and_burns_no_attempts,
    a_maintenance_window_suspends_delivery_until_it_ends,
    a_deferred_step_waits_without_using_an_attempt,
    a_deferred_probe_does_not_hold_the_breaker_half_open,
    a_probe_whose_claim_fails_does_not_hold_the_breaker_half_open,
    a_probe_that_panics_does_not_hold_the_breaker_half_open,
);

fn agent(event: &str) -> Command {
    Command::new(event, "agent-1", "agent")
}

async fn steps_are_delivered_in_order_per_instance(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    let ids: Vec<InstanceId> = (0..20)
        .map(|n| InstanceId::new(format!("T-2{n:02}")))
        .collect();
    for id in &ids {
        s.engine
            .create("ticket", id.clone(), agent("create"))
            .await
            .unwrap();
        for i in 0..3 {
            s.engine
                .fire(id, agent("note").with_payload(json!({"i": i})))
                .await
                .unwrap();
        }
    }
    eventually("every step delivered", || async {
        s.handler.calls().len() >= 80
    })
    .await;
    for id in &ids {
        let steps: Vec<String> = s
            .handler
            .calls()
            .into_iter()
            .filter(|c| c.0 == id.as_str())
            .map(|c| c.1)
            .collect();
        assert_eq!(
            steps,
            ["ext.open", "ext.note", "ext.note", "ext.note"],
            "{id}"
        );
        let _ = eventually("synced", || async {
            s.engine.get(id).await.unwrap().unwrap().sync_status == SyncStatus::Synced
        })
        .await;
        let seqs: Vec<u64> = s
            .engine
            .steps(id)
            .await
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect();
        assert_eq!(seqs, [1, 2, 3, 4]);
    }
    assert_eq!(s.handler.calls().len(), 80, "each step delivered once");
    s.engine.shutdown().await;
}

async fn a_blocking_step_holds_the_instance_until_confirmed(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    let id = InstanceId::new("T-300");
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    s.handler.down.store(true, Ordering::SeqCst);
    let closing = s.engine.fire(&id, agent("close")).await.unwrap();
    assert_eq!(closing.stored.instance.state, "closing");
    assert_eq!(closing.stored.sync_status, SyncStatus::AwaitingSync);
    let refused = s.engine.fire(&id, agent("note")).await;
    assert!(refused.is_err());
    s.handler.down.store(false, Ordering::SeqCst);
    eventually("closed after confirmation", || async {
        s.engine.get(&id).await.unwrap().unwrap().instance.state == "closed"
    })
    .await;
    let last = s.engine.history(&id, 0, 10).await.unwrap().pop().unwrap();
    assert_eq!(
        (last.entry.event.as_str(), last.entry.role.as_str()),
        ("closed", "system")
    );
    let steps = s.engine.steps(&id).await.unwrap();
    assert!(steps.iter().all(|r| r.status == StepStatus::Done));
    s.engine.shutdown().await;
}

async fn a_refused_step_fails_and_is_reported_on_the_instance(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    s.handler.refuse.lock().unwrap().insert("ext.note".into());
    let (bad, good) = (InstanceId::new("T-400"), InstanceId::new("T-401"));
    s.engine
        .create("ticket", bad.clone(), agent("create"))
        .await
        .unwrap();
    s.engine.fire(&bad, agent("note")).await.unwrap();
    s.engine.fire(&bad, agent("wait")).await.unwrap();
    s.engine
        .create("ticket", good.clone(), agent("create"))
        .await
        .unwrap();
    eventually("the refusal is recorded", || async {
        s.engine
            .history(&bad, 0, 20)
            .await
            .unwrap()
            .iter()
            .any(|h| h.entry.event == "problem")
    })
    .await;
    let stored = s.engine.get(&bad).await.unwrap().unwrap();
    assert_eq!(stored.sync_status, SyncStatus::Failed);
    assert_eq!(stored.instance.data["kind"], json!("failed"));
    let steps = s.engine.steps(&bad).await.unwrap();
    assert_eq!(steps[1].status, StepStatus::Failed);
    assert_eq!(
        steps[1].last_error.as_ref().unwrap()["code"],
        json!("INVALID_REQUEST")
    );
    eventually("the other instance synced", || async {
        s.engine.get(&good).await.unwrap().unwrap().sync_status == SyncStatus::Synced
    })
    .await;
    s.engine.shutdown().await;
}

async fn a_step_given_up_is_reported_in_the_handlers_words(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    s.handler.flaky.lock().unwrap().insert("ext.note".into());
    let id = InstanceId::new("T-450");
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    s.engine.fire(&id, agent("note")).await.unwrap();
    eventually("the step is given up and reported", || async {
        s.engine
            .history(&id, 0, 20)
            .await
            .unwrap()
            .iter()
            .any(|h| h.entry.event == "problem")
    })
    .await;
    let stored = s.engine.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.sync_status, SyncStatus::Failed);
    assert_eq!(stored.instance.data["kind"], json!("gave_up"));
    let steps = s.engine.steps(&id).await.unwrap();
    let note = steps.iter().find(|r| r.step == "ext.note").unwrap();
    assert_eq!(note.status, StepStatus::Failed);
    assert_eq!(
        note.last_error.as_ref().unwrap()["code"],
        json!("attempts_exhausted")
    );
    s.engine.shutdown().await;
}

async fn a_process_that_stopped_beating_hands_claims_that_no_longer_hold(db: &TestDb) {
    // One beat at start, then none for a minute: 2 s without a beat (less the margin) and another process may
    // have taken this one over.
    let s = start_with(db, system_clock(), true, |o| {
        o.liveness = Some(lpaflow_engine::LivenessOptions {
            heartbeat: std::time::Duration::from_secs(60),
            dead_after: std::time::Duration::from_secs(2),
            address: None,
        });
    })
    .await;
    let id = InstanceId::new("T-460");
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1_700)).await;
    s.engine.fire(&id, agent("note")).await.unwrap();
    eventually("the note was attempted", || async {
        s.handler.calls().iter().any(|c| c.1 == "ext.note")
    })
    .await;
    let at = s
        .handler
        .calls()
        .iter()
        .position(|c| c.1 == "ext.note")
        .unwrap();
    let claim = s.handler.claims.lock().unwrap()[at];
    assert_eq!(
        claim,
        Err(lpaflow_engine::ClaimLost::NotLive),
        "the engine hands its own liveness with every claim"
    );
    s.engine.shutdown().await;
}

async fn a_report_is_committed_with_the_step(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    s.handler.report_on("ext.open");
    let id = InstanceId::new("T-500");
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    eventually("the report is recorded", || async {
        s.engine
            .get(&id)
            .await
            .unwrap()
            .unwrap()
            .instance
            .data
            .get("mismatch")
            .is_some()
    })
    .await;
    let stored = s.engine.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.sync_status, SyncStatus::Synced);
    assert_eq!(stored.instance.revision, 2);
    s.engine.shutdown().await;
}

/// With the system down, creates `n` tickets named `T-<prefix><n>` and waits for the breaker to open.
async fn tickets_while_down(s: &Setup, prefix: &str, n: usize) -> Vec<InstanceId> {
    s.handler.down.store(true, Ordering::SeqCst);
    let ids: Vec<InstanceId> = (0..n)
        .map(|i| InstanceId::new(format!("T-{prefix}{i:02}")))
        .collect();
    for id in &ids {
        s.engine
            .create("ticket", id.clone(), agent("create"))
            .await
            .unwrap();
    }
    eventually("the breaker opened", || async {
        s.engine.delivery_status().breaker != BreakerState::Closed
    })
    .await;
    ids
}

async fn an_outage_opens_the_breaker_and_burns_no_attempts(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    let ids = tickets_while_down(&s, "6", 50).await;
    eventually("steps are shown suspended", || async {
        s.store
            .backlog()
            .await
            .unwrap()
            .by_status
            .get("suspended")
            .copied()
            .unwrap_or(0)
            > 0
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let during = s.handler.calls().len();
    assert!(
        during < 30,
        "{during} attempts reached the system during the outage: the breaker should hold them back"
    );
    let attempts: u32 = {
        let mut total = 0;
        for id in &ids {
            total += s
                .engine
                .steps(id)
                .await
                .unwrap()
                .iter()
                .map(|r| r.attempts)
                .sum::<u32>();
        }
        total
    };
    assert_eq!(attempts, 0, "an outage must not burn attempts");
    s.handler.down.store(false, Ordering::SeqCst);
    all_synced(&s, &ids, "synced after the outage").await;
    assert_eq!(s.engine.delivery_status().breaker, BreakerState::Closed);
    s.engine.shutdown().await;
}

async fn a_maintenance_window_suspends_delivery_until_it_ends(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    let window = plan_window(&s, -1, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let id = InstanceId::new("T-700");
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    eventually("maintenance is in force", || async {
        s.engine.delivery_status().maintenance.is_some()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        s.handler.calls().is_empty(),
        "nothing is sent inside the window"
    );
    eventually("delivered after the window", || async {
        s.engine.get(&id).await.unwrap().unwrap().sync_status == SyncStatus::Synced
    })
    .await;
    assert!(Utc::now() >= window.ends_at);
    assert_eq!(s.handler.calls().len(), 1);
    s.engine.shutdown().await;
}

async fn a_deferred_step_waits_without_using_an_attempt(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    s.handler
        .defer_once
        .lock()
        .unwrap()
        .insert("ext.open".into());
    let id = InstanceId::new("T-800");
    let started = std::time::Instant::now();
    s.engine
        .create("ticket", id.clone(), agent("create"))
        .await
        .unwrap();
    eventually("synced after the deferral", || async {
        s.engine.get(&id).await.unwrap().unwrap().sync_status == SyncStatus::Synced
    })
    .await;
    assert!(
        started.elapsed() >= DEFERRAL,
        "the step was delivered before its deferral ended"
    );
    let calls: Vec<String> = s.handler.calls().into_iter().map(|c| c.1).collect();
    assert_eq!(calls, ["ext.open", "ext.open"], "deferred, then delivered");
    let steps = s.engine.steps(&id).await.unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].status, StepStatus::Done);
    assert_eq!(steps[0].attempts, 1, "a deferral is not an attempt");
    assert!(!steps[0].ambiguous);
    assert_eq!(s.engine.delivery_status().breaker, BreakerState::Closed);
    s.engine.shutdown().await;
}

async fn a_deferred_probe_does_not_hold_the_breaker_half_open(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    let ids = tickets_while_down(&s, "81", 5).await;
    // The system is back, but the first probe is deferred by the handler: the next probe must still go.
    s.handler
        .defer_once
        .lock()
        .unwrap()
        .insert("ext.open".into());
    s.handler.down.store(false, Ordering::SeqCst);
    all_synced(&s, &ids, "synced after the deferred probe").await;
    assert_eq!(s.engine.delivery_status().breaker, BreakerState::Closed);
    s.engine.shutdown().await;
}

/// SQL making every claim fail in the database (a trigger refusing to lease a step), and undoing it.
fn claims_refused(db: &TestDb) -> (Vec<String>, Vec<String>) {
    match db {
        TestDb::Sqlite { .. } => (
            vec![
                "CREATE TRIGGER refuse_claims BEFORE UPDATE ON outbox WHEN NEW.status = 'in_flight' \
                 BEGIN SELECT RAISE(ABORT, 'claims refused by the test'); END"
                    .to_owned(),
            ],
            vec!["DROP TRIGGER refuse_claims".to_owned()],
        ),
        TestDb::Postgres { .. } => (
            vec![
                "CREATE FUNCTION refuse_claims() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'claims refused by the test'; END $$"
                    .to_owned(),
                "CREATE TRIGGER refuse_claims BEFORE UPDATE ON outbox FOR EACH ROW \
                 WHEN (NEW.status = 'in_flight') EXECUTE FUNCTION refuse_claims()"
                    .to_owned(),
            ],
            vec!["DROP TRIGGER refuse_claims ON outbox".to_owned()],
        ),
    }
}

async fn a_probe_whose_claim_fails_does_not_hold_the_breaker_half_open(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    let ids = tickets_while_down(&s, "82", 3).await;
    let (refuse, allow) = claims_refused(db);
    db.run_sql(&refuse).await;
    // The breaker claims nothing while open: the next round is the half-open probe's, and it fails.
    let rounds = s.engine.delivery_claim_rounds();
    eventually("the probe's claim round ran", || async {
        s.engine.delivery_claim_rounds() > rounds
    })
    .await;
    db.run_sql(&allow).await;
    s.handler.down.store(false, Ordering::SeqCst);
    all_synced(&s, &ids, "synced after the failed probe claim").await;
    assert_eq!(s.engine.delivery_status().breaker, BreakerState::Closed);
    s.engine.shutdown().await;
}

async fn a_probe_that_panics_does_not_hold_the_breaker_half_open(db: &TestDb) {
    let s = start(db, system_clock(), true).await;
    let ids = tickets_while_down(&s, "83", 3).await;
    // No delivery in flight (one finishing late would free the probe permit by itself): every step waits.
    for id in &ids {
        eventually("the step is suspended", || async {
            s.engine.steps(id).await.unwrap()[0].status == StepStatus::Suspended
        })
        .await;
    }
    // The next delivery is the probe, and the handler panics on it.
    s.handler
        .panic_once
        .lock()
        .unwrap()
        .insert("ext.open".into());
    s.handler.down.store(false, Ordering::SeqCst);
    // The panicked step itself comes back when its lease (5 s) expires.
    all_synced(&s, &ids, "synced after the panicked probe").await;
    assert!(
        s.handler.panic_once.lock().unwrap().is_empty(),
        "it did panic"
    );
    assert_eq!(s.engine.delivery_status().breaker, BreakerState::Closed);
    s.engine.shutdown().await;
}
