//! Idempotency keys, maintenance windows, definitions, migrations.

use crate::conformance;
use crate::harness::{fixture, open};
use chrono::TimeDelta;
use lpaflow_store::Reservation;
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{t0, uid};
use serde_json::json;

conformance!(
    idempotency_keys_replay_refuse_and_recover,
    maintenance_windows_are_planned_listed_and_removed,
    definitions_are_kept_by_hash_and_pinned,
    migrating_twice_is_harmless,
    a_commit_records_itself_on_its_idempotency_key,
    a_value_the_database_cannot_store_is_invalid_data_not_an_outage,
);

async fn idempotency_keys_replay_refuse_and_recover(db: &TestDb) {
    let store = open(db).await;
    let stale = t0() - TimeDelta::seconds(30);
    assert_eq!(
        store
            .reserve_idempotency_key("svc", "k1", "h1", t0(), stale)
            .await
            .unwrap(),
        Reservation::Reserved
    );
    assert_eq!(
        store
            .reserve_idempotency_key("svc", "k1", "h1", t0(), stale)
            .await
            .unwrap(),
        Reservation::InProgress
    );
    assert_eq!(
        store
            .reserve_idempotency_key("svc", "k1", "h2", t0(), stale)
            .await
            .unwrap(),
        Reservation::Mismatch
    );
    assert_eq!(
        store
            .reserve_idempotency_key("other", "k1", "h2", t0(), stale)
            .await
            .unwrap(),
        Reservation::Reserved,
        "keys are per actor"
    );
    store
        .complete_idempotency_key("svc", "k1", 201, "{\"uid\":\"x\"}", t0())
        .await
        .unwrap();
    assert_eq!(
        store
            .reserve_idempotency_key("svc", "k1", "h1", t0(), stale)
            .await
            .unwrap(),
        Reservation::Completed {
            status: 201,
            response: "{\"uid\":\"x\"}".to_owned()
        }
    );
    assert_eq!(
        store
            .reserve_idempotency_key("svc", "k2", "h", t0(), stale)
            .await
            .unwrap(),
        Reservation::Reserved
    );
    let much_later = t0() + TimeDelta::minutes(5);
    assert_eq!(
        store
            .reserve_idempotency_key(
                "svc",
                "k2",
                "h",
                much_later,
                much_later - TimeDelta::seconds(30)
            )
            .await
            .unwrap(),
        Reservation::Reserved,
        "an abandoned reservation is taken over"
    );
    store
        .release_idempotency_key("svc", "k2", t0())
        .await
        .unwrap();
    assert_eq!(
        store
            .reserve_idempotency_key(
                "svc",
                "k2",
                "h",
                much_later,
                much_later - TimeDelta::seconds(30)
            )
            .await
            .unwrap(),
        Reservation::InProgress,
        "the first holder's release does not free a reservation another request took over"
    );
    store
        .release_idempotency_key("svc", "k2", much_later)
        .await
        .unwrap();
    assert_eq!(
        store
            .reserve_idempotency_key("svc", "k2", "other", t0(), stale)
            .await
            .unwrap(),
        Reservation::Reserved
    );
    assert_eq!(
        store
            .purge_idempotency_keys(much_later + TimeDelta::seconds(1))
            .await
            .unwrap(),
        3
    );
}

async fn maintenance_windows_are_planned_listed_and_removed(db: &TestDb) {
    let store = open(db).await;
    let w1 = store
        .add_maintenance(
            t0() + TimeDelta::hours(2),
            t0() + TimeDelta::hours(3),
            "upgrade",
            "admin-1",
            t0(),
        )
        .await
        .unwrap();
    let w0 = store
        .add_maintenance(
            t0() + TimeDelta::hours(1),
            t0() + TimeDelta::hours(4),
            "patch",
            "admin-1",
            t0(),
        )
        .await
        .unwrap();
    store
        .add_maintenance(
            t0() - TimeDelta::hours(3),
            t0() - TimeDelta::hours(2),
            "past",
            "admin-1",
            t0(),
        )
        .await
        .unwrap();
    let windows = store.maintenance_windows(t0()).await.unwrap();
    assert_eq!(
        windows.iter().map(|w| w.id).collect::<Vec<_>>(),
        [w0.id, w1.id],
        "not-yet-ended windows, soonest first"
    );
    assert_eq!(windows[1], w1);
    assert!(store.remove_maintenance(w0.id).await.unwrap());
    assert!(!store.remove_maintenance(w0.id).await.unwrap());
    assert_eq!(store.maintenance_windows(t0()).await.unwrap().len(), 1);
}

