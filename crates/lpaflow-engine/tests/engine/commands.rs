//! Commands through the engine: create, fire, optimistic concurrency, retries on conflict, definition pins.

use crate::both_backends;
use crate::harness::{TICKET, agent, create_printer_ticket, definition, manual_clock, start, t0};
use lpaflow_core::{Command, InstanceId, PlainRules, Rejection};
use lpaflow_engine::{Definitions, Engine, EngineOptions, Error};
use lpaflow_store::{Store, StoreOptions};
use lpaflow_test_support::TestDb;
use serde_json::json;
use std::sync::Arc;

both_backends!(
    create_fire_and_read_back,
    expected_revisions_are_compare_and_set,
    concurrent_commands_without_a_revision_all_apply,
    a_changed_definition_without_a_new_version_is_refused_at_start,
);

async fn create_fire_and_read_back(db: &TestDb) {
    let s = start(db, manual_clock(), false).await;
    let id = InstanceId::new("T-1");
    let created = create_printer_ticket(&s.engine, &id).await;
    assert_eq!(created.stored.instance.revision, 1);
    assert_eq!(created.step_ids.len(), 1);
    let again = s
        .engine
        .create(
            "ticket",
            id.clone(),
            Command::new("create", "agent-7", "agent"),
        )
        .await;
    assert!(matches!(again, Err(Error::AlreadyExists(_))));
    let unknown = s
        .engine
        .create(
            "nope",
            InstanceId::new("T-2"),
            Command::new("create", "a", "agent"),
        )
        .await;
    assert!(matches!(unknown, Err(Error::UnknownWorkflow(_))));
    let moved = s.engine.fire(&id, agent("wait")).await.unwrap();
    assert_eq!(moved.stored.instance.state, "waiting");
    let refused = s.engine.fire(&id, agent("nudge")).await;
    assert!(
        matches!(
            refused,
            Err(Error::Rejected(Rejection::RoleNotAllowed { .. }))
        ),
        "{refused:?}"
    );
    assert!(matches!(
        s.engine
            .fire(&InstanceId::new("T-404"), agent("note"))
            .await,
        Err(Error::NotFound(_))
    ));
    let history = s.engine.history(&id, 0, 10).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| h.entry.event.to_string())
            .collect::<Vec<_>>(),
        ["create", "wait"]
    );
    assert_eq!(history[1].entry.actor, "agent-7");
    assert_eq!(s.engine.timers(&id).await.unwrap().len(), 1);
    s.engine.shutdown().await;
}

async fn expected_revisions_are_compare_and_set(db: &TestDb) {
    let s = start(db, manual_clock(), false).await;
    let id = InstanceId::new("T-10");
    s.engine
        .create("ticket", id.clone(), Command::new("create", "a", "agent"))
        .await
        .unwrap();
    s.engine
        .fire(&id, agent("note").at_revision(1))
        .await
        .unwrap();
    let stale = s.engine.fire(&id, agent("note").at_revision(1)).await;
    assert!(
        matches!(
            stale,
            Err(Error::Rejected(Rejection::StaleRevision {
                expected: 1,
                actual: 2
            }))
        ),
        "{stale:?}"
    );
    // Authorization comes before the revision: a role that may not fire the event learns nothing of it.
    let forbidden_and_stale = s.engine.fire(&id, agent("nudge").at_revision(1)).await;
    assert!(
        matches!(
            forbidden_and_stale,
            Err(Error::Rejected(Rejection::RoleNotAllowed { .. }))
        ),
        "{forbidden_and_stale:?}"
    );
    s.engine.shutdown().await;
}

async fn concurrent_commands_without_a_revision_all_apply(db: &TestDb) {
    let s = start(db, manual_clock(), false).await;
    let id = InstanceId::new("T-20");
    s.engine
        .create("ticket", id.clone(), Command::new("create", "a", "agent"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let e = s.engine.clone();
            let id = id.clone();
            tokio::spawn(async move {
                e.fire(&id, agent("note").with_payload(json!({format!("k{i}"): i})))
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let stored = s.engine.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.instance.revision, 25);
    for i in 0..24 {
        assert_eq!(
            stored.instance.data[format!("k{i}").as_str()],
            json!(i),
            "no lost update"
        );
    }
    s.engine.shutdown().await;
}

async fn a_changed_definition_without_a_new_version_is_refused_at_start(db: &TestDb) {
    let s = start(db, manual_clock(), false).await;
    s.engine
        .create(
            "ticket",
            InstanceId::new("T-30"),
            Command::new("create", "a", "agent"),
        )
        .await
        .unwrap();
    s.engine.shutdown().await;
    let edited = TICKET.replace("after = \"2h\"", "after = \"3h\"");
    let store = Store::open(StoreOptions::new(db.url())).await.unwrap();
    let defs = Definitions::new(vec![definition(&edited)], vec![]).unwrap();
    let clock = manual_clock();
    let options = EngineOptions::new(
        store.clone(),
        defs,
        Arc::new(PlainRules::new(crate::harness::catalog())),
        clock,
    );
    let err = Engine::start(options).await.err().expect("refused");
    let text = err.to_string();
    assert!(
        text.contains("ticket@v1 changed since instances were created with it"),
        "{text}"
    );
    store.shutdown().await;
    let _ = t0();
}
