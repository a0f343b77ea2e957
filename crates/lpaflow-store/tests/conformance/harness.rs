//! Shared helpers: open a store on a test database, create and move fixture documents.

use chrono::{DateTime, Utc};
use lpaflow_core::{
    Command, InstanceId, PlainRules, WorkflowDef, decide_chain, decide_create_chain,
};
use lpaflow_store::{Base, Commit, CommitError, Committed, Store, StoreOptions};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{create_command, document};
use serde_json::Value;

/// Generates one `#[tokio::test]` per backend for each listed `async fn(&TestDb)`.
#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = lpaflow_test_support::TestDb::sqlite();
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = lpaflow_test_support::TestDb::postgres().await {
                        super::$name(&db).await;
                    }
                }
            )*
        }
    };
}

pub async fn open(db: &TestDb) -> Store {
    Store::open(StoreOptions::new(db.url()))
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", db.kind()))
}

pub struct Fixture {
    pub store: Store,
    pub def: WorkflowDef,
    pub rules: PlainRules,
}

pub async fn fixture(db: &TestDb) -> Fixture {
    let (def, rules) = document();
    Fixture {
        store: open(db).await,
        def,
        rules,
    }
}

/// [`fixture`] on a store opened with the options `adjust` leaves.
pub async fn fixture_with(db: &TestDb, adjust: impl FnOnce(&mut StoreOptions)) -> Fixture {
    let mut options = StoreOptions::new(db.url());
    adjust(&mut options);
    let (def, rules) = document();
    Fixture {
        store: Store::open(options).await.unwrap(),
        def,
        rules,
    }
}

impl Fixture {
    pub fn create_commit(&self, uid: &InstanceId, data: Value, now: DateTime<Utc>) -> Commit {
        let decisions = decide_create_chain(
            &self.def,
            &self.rules,
            uid.clone(),
            &create_command(data),
            now,
        )
        .unwrap();
        Commit {
            uid: uid.clone(),
            base: None,
            workflow_hash: self.def.hash().to_owned(),
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

    pub async fn create(&self, uid: &InstanceId, data: Value, now: DateTime<Utc>) -> Committed {
        self.store
            .commit(self.create_commit(uid, data, now))
            .await
            .unwrap()
    }

    /// Reads the instance, decides `command` and returns the commit (not yet submitted).
    pub async fn fire_commit(
        &self,
        uid: &InstanceId,
        command: &Command,
        now: DateTime<Utc>,
    ) -> Commit {
        let stored = self.store.get(uid).await.unwrap().expect("instance exists");
        let decisions =
            decide_chain(&self.def, &self.rules, &stored.instance, command, now).unwrap();
        Commit {
            uid: uid.clone(),
            base: Some(Base::of(&stored)),
            workflow_hash: self.def.hash().to_owned(),
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

    pub async fn fire(
        &self,
        uid: &InstanceId,
        command: &Command,
        now: DateTime<Utc>,
    ) -> Result<Committed, CommitError> {
        let commit = self.fire_commit(uid, command, now).await;
        self.store.commit(commit).await
    }
}

pub fn author(event: &str) -> Command {
    Command::new(event, "author-1", "author")
}

pub fn editor(event: &str) -> Command {
    Command::new(event, "editor-1", "editor")
}
