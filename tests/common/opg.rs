//! End-to-end OPG helpers: a real simulator over HTTP on 127.0.0.1:0 with its own SQLite file, a real LPA
//! engine (`lpaflow_app::LpaEngine`, the product's wiring) on a fresh database, LPAs driven through the
//! real `workflows/lpa.toml`, polling with deadlines, and the checks every sync test ends with.

use chrono::TimeDelta;
use lpaflow_app::{LpaEngine, LpaService, OpgDelivery, ServiceSettings, WorkflowSource};
use lpaflow_core::{Clock, Command, InstanceId, ManualClock};
use lpaflow_engine::delivery::{BreakerOptions, RetryPolicy};
use lpaflow_engine::{Engine, EngineOptions, Outcome};
use lpaflow_opg::jwt::DEFAULT_SUBJECT;
use lpaflow_opg::reconcile::{self, Report};
use lpaflow_opg::simulator::{self, SimulatorConfig, SimulatorHandle};
use lpaflow_opg::{FaultsPatch, OpgClient, OpgClientConfig};
use lpaflow_store::{StepStatus, Store, StoreOptions, SyncStatus};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The OPG JWT secret shared by simulator, engines and child processes.
pub const SECRET: &str = "e2e-opg-secret";

/// A running simulator and the directory of its database.
pub struct Sim {
    pub handle: SimulatorHandle,
    pub dir: tempfile::TempDir,
}

/// A simulator with a 1 s `Retry-After` on outages and a 1.5 s timeout hold (tests' clients time out at 1 s).
pub async fn start_sim() -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SimulatorConfig::new(dir.path().join("opg.db"), SECRET);
    config.outage_retry_after_s = 1;
    config.timeout_hold_ms = 1_500;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = simulator::start(config, listener).await.unwrap();
    Sim { handle, dir }
}

impl Sim {
    pub fn url(&self) -> String {
        self.handle.base_url()
    }

    pub fn faults(&self, patch: Value) {
        let patch: FaultsPatch = serde_json::from_value(patch).unwrap();
        self.handle.patch_faults(&patch).unwrap();
    }

    /// Responses with this status so far.
    pub fn responses(&self, status: u16) -> u64 {
        self.handle.stats().status_count(status)
    }

    /// Every API response so far.
    pub fn requests(&self) -> u64 {
        self.handle.stats().requests.values().sum()
    }

    /// A client of this simulator (as lpaflow, or as another author), patient enough for batch reads.
    pub fn client(&self, subject: &str) -> OpgClient {
        let mut config = client_config(&self.url());
        config.subject = subject.to_owned();
        config.timeout_ms = 30_000;
        OpgClient::new(&config).unwrap()
    }
}

/// Client settings for tests: 1 s request timeout.
pub fn client_config(url: &str) -> OpgClientConfig {
    let mut config = OpgClientConfig::new(url, SECRET);
    config.timeout_ms = 1_000;
    config.connect_timeout_ms = 500;
    config
}

pub fn workflows_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows"))
}

/// The wall clock, which the tests move forward for the waiting period (steps and retries keep their real
/// pace because it keeps running).
pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::offset_from_system())
}

/// How an engine delivers in tests: quick polls, a breaker that probes often, retries capped at 2 s.
pub fn fast_delivery(options: &mut EngineOptions) {
    options.timers.poll_ms = 50;
    if let Some(d) = options.delivery.as_mut() {
        d.poll_ms = 20;
        d.lease_ms = 20_000;
        d.retry = RetryPolicy {
            base_ms: 20,
            cap_ms: 2_000,
            attempts_max: 100,
            ..RetryPolicy::default()
        };
        d.breaker = BreakerOptions {
            failure_threshold: 3,
            open_ms: 100,
            open_max_ms: 1_000,
        };
    }
}

/// A running LPA engine, the store it runs on and the LPA service over both (derefs to the engine).
#[derive(Clone)]
pub struct Running {
    pub engine: Engine,
    pub store: Store,
    pub lpas: LpaService,
}

impl std::ops::Deref for Running {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        &self.engine
    }
}

