//! Shared by the audit tests: LPAs written through the real store (the document fixture workflow), raw SQL as
//! a database administrator would run it, and the real binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use lpaflow_core::{
    Command, InstanceId, PlainRules, WorkflowDef, decide_chain, decide_create_chain,
};
use lpaflow_store::{Base, Commit, Store, StoreOptions};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{create_command, document, t0};
use serde_json::json;
use sqlx::Connection;

/// A store with the fixture workflow.
pub struct Ledger {
    pub store: Store,
    def: WorkflowDef,
    rules: PlainRules,
}

impl Ledger {
    pub async fn open(db: &TestDb) -> Self {
        let (def, rules) = document();
        Self {
            store: Store::open(StoreOptions::new(db.url())).await.unwrap(),
            def,
            rules,
        }
    }

    /// Creates `id` and edits it until it has `entries` history entries.
    pub async fn lpa(&self, id: &InstanceId, entries: u64) {
        let decisions = decide_create_chain(
            &self.def,
            &self.rules,
            id.clone(),
            &create_command(json!({"title": "Audit"})),
            t0(),
        )
        .unwrap();
        self.store
            .commit(self.commit(id, None, decisions))
            .await
            .unwrap();
        for n in 1..entries {
            let stored = self.store.get(id).await.unwrap().unwrap();
            let command = Command::new("edit", "author-1", "author").with_payload(json!({"n": n}));
            let decisions =
                decide_chain(&self.def, &self.rules, &stored.instance, &command, t0()).unwrap();
            let base = Some(Base::of(&stored));
            self.store
                .commit(self.commit(id, base, decisions))
                .await
                .unwrap();
        }
    }

    fn commit(
        &self,
        id: &InstanceId,
        base: Option<Base>,
        decisions: Vec<lpaflow_core::Decision>,
    ) -> Commit {
        Commit {
            uid: id.clone(),
            base,
            workflow_hash: self.def.hash().to_owned(),
            decisions,
            labels: None,
            consume_timer: None,
            complete_step: None,
            idempotency: None,
            enqueued_at: None,
            lease_first_step: None,
        }
    }

    pub async fn close(self) {
        self.store.shutdown().await;
    }
}

/// Runs SQL statements directly on the database, as its administrator could (the triggers dropped first).
pub async fn raw(db: &TestDb, statements: &[String]) {
    match db {
        TestDb::Sqlite { url, .. } => {
            let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
            for s in statements {
                sqlx::query(s).execute(&mut conn).await.unwrap();
            }
        }
        TestDb::Postgres { url, .. } => {
            let plain = url.split('?').next().unwrap_or(url);
            let mut conn = sqlx::PgConnection::connect(plain).await.unwrap();
            sqlx::query("SET search_path TO lpaflow")
                .execute(&mut conn)
                .await
                .unwrap();
            for s in statements {
                sqlx::query(s).execute(&mut conn).await.unwrap();
            }
        }
    }
}

/// What the binary did.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `lpaflow ARGS` to completion.
pub fn run(args: &[&str]) -> Output {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lpaflow"))
        .args(args)
        .env_remove("LPAFLOW_DATABASE_URL")
        .output()
        .expect("run lpaflow");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
