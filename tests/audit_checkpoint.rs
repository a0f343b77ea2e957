//! Tamper evidence that survives a database administrator (issue 13), on both backends, with the real binary:
//! a checkpoint is signed, then the database is changed directly in each way the issue lists, and
//! `audit verify --checkpoint` exits 1 naming the LPA each time. Untouched, or with LPAs added after the
//! checkpoint, it exits 0; a wrong key or an unreadable checkpoint is unusable input (exit 2). Proofs verify
//! offline with only the public key and the checkpoints.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit_support;

use audit_support::{
    Ledger, checkpoint, drop_history_triggers, instance_row, keygen, named, raw,
    rewrite_and_rehash, run, verify_against,
};
use lpaflow_core::InstanceId;
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::uid;

/// What is done to the database after the checkpoint, to LPA `victim`.
#[derive(Clone, Copy, Debug)]
enum Tamper {
    EditState,
    RewriteAndRehash,
    DeleteNewestAndRollBack,
    DeleteWholeLpa,
    DeleteInstanceRow,
    ReplaceHistoryRow,
}

impl Tamper {
    /// Which part of the report names it: the chains and rows alone (`broken`, `orphans`) or only the
    /// checkpoint (`log`): what the attacker re-hashed or rolled back consistently, no check inside the
    /// database can see.
    fn found_in(self) -> &'static str {
        match self {
            Tamper::EditState => "broken",
            Tamper::DeleteInstanceRow => "orphans",
            Tamper::RewriteAndRehash
            | Tamper::DeleteNewestAndRollBack
            | Tamper::DeleteWholeLpa
            | Tamper::ReplaceHistoryRow => "log",
        }
    }
}

const TAMPERS: [Tamper; 6] = [
    Tamper::EditState,
    Tamper::RewriteAndRehash,
    Tamper::DeleteNewestAndRollBack,
    Tamper::DeleteWholeLpa,
    Tamper::DeleteInstanceRow,
    Tamper::ReplaceHistoryRow,
];

/// Three LPAs; the victim's row as it was at its second entry (for a rollback); then a checkpoint.
struct Setup {
    dir: tempfile::TempDir,
    public: String,
    key: String,
    checkpoint: String,
    victim: InstanceId,
    row_at_2: Vec<String>,
}

async fn setup(db: &TestDb) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path());
    let ledger = Ledger::open(db).await;
    let victim = uid(801);
    ledger.lpa(&uid(800), 3).await;
    ledger.lpa(&victim, 2).await;
    let row_at_2 = instance_row(db, &victim).await;
    ledger.lpa_more(&victim, 1).await;
    ledger.lpa(&uid(802), 3).await;
    ledger.close().await;
    let checkpoint = dir.path().join("cp1.json").display().to_string();
    audit_support::checkpoint(db, &key, &checkpoint);
    Setup {
        dir,
        public,
        key,
        checkpoint,
        victim,
        row_at_2,
    }
}

async fn tamper(db: &TestDb, s: &Setup, how: Tamper) {
    let v = &s.victim;
    match how {
        Tamper::EditState => {
            raw(
                db,
                &[format!(
                    "UPDATE instances SET state = 'published' WHERE uid = '{v}'"
                )],
            )
            .await;
        }
        Tamper::RewriteAndRehash => {
            drop_history_triggers(db).await;
            let ledger = Ledger::open(db).await;
            rewrite_and_rehash(db, &ledger.store, v, 2, |e| {
                e.payload = serde_json::json!({"n": 99});
            })
            .await;
            ledger.close().await;
        }
        Tamper::DeleteNewestAndRollBack => {
            drop_history_triggers(db).await;
            let [state, data, revision, head] = s.row_at_2.as_slice() else {
                unreachable!()
            };
            let data = data.replace('\'', "''");
            raw(
                db,
                &[
                    format!("DELETE FROM history WHERE uid = '{v}' AND seq = 3"),
                    format!(
                        "UPDATE instances SET state = '{state}', data = '{data}', revision = {revision}, \
                         head_hash = '{head}' WHERE uid = '{v}'"
                    ),
                ],
            )
            .await;
        }
        Tamper::DeleteWholeLpa => {
            drop_history_triggers(db).await;
            raw(
                db,
                &[
                    format!("DELETE FROM history WHERE uid = '{v}'"),
                    format!("DELETE FROM instances WHERE uid = '{v}'"),
                ],
            )
            .await;
        }
        Tamper::DeleteInstanceRow => {
            raw(db, &[format!("DELETE FROM instances WHERE uid = '{v}'")]).await;
        }
        Tamper::ReplaceHistoryRow => replace_head_entry(db, v).await,
    }
}

