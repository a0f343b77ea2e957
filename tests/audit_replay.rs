//! `lpaflow audit verify --replay` as an auditor runs it, on both backends, over LPAs the real LPA engine wrote
//! (its OPG steps answered by the simulator, so confirmations and timers are in the history too):
//! - every entry replays lawfully through the interpreter;
//! - an entry rewritten with its chain recomputed (which plain verification cannot see without a checkpoint)
//!   is named unlawful: a role the definition does not allow, a payload that does not produce the recorded data;
//! - entries that name no deciders (hash format 2) are counted as not replayable, never as tampering; a rules
//!   version no release wrote (here: another zone than the deployment's) is unlawful, or rewriting an entry's
//!   version would switch replay off for its LPA.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit_support;
mod common;

use audit_support::{drop_history_triggers, rewrite_and_rehash, run};
use common::opg::*;
use lpaflow_core::InstanceId;
use lpaflow_store::Store;
use lpaflow_test_support::TestDb;
use serde_json::{Value, json};
use std::time::Duration;

/// The sequence number of `id`'s first entry for `event`.
async fn seq_of(store: &Store, id: &InstanceId, event: &str) -> u64 {
    let rows = store.history(id, 0, 1000).await.unwrap();
    rows.iter()
        .find(|r| r.entry.event == event)
        .map(|r| r.entry.seq)
        .unwrap_or_else(|| panic!("{id} has no {event} entry"))
}

async fn entries(store: &Store, id: &InstanceId) -> u64 {
    store.history(id, 0, 1000).await.unwrap().len() as u64
}

fn verify(db: &TestDb, extra: &[&str]) -> (Option<i32>, Value, String) {
    let workflows = workflows_dir();
    let mut args = vec!["audit", "verify", "--json", "--database-url", db.url()];
    args.extend_from_slice(extra);
    if extra.contains(&"--replay") {
        args.extend_from_slice(&["--workflows", workflows.to_str().unwrap()]);
    }
    let out = run(&args);
    let report = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    (out.code, report, out.stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_proves_lawful_history_and_names_the_entry_that_is_not() {
    for db in TestDb::all().await {
        let sim = start_sim().await;
        let clock = clock();
        let running = start_engine(db.url(), Some(&sim.url()), clock.clone(), 4, |_| {}).await;
        let (registered, waiting, paid, other_rules) = (uid(510), uid(511), uid(512), uid(513));
        let (elsewhere, unproduced, retimed, rezoned) = (uid(514), uid(515), uid(516), uid(517));
        to_waiting_period(&running, &registered, true).await;
        to_waiting_period(&running, &waiting, false).await;
        to_waiting_period(&running, &retimed, false).await;
        end_waiting_period(&running, &clock).await;
        drained(running.store(), Duration::from_secs(30)).await;
        create(&running, &paid, application()).await;
        submit_and_pay_unchecked(&running, &paid).await;
        create(&running, &other_rules, application()).await;
        for id in [&elsewhere, &unproduced, &rezoned] {
            create(&running, id, application()).await;
            submit_and_pay_unchecked(&running, id).await;
        }
        let store = running.store.clone();
        let state = store
            .get(&registered)
            .await
            .unwrap()
            .unwrap()
            .instance
            .state;
        assert_eq!(state, "registered", "{}", db.kind());
        let mut total = 0;
        for id in [
            &registered,
            &waiting,
            &paid,
            &other_rules,
            &elsewhere,
            &unproduced,
            &retimed,
            &rezoned,
        ] {
            total += entries(&store, id).await;
        }

        let (code, report, stderr) = verify(&db, &["--replay"]);
        assert_eq!(code, Some(0), "{} {stderr} {report}", db.kind());
        assert_eq!(report["replay"], true);
        assert_eq!(report["replayed"], total, "{report}");
        assert_eq!(report["notReplayable"], 0, "{report}");

        let submit = seq_of(&store, &waiting, "submit").await;
        let payment = seq_of(&store, &paid, "record_payment").await;
        let other_entries = entries(&store, &other_rules).await;
        let entered = seq_of(&store, &retimed, "enter_waiting_period").await;
        drop_history_triggers(&db).await;
        rewrite_and_rehash(&db, &store, &waiting, submit, |e| {
            e.role = lpaflow_core::RoleName::new("auditor");
        })
        .await;
        rewrite_and_rehash(&db, &store, &paid, payment, |e| {
            e.payload = json!({"amountPence": 1});
        })
        .await;
        rewrite_and_rehash(&db, &store, &other_rules, 1, |e| {
            e.rules = None;
        })
        .await;
        rewrite_and_rehash(&db, &store, &rezoned, 2, |e| {
            e.rules = Some("core/2 lpaflow-lpa/1@Pacific/Kiritimati".to_owned());
        })
        .await;

        rewrite_and_rehash(&db, &store, &elsewhere, 1, |e| {
            e.to = lpaflow_core::StateName::new("statutory_waiting_period");
        })
        .await;
        rewrite_and_rehash(&db, &store, &unproduced, 1, |e| {
            if let Some(b) = e.binding.as_mut() {
                b.state = "0".repeat(64);
            }
        })
        .await;
        rewrite_and_rehash(&db, &store, &retimed, entered, |e| {
            if let Some(b) = e.binding.as_mut() {
                b.timers = json!({"set": [], "cancel": []});
            }
        })
        .await;

        let (code, report, stderr) = verify(&db, &[]);
        assert_eq!(
            code,
            Some(0),
            "{}: without a checkpoint, a recomputed chain still verifies: {stderr} {report}",
            db.kind()
        );
        let (code, report, stderr) = verify(&db, &["--replay"]);
        assert_eq!(code, Some(1), "{} {stderr} {report}", db.kind());
        let broken: Vec<(String, u64, String)> = report["broken"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["uid"].as_str().unwrap().to_owned(),
                    b["seq"].as_u64().unwrap(),
                    b["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            broken,
            vec![
                (waiting.to_string(), submit, "unlawful".to_owned()),
                (paid.to_string(), payment, "unlawful".to_owned()),
                (elsewhere.to_string(), 1, "unlawful".to_owned()),
                (unproduced.to_string(), 1, "unlawful".to_owned()),
                (retimed.to_string(), entered, "unlawful".to_owned()),
                (rezoned.to_string(), 2, "unlawful".to_owned()),
            ],
            "{} {report}",
            db.kind()
        );
        let reason = |i: usize| report["broken"][i]["reason"].as_str().unwrap().to_owned();
        assert!(
            reason(0).contains("refuse the recorded command (submit"),
            "{}",
            reason(0)
        );
        assert!(
            reason(1).contains("changes to the data are not those the rules make"),
            "{}",
            reason(1)
        );
        assert!(reason(2).contains("records the state"), "{}", reason(2));
        assert!(
            reason(3).contains("instance it records is not the one"),
            "{}",
            reason(3)
        );
        assert!(reason(4).contains("timers it records"), "{}", reason(4));
        assert!(reason(5).contains("no release of lpaflow"), "{}", reason(5));
        assert_eq!(report["notReplayable"], other_entries, "{report}");

        let out = run(&[
            "audit",
            "verify",
            "--replay",
            "--workflows",
            workflows_dir().to_str().unwrap(),
            "--uid",
            registered.as_str(),
            "--database-url",
            db.url(),
        ]);
        assert_eq!(out.code, Some(0), "{out:?}");
        assert!(
            out.stdout.contains(
                " entries replayed through the interpreter, each lawful, 0 not replayable"
            ),
            "{out:?}"
        );
        running.engine.shutdown().await;
        sim.handle.shutdown().await.unwrap();
    }
}
