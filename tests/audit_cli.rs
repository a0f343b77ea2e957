//! `lpaflow audit verify` as an auditor runs it, on both backends: the real binary on a database that was
//! written through the store and then tampered with directly, as someone with write access to the database
//! would. Exit 0 untouched, 1 naming the LPA and entry, 2 for unusable input (and nothing is created).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit_support;

use audit_support::{Ledger, raw, run};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::uid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_exits_0_when_untouched_and_1_naming_the_lpa_after_a_state_edit() {
    for db in TestDb::all().await {
        let ledger = Ledger::open(&db).await;
        let (a, b) = (uid(400), uid(401));
        ledger.lpa(&a, 3).await;
        ledger.lpa(&b, 2).await;
        ledger.close().await;
        let out = run(&["audit", "verify", "--database-url", db.url()]);
        assert_eq!(out.code, Some(0), "{} {out:?}", db.kind());
        assert!(
            out.stdout.contains("ok: 2 LPAs, 5 history entries"),
            "{out:?}"
        );
        let heads_before = run(&["audit", "heads", "--database-url", db.url()]).stdout;
        raw(
            &db,
            &[format!(
                "UPDATE instances SET state = 'published' WHERE uid = '{b}'"
            )],
        )
        .await;
        let out = run(&["audit", "verify", "--database-url", db.url()]);
        assert_eq!(out.code, Some(1), "{} {out:?}", db.kind());
        assert!(
            out.stderr
                .contains(&format!("BROKEN {b} at entry 2 [state]")),
            "{out:?}"
        );
        let heads_after = run(&["audit", "heads", "--database-url", db.url()]).stdout;
        let changed: Vec<_> = heads_before
            .lines()
            .zip(heads_after.lines())
            .filter(|(a, b)| a != b)
            .map(|(_, b)| b.split(' ').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            changed,
            vec![b.to_string()],
            "audit heads shows the edited row"
        );
        let out = run(&["audit", "verify", "--json", "--database-url", db.url()]);
        assert_eq!(out.code, Some(1));
        let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(report["ok"], false);
        assert_eq!(report["broken"][0]["uid"], b.as_str());
        assert_eq!(report["broken"][0]["seq"], 2);
        assert_eq!(report["broken"][0]["kind"], "state");
    }
}

#[test]
fn verify_of_a_missing_database_exits_2_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let url = format!("sqlite://{}", path.display());
    for command in ["verify", "heads"] {
        let out = run(&["audit", command, "--database-url", &url]);
        assert_eq!(out.code, Some(2), "{out:?}");
        assert!(out.stderr.contains("there is no database at"), "{out:?}");
        assert!(!path.exists(), "audit {command} created {}", path.display());
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_of_an_unmigrated_database_exits_2_and_changes_nothing() {
    let db = TestDb::sqlite();
    let path = db.url().trim_start_matches("sqlite://").to_owned();
    let conn = sqlx::SqlitePool::connect(&format!("{}?mode=rwc", db.url()))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE unrelated (x INTEGER)")
        .execute(&conn)
        .await
        .unwrap();
    conn.close().await;
    let before = std::fs::read(&path).unwrap();
    let out = run(&["audit", "verify", "--database-url", db.url()]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("lpaflow migrate"), "{out:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
