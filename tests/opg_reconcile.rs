//! `reconcile` end to end (issue 6): drift made for real (a write OPG applied before failing its answer, a
//! step that ran out of attempts, a change made in OPG by someone else, an OPG that lost its data) is found,
//! the safe repairs bring OPG and lpaflow together without a duplicate, and the rest becomes a finding once.
#![allow(clippy::unwrap_used)]

mod common;

use common::opg::*;
use lpaflow_core::InstanceId;
use lpaflow_engine::Engine;
use lpaflow_opg::jwt::DEFAULT_SUBJECT;
use lpaflow_opg::reconcile::{self, DriftKind, Repair, Report};
use lpaflow_store::StepStatus;
use lpaflow_test_support::TestDb;
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

async fn reconcile_with(engine: &Running, sim: &Sim, repair: bool) -> Report {
    let client = sim.client(DEFAULT_SUBJECT);
    let mut options = reconcile::Options::new(DEFAULT_SUBJECT);
    options.repair = repair;
    engine
        .lpas
        .reconcile(&client, &options, &mut |_| {})
        .await
        .unwrap()
}

/// (uid, [(kind, repair)]) of every LPA the report lists.
fn drift(report: &Report) -> Vec<(String, Vec<(DriftKind, Repair)>)> {
    report
        .lpas
        .iter()
        .map(|l| {
            let kinds = l
                .differences
                .iter()
                .map(|d| (d.kind, d.repair.clone()))
                .collect();
            (l.uid.clone(), kinds)
        })
        .collect()
}

async fn certificate_provider_sign_fails(engine: &Engine, id: &InstanceId) {
    fire(
        engine,
        id,
        "service",
        "sign_as_certificate_provider",
        json!({}),
    )
    .await;
    eventually("the signature step failed", LIMIT, || async {
        engine.steps(id).await.unwrap()[1].status == StepStatus::Failed
    })
    .await;
    let error = engine.steps(id).await.unwrap()[1]
        .last_error
        .clone()
        .unwrap();
    assert_eq!(error["code"], "attempts_exhausted", "{error}");
}