async fn definitions_are_kept_by_hash_and_pinned(db: &TestDb) {
    let f = fixture(db).await;
    f.store
        .save_definition("document", 1, "aaa", "v1 text", t0())
        .await
        .unwrap();
    f.store
        .save_definition("document", 1, "aaa", "v1 text", t0() + TimeDelta::hours(1))
        .await
        .unwrap();
    f.store
        .save_definition("document", 1, "bbb", "v1 edited", t0())
        .await
        .unwrap();
    let defs = f.store.definitions().await.unwrap();
    assert_eq!(defs.len(), 2);
    assert_eq!(defs[0].loaded_at, t0(), "the first load time is kept");
    f.create(&uid(700), json!({}), t0()).await;
    assert_eq!(
        f.store.pinned_definitions().await.unwrap(),
        vec![("document".to_owned(), 1, f.def.hash().to_owned())]
    );
}

async fn migrating_twice_is_harmless(db: &TestDb) {
    let store = open(db).await;
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
    store.shutdown().await;
    let again = open(db).await;
    again.ping().await.unwrap();
}

async fn a_commit_records_itself_on_its_idempotency_key(db: &TestDb) {
    let f = crate::harness::fixture(db).await;
    let stale = t0() - TimeDelta::seconds(30);
    let store = &f.store;
    assert_eq!(
        store
            .reserve_idempotency_key("svc", "k-commit", "h", t0(), stale)
            .await
            .unwrap(),
        Reservation::Reserved
    );
    let mut create = f.create_commit(&uid(710), json!({}), t0());
    create.idempotency = Some(lpaflow_store::IdempotencyMark {
        actor: "svc".into(),
        key: "k-commit".into(),
    });
    store.commit(create).await.unwrap();
    // While the holder may still be storing its response, a retry waits for it...
    assert_eq!(
        store
            .reserve_idempotency_key("svc", "k-commit", "h", t0(), stale)
            .await
            .unwrap(),
        Reservation::InProgress
    );
    // ...and once it has been silent past the lock timeout (it died), the retry learns the request took effect.
    let later = t0() + TimeDelta::minutes(5);
    let dead = later - TimeDelta::seconds(30);
    assert_eq!(
        store
            .reserve_idempotency_key("svc", "k-commit", "h", later, dead)
            .await
            .unwrap(),
        Reservation::Committed {
            uid: uid(710),
            revision: 1
        }
    );
    store
        .release_idempotency_key("svc", "k-commit", t0())
        .await
        .unwrap();
    assert!(
        matches!(
            store
                .reserve_idempotency_key("svc", "k-commit", "h", later, dead)
                .await
                .unwrap(),
            Reservation::Committed { .. }
        ),
        "a key whose request committed is never released"
    );
    store
        .complete_idempotency_key("svc", "k-commit", 201, "{}", t0())
        .await
        .unwrap();
    assert!(matches!(
        store
            .reserve_idempotency_key("svc", "k-commit", "h", t0(), stale)
            .await
            .unwrap(),
        Reservation::Completed { status: 201, .. }
    ));
}

/// PostgreSQL refuses a NUL in text (SQLite stores it): that is a refused value, never an outage, so the API
/// answers it 422, not 503 with `Retry-After`.
async fn a_value_the_database_cannot_store_is_invalid_data_not_an_outage(db: &TestDb) {
    let store = open(db).await;
    let stored = store
        .add_maintenance(
            t0(),
            t0() + TimeDelta::hours(1),
            "nul \0 inside",
            "admin-1",
            t0(),
        )
        .await;
    match db.kind() {
        "postgres" => assert_eq!(
            stored.unwrap_err().failure(),
            lpaflow_store::Failure::InvalidData
        ),
        _ => assert!(stored.is_ok(), "{stored:?}"),
    }
}