/// Writes over the victim's last entry with an INSERT (SQLite: INSERT OR REPLACE; PostgreSQL: an upsert), with
/// a recomputed hash and head, the triggers that refuse it switched off first.
async fn replace_head_entry(db: &TestDb, v: &InstanceId) {
    let ledger = Ledger::open(db).await;
    let rows = ledger.store.history(v, 0, 10).await.unwrap();
    ledger.close().await;
    let mut last = rows[2].clone();
    last.entry.actor = lpaflow_core::Actor::new("mallory");
    let hash = lpaflow_core::history::chain_hash(&last.prev_hash, v, &last.entry);
    drop_history_triggers(db).await;
    let copy = format!(
        "SELECT uid, seq, at, 'mallory', role, event, from_state, to_state, payload, changes, workflow, version, \
         prev_hash, '{hash}', hash_format, state_digest, timers, log_index, rules FROM history \
         WHERE uid = '{v}' AND seq = 3"
    );
    let columns = "(uid, seq, at, actor, role, event, from_state, to_state, payload, changes, workflow, version, \
                   prev_hash, hash, hash_format, state_digest, timers, log_index, rules)";
    let write = match db {
        TestDb::Sqlite { .. } => format!("INSERT OR REPLACE INTO history {columns} {copy}"),
        TestDb::Postgres { .. } => format!(
            "INSERT INTO history {columns} {copy} ON CONFLICT (uid, seq) DO UPDATE SET actor = excluded.actor, \
             hash = excluded.hash"
        ),
    };
    raw(
        db,
        &[
            write,
            format!("UPDATE instances SET head_hash = '{hash}' WHERE uid = '{v}'"),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tampering_after_a_checkpoint_is_named() {
    for how in TAMPERS {
        for db in TestDb::all().await {
            let s = setup(&db).await;
            let (code, report, stderr) = verify_against(&db, &[&s.checkpoint], &s.public);
            assert_eq!(code, Some(0), "untouched {}: {report} {stderr}", db.kind());
            tamper(&db, &s, how).await;
            let (code, report, stderr) = verify_against(&db, &[&s.checkpoint], &s.public);
            assert_eq!(code, Some(1), "{how:?} on {}: {report} {stderr}", db.kind());
            for list in ["broken", "orphans"] {
                let expected = usize::from(how.found_in() == list);
                assert_eq!(
                    report[list].as_array().map_or(0, Vec::len),
                    expected,
                    "{how:?} on {}: {list} in {report}",
                    db.kind()
                );
            }
            if how.found_in() == "log" {
                assert!(
                    report["log"]
                        .as_array()
                        .is_some_and(|l| l.iter().any(|p| p["uid"] == s.victim.as_str())),
                    "{how:?} on {}: {report}",
                    db.kind()
                );
            }
            let names = named(&report);
            assert!(
                names.iter().any(|n| n == s.victim.as_str()),
                "{how:?} on {} does not name {}: {report}",
                db.kind(),
                s.victim
            );
            assert!(
                names.iter().all(|n| n == s.victim.as_str()),
                "{how:?} on {} names an LPA nobody touched: {report}",
                db.kind()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lpas_added_after_a_checkpoint_are_fine_and_proofs_verify_offline() {
    for db in TestDb::all().await {
        let s = setup(&db).await;
        let ledger = Ledger::open(&db).await;
        ledger.lpa(&uid(803), 4).await;
        ledger.lpa_more(&uid(800), 2).await;
        ledger.close().await;
        let later = s.dir.path().join("cp2.json").display().to_string();
        checkpoint(&db, &s.key, &later);
        let (code, report, stderr) = verify_against(&db, &[&s.checkpoint, &later], &s.public);
        assert_eq!(code, Some(0), "{}: {report} {stderr}", db.kind());

        let dir = s.dir.path();
        let inclusion = dir.join("inclusion.json").display().to_string();
        let consistency = dir.join("consistency.json").display().to_string();
        let size_then = tree_size(&s.checkpoint);
        let out = run(&[
            "audit",
            "proof",
            "inclusion",
            "--database-url",
            db.url(),
            "--uid",
            s.victim.as_str(),
            "--seq",
            "2",
            "--tree-size",
            &size_then.to_string(),
            "--out",
            &inclusion,
        ]);
        assert_eq!(out.code, Some(0), "{out:?}");
        let out = run(&[
            "audit",
            "proof",
            "consistency",
            "--database-url",
            db.url(),
            "--from",
            &size_then.to_string(),
            "--to",
            &tree_size(&later).to_string(),
            "--out",
            &consistency,
        ]);
        assert_eq!(out.code, Some(0), "{out:?}");
        drop(db);
        // Offline: the database is gone; only the key, the checkpoints and the proofs remain.
        let prove = |extra: &[&str]| {
            let mut args = vec!["audit", "prove", "--public-key", &s.public];
            args.extend_from_slice(extra);
            run(&args)
        };
        let out = prove(&["--checkpoint", &s.checkpoint, "--inclusion", &inclusion]);
        assert_eq!(out.code, Some(0), "{out:?}");
        let out = prove(&[
            "--checkpoint",
            &later,
            "--old-checkpoint",
            &s.checkpoint,
            "--consistency",
            &consistency,
        ]);
        assert_eq!(out.code, Some(0), "{out:?}");
        let wrong_size = prove(&["--checkpoint", &later, "--inclusion", &inclusion]);
        assert_eq!(wrong_size.code, Some(1), "{wrong_size:?}");
        let forged = dir.join("forged.json");
        let text = std::fs::read_to_string(&inclusion).unwrap();
        let forged_text = text.replace(r#"\"n\":1"#, r#"\"n\":7"#);
        assert_ne!(
            forged_text, text,
            "the entry's text holds the edit's payload"
        );
        std::fs::write(&forged, forged_text).unwrap();
        let out = prove(&[
            "--checkpoint",
            &s.checkpoint,
            "--inclusion",
            forged.to_str().unwrap(),
        ]);
        assert_eq!(out.code, Some(1), "a forged entry must not prove: {out:?}");
    }
}

fn tree_size(checkpoint: &str) -> u64 {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(checkpoint).unwrap()).unwrap();
    v["treeSize"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_or_an_unreadable_checkpoint_is_unusable_input() {
    let db = TestDb::sqlite();
    let s = setup(&db).await;
    let other = tempfile::tempdir().unwrap();
    let (_, other_public) = keygen(other.path());
    let (code, _, stderr) = verify_against(&db, &[&s.checkpoint], &other_public);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("signature does not verify"), "{stderr}");
    let garbled = s.dir.path().join("garbled.json");
    std::fs::write(&garbled, "{not json").unwrap();
    let (code, _, stderr) = verify_against(&db, &[garbled.to_str().unwrap()], &s.public);
    assert_eq!(code, Some(2), "{stderr}");
    let altered = s.dir.path().join("altered.json");
    let text = std::fs::read_to_string(&s.checkpoint).unwrap();
    let size = tree_size(&s.checkpoint);
    std::fs::write(
        &altered,
        text.replace(&format!("\"treeSize\": {size}"), "\"treeSize\": 1"),
    )
    .unwrap();
    let (code, _, stderr) = verify_against(&db, &[altered.to_str().unwrap()], &s.public);
    assert_eq!(code, Some(2), "an altered checkpoint: {stderr}");
    let key_mode = std::fs::metadata(&s.key).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&key_mode.permissions()) & 0o777,
        0o600
    );
}