/// The `lpaflow reconcile` binary: exit code and parsed JSON report.
fn cli_reconcile(db_url: &str, opg_url: &str, extra: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_lpaflow"))
        .args([
            "reconcile",
            "--json",
            "--database-url",
            db_url,
            "--opg-url",
            opg_url,
        ])
        .args(extra)
        .arg("--workflows")
        .arg(workflows_dir())
        .env("LPAFLOW_OPG_JWT_SECRET", SECRET)
        .env("LPAFLOW_LOG", "warn")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_finds_drift_repairs_what_is_safe_and_flags_the_rest_once() {
    let sim = start_sim().await;
    let db = TestDb::sqlite();
    // One attempt per step, so that a fault fails a step for good.
    let engine = start_engine(db.url(), Some(&sim.url()), clock(), 4, |o| {
        if let Some(d) = o.delivery.as_mut() {
            d.retry.attempts_max = 1;
        }
    })
    .await;
    let (applied, lost, changed, fine) = (uid(1), uid(2), uid(3), uid(4));
    for id in [&applied, &lost, &changed, &fine] {
        create(&engine, id, application()).await;
        send_to_opg(&engine, id).await;
    }
    drained(engine.store(), LIMIT).await;

    // OPG applies the signature, then fails its answer: the step runs out of attempts, OPG holds it.
    sim.faults(json!({"commitThenFailRate": 1.0}));
    certificate_provider_sign_fails(&engine, &applied).await;
    // OPG times out: the step runs out of attempts, OPG does not hold it.
    sim.faults(json!({"commitThenFailRate": 0.0, "timeoutRate": 1.0}));
    certificate_provider_sign_fails(&engine, &lost).await;
    sim.faults(json!({"timeoutRate": 0.0}));
    // A caseworker corrects the donor's name in Sirius.
    let sirius = sim.client("urn:opg:poas:sirius:users:42");
    let correction = serde_json::from_value(json!({"type": "CORRECTION",
        "changes": [{"key": "/donor/lastName", "old": "Lovelace", "new": "King"}]}))
    .unwrap();
    sirius
        .update(changed.as_str(), &correction, None)
        .await
        .unwrap();

    let report = reconcile_with(&engine, &sim, false).await;
    let step_of = |id: &InstanceId| {
        let (engine, id) = (engine.clone(), id.clone());
        async move {
            Repair::RetryStep {
                step_id: engine.steps(&id).await.unwrap()[1].id,
            }
        }
    };
    assert_eq!(
        drift(&report),
        [
            (
                applied.to_string(),
                vec![(DriftKind::StepAppliedNotRecorded, step_of(&applied).await)]
            ),
            (
                lost.to_string(),
                vec![(DriftKind::StepNotApplied, step_of(&lost).await)]
            ),
            (
                changed.to_string(),
                vec![(DriftKind::FieldMismatch, Repair::Person)]
            ),
        ]
    );
    assert_eq!(
        (report.summary.in_sync, report.summary.drifted),
        (1, 3),
        "{:?}",
        report.summary
    );
    let by = report.lpas[2].differences[0].last_change.as_ref().unwrap();
    assert_eq!(
        (by.author.as_str(), by.kind.as_str(), by.by_lpaflow),
        ("urn:opg:poas:sirius:users:42", "CORRECTION", false)
    );
    assert!(
        !serde_json::to_string(&report).unwrap().contains("King"),
        "no personal values in the report"
    );

    // The binary says the same and exits 1.
    let (code, json) = cli_reconcile(db.url(), &sim.url(), &[]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["summary"]["drifted"], 3, "{json}");

    // Repair: both failed steps reopened (read back first), the correction flagged for a person.
    let report = reconcile_with(&engine, &sim, true).await;
    assert_eq!(
        (
            report.summary.repairs_enqueued,
            report.summary.findings_raised
        ),
        (2, 1),
        "{:?}",
        report.summary
    );
    assert!(report.drift_remains(), "the correction needs a person");
    drained(engine.store(), LIMIT).await;
    let data = engine.get(&changed).await.unwrap().unwrap().instance.data;
    let finding = data["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "reconcile")
        .unwrap()
        .clone();
    assert_eq!(
        (finding["rule"].as_str(), finding["status"].as_str()),
        (Some("sync.conflict"), Some("detected"))
    );
    assert_eq!(finding["differences"][0]["pointer"], "/donor/lastName");
    assert_eq!(
        finding["differences"][0]["actual"], "King",
        "the caseworker sees the values"
    );

    // Again: the repaired LPAs are in sync, the correction is still drift but flagged once.
    let report = reconcile_with(&engine, &sim, true).await;
    let flagged = Repair::Flagged {
        finding: finding["id"].as_str().unwrap().to_owned(),
    };
    assert_eq!(
        drift(&report),
        [(
            changed.to_string(),
            vec![(DriftKind::FieldMismatch, flagged)]
        )]
    );
    assert_eq!(
        (report.summary.in_sync, report.summary.findings_raised),
        (3, 0),
        "{:?}",
        report.summary
    );
    let client = sim.client(DEFAULT_SUBJECT);
    assert_synced_in_order(
        &engine,
        &client,
        &[applied.clone(), lost.clone(), fine.clone()],
    )
    .await;
    assert_eq!(
        sim.handle.stats().duplicates,
        0,
        "the applied signature was read back, not sent again"
    );
    let (code, _) = cli_reconcile(db.url(), &sim.url(), &["--uid", fine.as_str()]);
    assert_eq!(code, 0, "one LPA in sync");

    // An OPG that lost everything (restored from an old backup): every LPA is missing, none is recreated.
    let empty = start_sim().await;
    let report = reconcile_with(&engine, &empty, false).await;
    assert_eq!(
        report.summary.differences.get("missing_in_opg"),
        Some(&4),
        "{:?}",
        report.summary
    );
    for l in &report.lpas {
        let d = &l.differences[0];
        assert_eq!(d.kind, DriftKind::MissingInOpg, "{}", l.uid);
        assert!(
            !matches!(d.repair, Repair::RetryStep { .. }),
            "{}: never recreated by a machine",
            l.uid
        );
    }
    engine.shutdown().await;
    sim.handle.shutdown().await.unwrap();
    empty.handle.shutdown().await.unwrap();
}
