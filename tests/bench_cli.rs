//! The benchmarks run end to end through the real binary at small sizes: every scenario of `bench workload`
//! (its built-in correctness check makes a loss or a duplicate registration exit non-zero), `bench lpa` in
//! one process and with several processes sharing PostgreSQL, and `bench scaleout`. What is checked is that
//! they run, check and report; the figures themselves belong in BENCHMARKS.md, never in a test.
#![allow(clippy::unwrap_used)]

use lpaflow_test_support::TestDb;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Runs `lpaflow bench ARGS --json FILE`, asserts success, and returns the metric lines and the JSON record.
fn bench(args: &[&str]) -> (BTreeMap<String, f64>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("result.json");
    let out = Command::new(env!("CARGO_BIN_EXE_lpaflow"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("bench")
        .args(args)
        .arg("--json")
        .arg(&json)
        .env("NO_COLOR", "1")
        .env("LPAFLOW_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bench {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let metrics = stdout
        .lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(char::is_whitespace)?;
            Some((name.to_owned(), value.trim().parse().ok()?))
        })
        .collect();
    (metrics, read_json(&json))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn metric(metrics: &BTreeMap<String, f64>, name: &str) -> f64 {
    *metrics
        .get(name)
        .unwrap_or_else(|| panic!("no metric {name} in {metrics:?}"))
}

#[test]
fn the_workload_runs_every_scenario_and_checks_it() {
    let (m, json) = bench(&[
        "workload",
        "--scenarios",
        "throughput,recovery,crash",
        "--n",
        "300",
        "--warmup",
        "20",
        "--n-recovery",
        "200",
        "--n-crash",
        "300",
        "--offline-s",
        "2",
        "--stub-capacity-s",
        "1",
    ]);
    assert!(metric(&m, "throughput.workflows_per_s") > 0.0);
    assert!(metric(&m, "latency.p50_ms") <= metric(&m, "latency.p99_ms"));
    assert!(metric(&m, "throughput.peak_rss_mb") > 0.0);
    // Each timed workflow's latency is cut into its phases (0 when none was recorded).
    for phase in ["create", "post", "complete"] {
        let p50 = metric(&m, &format!("throughput.phase.{phase}_p50_ms"));
        assert!(p50 > 0.0, "{phase}: {p50}");
        assert!(p50 <= metric(&m, &format!("throughput.phase.{phase}_p99_ms")));
    }
    assert!(metric(&m, "throughput.phase.to_post_p50_ms") >= 0.0);
    assert!(metric(&m, "throughput.claim_rounds_per_workflow") >= 0.0);
    assert!(metric(&m, "recovery.online_to_all_registered_s") >= 0.0);
    assert!(metric(&m, "crash.restart_to_all_registered_s") >= 0.0);
    assert_eq!(metric(&m, "recovery.dup_opg_posts"), 0.0);
    assert!(
        json.to_string().contains("nproc"),
        "the JSON record carries machine facts: {json}"
    );
}

#[test]
fn the_lpa_lifecycle_runs_in_one_process_with_zero_duplicates() {
    let (m, _) = bench(&["lpa", "--n", "20", "--concurrency", "4"]);
    assert_eq!(metric(&m, "lpa.opg_duplicates"), 0.0);
    assert!(metric(&m, "lpa.transitions_per_lpa") > 10.0);
    assert_eq!(metric(&m, "lpa.chains_verified"), 20.0);
}

#[test]
fn the_lpa_lifecycle_recovers_from_an_outage_chaos_and_a_crash_with_zero_duplicates() {
    let (m, _) = bench(&["lpa", "--n", "10", "--concurrency", "4", "--outage-s", "1"]);
    assert_eq!(metric(&m, "lpa.opg_duplicates"), 0.0);
    assert!(metric(&m, "lpa.opg_back_to_drained_s") >= 0.0);
    assert!(
        metric(&m, "lpa.outage_requests") >= 1.0,
        "the breaker probed"
    );
    let (m, _) = bench(&["lpa", "--n", "10", "--concurrency", "4", "--chaos"]);
    assert_eq!(metric(&m, "lpa.opg_duplicates"), 0.0);
    assert_eq!(metric(&m, "lpa.chains_verified"), 10.0);
    let (m, _) = bench(&[
        "lpa",
        "--n",
        "20",
        "--concurrency",
        "4",
        "--crash-at",
        "0.5",
    ]);
    assert!(
        metric(&m, "lpa.crash.steps_open_at_kill") > 0.0,
        "killed while delivering"
    );
    assert_eq!(metric(&m, "lpa.crash.opg_duplicates"), 0.0);
    assert_eq!(
        metric(&m, "lpa.crash.opg_writes_applied"),
        metric(&m, "lpa.crash.opg_writes_expected"),
        "every write exactly once"
    );
    assert_eq!(metric(&m, "lpa.crash.not_registered"), 0.0);
    assert_eq!(metric(&m, "lpa.crash.chains_verified"), 20.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lpa_lifecycle_and_the_workload_scale_out_over_processes_sharing_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let (m, _) = bench(&[
        "lpa",
        "--processes",
        "2",
        "--n",
        "30",
        "--concurrency",
        "4",
        "--database-url",
        db.url(),
    ]);
    assert_eq!(metric(&m, "lpa.postgres.processes_2.opg_duplicates"), 0.0);
    assert_eq!(metric(&m, "lpa.postgres.processes_2.not_registered"), 0.0);
    assert_eq!(metric(&m, "lpa.postgres.processes_2.chains_verified"), 30.0);
    let (m, _) = bench(&[
        "scaleout",
        "--processes",
        "2",
        "--n",
        "200",
        "--database-url",
        db.url(),
    ]);
    assert_eq!(
        metric(&m, "scaleout.postgres.processes_2.dup_registrations"),
        0.0
    );
    assert_eq!(
        metric(&m, "scaleout.postgres.processes_2.dup_opg_posts"),
        0.0
    );
    assert_eq!(
        metric(&m, "scaleout.postgres.processes_2.not_registered"),
        0.0
    );
}

#[test]
fn the_api_benchmark_runs_transitions_and_the_no_op_route() {
    let (m, json) = bench(&[
        "api",
        "--seconds",
        "0.5",
        "--connections",
        "4",
        "--lpas",
        "16",
    ]);
    assert!(metric(&m, "api.transitions.connections_4.per_s") > 0.0);
    assert!(metric(&m, "api.noop.connections_4.requests_per_s") > 0.0);
    assert_eq!(metric(&m, "api.transitions.connections_4.errors"), 0.0);
    assert!(metric(&m, "api.transitions_minimal.connections_4.per_s") > 0.0);
    assert_eq!(
        metric(&m, "api.transitions_minimal.connections_4.errors"),
        0.0
    );
    // CPU per request is measured for every phase (a transition costs more than the no-op route).
    assert!(metric(&m, "api.noop.connections_4.cpu_us_per_request") > 0.0);
    assert!(
        metric(
            &m,
            "api.transitions_minimal.connections_4.cpu_us_per_request"
        ) > metric(&m, "api.noop.connections_4.cpu_us_per_request")
    );
    assert!(json.to_string().contains("record_payment"), "{json}");
}
