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
        self.create(id).await;
        self.lpa_more(id, entries - 1).await;
    }

    async fn create(&self, id: &InstanceId) {
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
    }

    /// Adds `entries` more entries to `id` (edits).
    pub async fn lpa_more(&self, id: &InstanceId, entries: u64) {
        for _ in 0..entries {
            let stored = self.store.get(id).await.unwrap().unwrap();
            let n = stored.instance.revision;
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

    pub async fn close(self) {
        self.store.shutdown().await;
    }
}

/// Runs SQL statements directly on the database, as its administrator could (the triggers dropped first).
pub async fn raw(db: &TestDb, statements: &[String]) {
    db.run_sql(statements).await;
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

/// Switches off every trigger on history, as the table's owner or a superuser can.
pub async fn drop_history_triggers(db: &TestDb) {
    let statements = match db {
        TestDb::Sqlite { .. } => vec![
            "DROP TRIGGER history_refuses_update".to_owned(),
            "DROP TRIGGER history_refuses_delete".to_owned(),
            "DROP TRIGGER history_refuses_replace".to_owned(),
        ],
        TestDb::Postgres { .. } => vec!["ALTER TABLE history DISABLE TRIGGER USER".to_owned()],
    };
    raw(db, &statements).await;
}

/// Rewrites entry `seq` of `id` with `edit` (its payload, actor, role, target state, rules version or binding) and recomputes the hash
/// of it and of every later entry, and the instance's head: what an attacker who knows the chain's format does.
/// Needs the triggers off.
pub async fn rewrite_and_rehash(
    db: &TestDb,
    store: &Store,
    id: &InstanceId,
    seq: u64,
    edit: impl FnOnce(&mut lpaflow_core::HistoryEntry),
) {
    let mut rows = store.history(id, 0, 1000).await.unwrap();
    edit(&mut rows[seq as usize - 1].entry);
    let mut prev = lpaflow_core::history::GENESIS_HASH.to_owned();
    let mut statements = Vec::new();
    for row in &rows {
        let hash = lpaflow_core::history::chain_hash(&prev, id, &row.entry);
        if row.entry.seq >= seq {
            let payload = serde_json::to_string(&row.entry.payload)
                .unwrap()
                .replace('\'', "''");
            let rules = row
                .entry
                .rules
                .as_ref()
                .map_or("NULL".to_owned(), |r| format!("'{r}'"));
            let format = lpaflow_core::history::format_of(&row.entry);
            let (digest, timers) = row
                .entry
                .binding
                .as_ref()
                .map_or(("NULL".to_owned(), "NULL".to_owned()), |b| {
                    (format!("'{}'", b.state), format!("'{}'", b.timers))
                });
            statements.push(format!(
                "UPDATE history SET payload = '{payload}', actor = '{}', role = '{}', to_state = '{}', \
                 rules = {rules}, hash_format = {format}, state_digest = {digest}, timers = {timers}, \
                 prev_hash = '{prev}', hash = '{hash}' WHERE uid = '{id}' AND seq = {}",
                row.entry.actor, row.entry.role, row.entry.to, row.entry.seq
            ));
        }
        prev = hash;
    }
    statements.push(format!(
        "UPDATE instances SET head_hash = '{prev}' WHERE uid = '{id}'"
    ));
    raw(db, &statements).await;
}

/// The instance row's columns an attacker restores to roll an LPA back.
pub async fn instance_row(db: &TestDb, id: &InstanceId) -> Vec<String> {
    let columns = ["state", "data", "revision", "head_hash"];
    let select = format!(
        "SELECT state, data, CAST(revision AS TEXT) AS revision, head_hash FROM instances WHERE uid = '{id}'"
    );
    match db {
        TestDb::Sqlite { url, .. } => {
            let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
            let row = sqlx::query(&select).fetch_one(&mut conn).await.unwrap();
            columns
                .iter()
                .map(|c| sqlx::Row::get::<String, _>(&row, *c))
                .collect()
        }
        TestDb::Postgres { url, .. } => {
            let plain = url.split('?').next().unwrap_or(url);
            let mut conn = sqlx::PgConnection::connect(plain).await.unwrap();
            sqlx::query("SET search_path TO lpaflow")
                .execute(&mut conn)
                .await
                .unwrap();
            let row = sqlx::query(&select).fetch_one(&mut conn).await.unwrap();
            columns
                .iter()
                .map(|c| sqlx::Row::get::<String, _>(&row, *c))
                .collect()
        }
    }
}

/// A fresh signing key in `dir`: (private key path, public key path).
pub fn keygen(dir: &std::path::Path) -> (String, String) {
    let key = dir.join("audit.key");
    let out = run(&["audit", "keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let public = format!("{}.pub", key.display());
    assert_eq!(
        std::fs::read_to_string(&public).unwrap().trim(),
        out.stdout.trim()
    );
    (key.display().to_string(), public)
}

/// Takes a checkpoint with the binary into `path`.
pub fn checkpoint(db: &TestDb, key: &str, path: &str) {
    let out = run(&[
        "audit",
        "checkpoint",
        "--database-url",
        db.url(),
        "--key",
        key,
        "--out",
        path,
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
}

/// `audit verify --checkpoint ... --public-key ... --json`: its exit code and report.
pub fn verify_against(
    db: &TestDb,
    checkpoints: &[&str],
    public: &str,
) -> (Option<i32>, serde_json::Value, String) {
    let mut args = vec![
        "audit",
        "verify",
        "--json",
        "--database-url",
        db.url(),
        "--public-key",
        public,
    ];
    for c in checkpoints {
        args.push("--checkpoint");
        args.push(c);
    }
    let out = run(&args);
    let report = serde_json::from_str(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.code, report, out.stderr)
}

/// Every uid the report names, anywhere.
pub fn named(report: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for list in ["broken", "orphans", "log"] {
        for p in report[list].as_array().into_iter().flatten() {
            if let Some(uid) = p["uid"].as_str() {
                out.push(uid.to_owned());
            }
        }
    }
    out
}
