//! PostgreSQL only: lpaflow lives in a schema of its own inside a database it does not own. Its tables, its
//! trigger function and `_sqlx_migrations` land in that schema, nothing lands in `public`, and two schemas in
//! one database are two independent stores.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use lpaflow_store::{Backend, Store, StoreOptions};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{document, t0, uid};
use sqlx::Connection;

/// The test database's URL with lpaflow's `schema` parameter set to `schema`.
fn url_with_schema(db: &TestDb, schema: &str) -> String {
    let plain = db.url().split('?').next().unwrap_or(db.url());
    format!("{plain}?schema={schema}")
}

async fn tables_in(db: &TestDb, schema: &str) -> Vec<String> {
    let plain = db.url().split('?').next().unwrap_or(db.url());
    let mut conn = sqlx::PgConnection::connect(plain).await.unwrap();
    sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_schema_is_a_store_of_its_own() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let a = Store::open(StoreOptions::new(url_with_schema(&db, "ops_a")))
        .await
        .unwrap();
    let b = Store::open(StoreOptions::new(url_with_schema(&db, "ops_b")))
        .await
        .unwrap();
    assert_eq!(a.backend(), Backend::Postgres);
    for schema in ["ops_a", "ops_b"] {
        let tables = tables_in(&db, schema).await;
        for t in [
            "_sqlx_migrations",
            "history",
            "instances",
            "outbox",
            "timers",
        ] {
            assert!(
                tables.iter().any(|x| x == t),
                "{schema} lacks {t}: {tables:?}"
            );
        }
    }
    assert!(tables_in(&db, "public").await.is_empty());

    let (def, rules) = document();
    let id = uid(1);
    let decisions = lpaflow_core::decide_create_chain(
        &def,
        &rules,
        id.clone(),
        &lpaflow_test_support::fixture::create_command(serde_json::json!({})),
        t0(),
    )
    .unwrap();
    a.commit(lpaflow_store::Commit {
        uid: id.clone(),
        base: None,
        workflow_hash: def.hash().to_owned(),
        decisions: decisions.into(),
        labels: None,
        findable: None,
        consume_timer: None,
        complete_step: None,
        idempotency: None,
        enqueued_at: None,
        lease_first_step: None,
    })
    .await
    .unwrap();
    assert!(a.get(&id).await.unwrap().is_some());
    assert!(
        b.get(&id).await.unwrap().is_none(),
        "schemas do not share rows"
    );
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_migrate_once() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let url = url_with_schema(&db, "fresh");
    let opens =
        futures::future::join_all((0..4).map(|_| Store::open(StoreOptions::new(&url)))).await;
    for store in opens {
        let store = store.unwrap();
        store.ping().await.unwrap();
        store.shutdown().await;
    }
}