impl Running {
    /// The store the engine runs on.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// The repository's workflow definitions, as `serve` reads them.
pub fn workflow_sources() -> Vec<WorkflowSource> {
    let path = workflows_dir().join("lpa.toml");
    vec![WorkflowSource {
        origin: path.display().to_string(),
        text: std::fs::read_to_string(&path).unwrap(),
    }]
}

/// An LPA engine on `db_url` delivering to `opg_url` (`None`: no delivery).
pub async fn start_engine(
    db_url: &str,
    opg_url: Option<&str>,
    clock: Arc<dyn Clock>,
    concurrency: usize,
    adjust: impl FnOnce(&mut EngineOptions),
) -> Running {
    let store = Store::open(StoreOptions::new(db_url)).await.unwrap();
    let engine = LpaEngine {
        workflows: workflow_sources(),
        clock,
        node_id: None,
        opg: opg_url.map(|url| OpgDelivery {
            client: client_config(url),
            concurrency,
        }),
        timers: true,
        zone: lpaflow_core::BusinessZone::LONDON,
    }
    .start_with(store.clone(), |o| {
        fast_delivery(o);
        adjust(o);
    })
    .await
    .unwrap();
    let lpas = LpaService::new(engine.clone(), store.clone(), ServiceSettings::default());
    Running {
        engine,
        store,
        lpas,
    }
}

pub fn uid(n: u64) -> InstanceId {
    lpaflow_test_support::fixture::uid(n)
}

/// A valid online property and affairs application with one attorney (so each LPA sends few steps), a
/// professional certificate provider and the full fee: the shared application without its replacement.
pub fn application() -> Value {
    let mut app = lpaflow_test_support::lpa_application::application();
    if let Some(list) = app["attorneys"].as_array_mut() {
        list.truncate(1);
    }
    app
}

/// Fires `event` as `role`; panics with the refusal.
pub async fn fire(
    engine: &Engine,
    uid: &InstanceId,
    role: &str,
    event: &str,
    payload: Value,
) -> Outcome {
    let command = Command::new(event, format!("urn:test:{role}"), role).with_payload(payload);
    match engine.fire(uid, command).await {
        Ok(o) => o,
        Err(e) => panic!("{uid}: {event} as {role} refused: {e}"),
    }
}

pub async fn create(engine: &Engine, uid: &InstanceId, application: Value) {
    let command = Command::new("create", "urn:test:service", "service").with_payload(application);
    engine.create("lpa", uid.clone(), command).await.unwrap();
}

/// Identity checks (sent with the create), submit, pay what is due: the LPA is in `signing`.
pub async fn submit_and_pay(engine: &Engine, uid: &InstanceId) {
    let checked = engine.clock().now().to_rfc3339();
    for event in [
        "confirm_donor_identity",
        "confirm_certificate_provider_identity",
    ] {
        fire(
            engine,
            uid,
            "service",
            event,
            json!({"type": "one-login", "checkedAt": checked}),
        )
        .await;
    }
    submit_and_pay_unchecked(engine, uid).await;
}

/// Submit and pay what is due, without identity checks (fewer commands for the big tests).
pub async fn submit_and_pay_unchecked(engine: &Engine, uid: &InstanceId) {
    let submitted = fire(engine, uid, "service", "submit", json!({})).await;
    let due = submitted.stored.instance.data["fee"]["amounts"]["duePence"]
        .as_i64()
        .unwrap();
    if due > 0 {
        fire(
            engine,
            uid,
            "service",
            "record_payment",
            json!({"amountPence": due}),
        )
        .await;
    }
}

/// Submit, pay and sign as the donor: the LPA goes to OPG (its create is enqueued).
pub async fn send_to_opg(engine: &Engine, uid: &InstanceId) {
    submit_and_pay(engine, uid).await;
    fire(engine, uid, "service", "sign_as_donor", json!({})).await;
}

/// Every signature (donor, certificate provider, each attorney).
pub async fn sign_all(engine: &Engine, uid: &InstanceId) {
    fire(engine, uid, "service", "sign_as_donor", json!({})).await;
    sign_after_donor(engine, uid).await;
}

/// The certificate provider's and every attorney's signature (the donor has signed).
pub async fn sign_after_donor(engine: &Engine, uid: &InstanceId) {
    fire(
        engine,
        uid,
        "service",
        "sign_as_certificate_provider",
        json!({}),
    )
    .await;
    let stored = engine.get(uid).await.unwrap().unwrap();
    let attorneys: Vec<String> = stored.instance.data["application"]["attorneys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["uid"].as_str().unwrap().to_owned())
        .collect();
    for a in attorneys {
        let payload = json!({"uid": a, "confirmedNotBankrupt": true});
        fire(engine, uid, "service", "sign_as_attorney", payload).await;
    }
}

/// Created, submitted, paid, signed and in the waiting period (`identity`: with identity checks first).
pub async fn to_waiting_period(engine: &Engine, uid: &InstanceId, identity: bool) {
    create(engine, uid, application()).await;
    if identity {
        submit_and_pay(engine, uid).await;
    } else {
        submit_and_pay_unchecked(engine, uid).await;
    }
    sign_all(engine, uid).await;
    let o = fire(engine, uid, "service", "enter_waiting_period", json!({})).await;
    assert_eq!(o.stored.instance.state, "statutory_waiting_period", "{uid}");
}

/// Moves the business clock past the waiting period and fires the due timers.
pub async fn end_waiting_period(engine: &Running, clock: &ManualClock) {
    clock.advance(TimeDelta::days(28) + TimeDelta::minutes(1));
    engine.wake_timers();
    while engine.fire_due_timers().await.unwrap() > 0 {}
    // The engine's own timer loop may have claimed a due timer first and still be firing it: wait until no
    // timer is due, or a caller could see the outbox empty before that timer's transition enqueues its step.
    eventually("every due timer fired", Duration::from_secs(10), || async {
        let next = engine.store().next_timer_at().await.unwrap();
        next.is_none_or(|at| at > clock.now())
    })
    .await;
}

/// Polls `check` every 20 ms until it holds; panics after `limit` naming `what`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Returns once the wall clock is in a new second: the LPA Store keys its change log by the second an update
/// was applied, so two updates of one LPA in one second keep one entry.
pub async fn next_second() {
    let now = chrono::Utc::now().timestamp();
    while chrono::Utc::now().timestamp() == now {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Open outbox steps in the whole store.
pub async fn open_steps(store: &Store) -> u64 {
    store.backlog().await.unwrap().open()
}

/// Waits until no step is open.
pub async fn drained(store: &Store, limit: Duration) {
    eventually("every step delivered", limit, || async {
        open_steps(store).await == 0
    })
    .await;
}

/// For each LPA: every step done, OPG holds the LPA, and OPG's change log lists exactly the outbox's updates in
/// its order. The store keys its change log by LPA and second, so two updates of one LPA applied within one
/// second would keep one entry: an exact log also proves the client's pacing (one write per LPA per second).
/// Exactly-once is the simulator's write and duplicate counts. Returns the number of steps checked.
pub async fn assert_synced_in_order(
    engine: &Engine,
    client: &OpgClient,
    uids: &[InstanceId],
) -> usize {
    let mut checked = 0;
    for uid in uids {
        let stored = engine.get(uid).await.unwrap().unwrap();
        assert_eq!(stored.sync_status, SyncStatus::Synced, "{uid} not synced");
        let steps = engine.steps(uid).await.unwrap();
        assert!(
            steps.iter().all(|s| s.status == StepStatus::Done),
            "{uid}: {steps:?}"
        );
        assert_eq!(
            steps.first().map(|s| s.step.as_str()),
            Some("opg.create"),
            "{uid}"
        );
        assert!(
            client.get(uid.as_str()).await.unwrap().is_some(),
            "OPG holds {uid}"
        );
        let local: Vec<String> = steps[1..]
            .iter()
            .map(|s| s.step.as_str().trim_start_matches("opg.update:").to_owned())
            .collect();
        let log = client
            .updates(uid.as_str())
            .await
            .unwrap()
            .unwrap_or_default();
        let remote: Vec<String> = log.iter().rev().map(|e| e.kind.clone()).collect();
        assert_eq!(
            remote, local,
            "{uid}: OPG's change log is not the outbox's updates in order"
        );
        checked += steps.len();
    }
    checked
}

/// Reconciles every LPA (report only).
pub async fn reconcile_all(engine: &Running, sim: &Sim) -> Report {
    let client = sim.client(DEFAULT_SUBJECT);
    let options = reconcile::Options::new(DEFAULT_SUBJECT);
    engine
        .lpas
        .reconcile(&client, &options, &mut |_| {})
        .await
        .unwrap()
}
