//! The instance cache across processes: a process decides from the instance it last committed, and when
//! another process has moved that instance on, the command still gets the answer the store's instance
//! deserves (never a refusal or a conflict that only the old copy explains).

use crate::both_backends;
use crate::harness::{agent, create_printer_ticket, eventually, start_with, system_clock};
use lpaflow_core::{Command, Data, InstanceId, Rejection};
use lpaflow_engine::{Error, LivenessOptions};
use lpaflow_test_support::TestDb;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

both_backends!(
    a_process_deciding_from_what_it_kept_answers_for_the_stored_instance,
    a_process_keeps_instances_only_while_no_other_is_alive,
    the_answer_the_decision_and_what_is_kept_share_their_data,
);

/// An engine without heartbeats: it counts as alone, so it always starts from what it kept (what this test
/// needs: the other engine's commits are exactly what its copies miss).
async fn unbeating(db: &TestDb) -> crate::harness::Setup {
    start_with(db, system_clock(), false, |o| o.liveness = None).await
}

fn beating(o: &mut lpaflow_engine::EngineOptions) {
    o.liveness = Some(LivenessOptions {
        heartbeat: Duration::from_millis(50),
        dead_after: Duration::from_secs(3),
        address: None,
    });
}

/// With another live process committing, kept instances would mostly be old (each a refused commit that makes
/// its batch run again): a process starts from the store then, and keeps instances again once alone.
async fn a_process_keeps_instances_only_while_no_other_is_alive(db: &TestDb) {
    let a = start_with(db, system_clock(), false, beating).await;
    eventually("A alone", || async { a.engine.caches_instances() }).await;
    let b = start_with(db, system_clock(), false, beating).await;
    eventually("A sees B", || async { !a.engine.caches_instances() }).await;
    eventually("B sees A", || async { !b.engine.caches_instances() }).await;
    b.engine.shutdown().await;
    eventually("A alone again", || async { a.engine.caches_instances() }).await;
    a.engine.shutdown().await;
}

async fn a_process_deciding_from_what_it_kept_answers_for_the_stored_instance(db: &TestDb) {
    let a = unbeating(db).await;
    let b = unbeating(db).await;
    let id = InstanceId::new("T-cache");
    create_printer_ticket(&a.engine, &id).await;
    // B moves it on: A still holds it `open` at revision 1.
    let waiting = b.engine.fire(&id, agent("wait")).await.unwrap();
    assert_eq!(waiting.stored.instance.revision, 2);

    // Refused from A's copy (`nudge` is not allowed in `open`), right for the stored instance (`waiting`).
    let nudged = a
        .engine
        .fire(&id, Command::new("nudge", "timer", "system"))
        .await
        .expect("decided from the store's instance, not from the copy");
    assert_eq!(
        (
            nudged.stored.instance.state.as_str(),
            nudged.stored.instance.revision
        ),
        ("open", 3)
    );

    // B's copy is at revision 2; the caller read revision 3 (from A): not a stale revision.
    let noted = b
        .engine
        .fire(
            &id,
            agent("note")
                .with_payload(json!({"seen": true}))
                .at_revision(3),
        )
        .await
        .expect("the caller's revision is the store's");
    assert_eq!(noted.stored.instance.revision, 4);

    // Allowed from A's copy (revision 3) but refused by the compare-and-set: decided again and committed.
    let moved = a.engine.fire(&id, agent("wait")).await.unwrap();
    assert_eq!(
        (
            moved.stored.instance.state.as_str(),
            moved.stored.instance.revision
        ),
        ("waiting", 5)
    );
    assert_eq!(
        moved.stored.instance.data["seen"],
        json!(true),
        "B's data kept"
    );

    // A revision that really is old is still refused.
    let stale = b.engine.fire(&id, agent("note").at_revision(4)).await;
    assert!(
        matches!(
            stale,
            Err(Error::Rejected(Rejection::StaleRevision {
                expected: 4,
                actual: 5
            }))
        ),
        "{stale:?}"
    );
    let history = a.store.history(&id, 0, 100).await.unwrap();
    assert_eq!(history.len(), 5);
    let report = a.store.verify(Some(&id), |_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
    a.engine.shutdown().await;
    b.engine.shutdown().await;
}

/// Issue 18: an LPA's data was copied for the answer and the copy freed once answered (8 % of an API
/// transition's CPU). The decision, the answer (which the engine keeps for the next command) and a later
/// transition without an action hold the same data, and an action shares the members it left alone.
async fn the_answer_the_decision_and_what_is_kept_share_their_data(db: &TestDb) {
    let s = unbeating(db).await;
    let id = InstanceId::new("T-shared");
    let created = create_printer_ticket(&s.engine, &id).await;
    // `note` runs an action (a merge patch): new data, the same for the decision and the answer, whose
    // title is the created instance's, not a copy.
    let noted = s
        .engine
        .fire(&id, agent("note").with_payload(json!({"seen": true})))
        .await
        .unwrap();
    let decided = &noted.decisions.last().unwrap().instance.data;
    assert!(Data::ptr_eq(&noted.stored.instance.data, decided));
    assert_eq!(
        noted.stored.instance.data,
        json!({"title": "Printer", "seen": true})
    );
    let title = |o: &lpaflow_engine::Outcome| o.stored.instance.data.member("title").cloned();
    assert!(Arc::ptr_eq(
        &title(&created).unwrap(),
        &title(&noted).unwrap()
    ));
    // `wait` runs none: decided from the kept instance, it shares that instance's data.
    let waited = s.engine.fire(&id, agent("wait")).await.unwrap();
    assert_eq!(waited.stored.instance.revision, 3);
    assert!(Data::ptr_eq(
        &waited.stored.instance.data,
        &noted.stored.instance.data
    ));
    // Read from the store, the same data.
    let read = s.engine.get(&id).await.unwrap().unwrap();
    assert_eq!(read.instance.data, waited.stored.instance.data);
    s.engine.shutdown().await;
}
