//! PostgreSQL only: the role `serve` connects as, granted by `migrate --serving-role`, writes and reads
//! everything the engine needs but can neither rewrite, delete nor truncate history (nor the reveals), nor disable the triggers
//! that refuse it; the owning role can, and `can_alter_history` tells them apart (`serve` warns on the owner).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use lpaflow_store::{Commit, Store, StoreOptions};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{create_command, document, t0, uid};
use sqlx::Connection;

/// `url` with its user replaced by `role` (the test cluster trusts local connections).
fn as_role(url: &str, role: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{role}@{host}")
}

async fn admin(db: &TestDb, statements: &[String]) {
    let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
    for s in statements {
        sqlx::query(s).execute(&mut conn).await.unwrap();
    }
}

fn create_commit(id: &lpaflow_core::InstanceId) -> Commit {
    let (def, rules) = document();
    let decisions = lpaflow_core::decide_create_chain(
        &def,
        &rules,
        id.clone(),
        &create_command(serde_json::json!({"title": "Roles"})),
        t0(),
    )
    .unwrap();
    Commit {
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
    }
}

fn findable(title: &str) -> lpaflow_core::search::Findable {
    let term = lpaflow_core::search::SearchTerm::public(title);
    lpaflow_core::search::Findable::new(Some(title.to_owned()), term.into_iter().collect())
}

/// Commits an edit of `id` that replaces its title and search terms (a DELETE and an INSERT of terms).
async fn refind(store: &Store, id: &lpaflow_core::InstanceId, title: &str) {
    let (def, rules) = document();
    let stored = store.get(id).await.unwrap().unwrap();
    let decisions = lpaflow_core::decide_chain(
        &def,
        &rules,
        &stored.instance,
        &lpaflow_core::Command::new("edit", "author-1", "author"),
        t0(),
    )
    .unwrap();
    store
        .commit(Commit {
            base: Some(lpaflow_store::Base::of(&stored)),
            decisions: decisions.into(),
            findable: Some(findable(title)),
            ..create_commit(id)
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serving_role_can_only_append_history() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let TestDb::Postgres { name, .. } = &db else {
        unreachable!()
    };
    let role = format!("{name}_serve");
    admin(&db, &[format!("CREATE ROLE \"{role}\" LOGIN")]).await;
    let owner = Store::open(StoreOptions::new(db.url())).await.unwrap();
    owner.grant_serving_role(&role).await.unwrap();
    assert!(owner.can_alter_history().await.unwrap());

    let serving_url = as_role(db.url(), &role);
    let serving = Store::open(StoreOptions::new(&serving_url)).await.unwrap();
    assert!(!serving.can_alter_history().await.unwrap());
    let id = uid(500);
    let mut create = create_commit(&id);
    create.labels = Some(vec!["finding:open".to_owned()]);
    create.findable = Some(findable("Roles"));
    serving.commit(create).await.unwrap();
    assert_eq!(serving.history(&id, 0, 10).await.unwrap().len(), 1);
    refind(&serving, &id, "Grants").await;
    let found = serving
        .list(&lpaflow_store::ListQuery {
            words: vec!["gra".to_owned()],
            labels: vec!["finding:open".to_owned()],
            limit: 10,
            ..lpaflow_store::ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        found.items.len(),
        1,
        "the serving role reads, replaces and finds search terms"
    );
    assert!(serving.verify(None, |_| {}).await.unwrap().ok());
    let revealed = lpaflow_store::NewReveal {
        uid: id.clone(),
        seq: 1,
        actor: "auditor-1".to_owned(),
        role: "auditor".to_owned(),
        reason: "audit A-1".to_owned(),
        revealed_at: chrono::Utc::now(),
    };
    serving.record_reveal(&revealed).await.unwrap();
    assert_eq!(serving.reveals(&id, 10).await.unwrap().len(), 1);

    let mut conn = sqlx::PgConnection::connect(&serving_url).await.unwrap();
    sqlx::query("SET search_path TO lpaflow")
        .execute(&mut conn)
        .await
        .unwrap();
    for attempt in [
        "ALTER TABLE history DISABLE TRIGGER ALL",
        "ALTER TABLE history DISABLE TRIGGER history_refuses_delete",
        "DROP TRIGGER history_refuses_update ON history",
        "DELETE FROM history",
        "UPDATE history SET actor = 'mallory'",
        "TRUNCATE history",
        "DROP TABLE history",
        "ALTER TABLE reveals DISABLE TRIGGER ALL",
        "DELETE FROM reveals",
        "UPDATE reveals SET reason = 'nothing'",
        "TRUNCATE reveals",
        "DROP TABLE reveals",
    ] {
        let err = sqlx::query(attempt)
            .execute(&mut conn)
            .await
            .expect_err(attempt)
            .to_string();
        assert!(
            err.contains("permission denied") || err.contains("must be owner"),
            "{attempt}: {err}"
        );
    }
    conn.close().await.unwrap();
    serving.shutdown().await;
    owner.shutdown().await;
    admin(
        &db,
        &[
            format!("DROP OWNED BY \"{role}\""),
            format!("DROP ROLE \"{role}\""),
        ],
    )
    .await;
}
