//! A small workflow with a system event for sync problems, a scripted step handler and engine builders.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lpaflow_core::{Catalog, Clock, ManualClock, PlainRules, SystemClock, WorkflowDef};
use lpaflow_engine::delivery::{BreakerOptions, RetryPolicy};
use lpaflow_engine::{
    Attempt, ClaimedStep, Definitions, DeliveryOptions, Engine, EngineOptions, LoadedDefinition,
    Report, StepHandler, TimerOptions,
};
use lpaflow_store::{Store, StoreOptions};
use lpaflow_test_support::TestDb;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const TICKET: &str = r#"
name = "ticket"
version = 1
initial = "open"

[states.open]
[states.waiting]
timers = [{ name = "nudge", after = "2h", event = "nudge" }]
[states.closing]
[states.closed]
terminal = true

[create]
roles = ["agent"]
action = "merge"
steps = ["ext.open"]

[[transitions]]
event = "note"
from = ["open", "waiting"]
stay = true
roles = ["agent"]
action = "merge"
steps = ["ext.note"]

[[transitions]]
event = "wait"
from = "open"
to = "waiting"
roles = ["agent"]

[[transitions]]
event = "nudge"
from = "waiting"
to = "open"
roles = ["system"]
steps = ["ext.note"]

[[transitions]]
event = "close"
from = ["open", "waiting"]
to = "closing"
roles = ["agent"]
steps = [{ name = "ext.close", delivery = "blocking", then = "closed" }]

[[transitions]]
event = "closed"
from = "closing"
to = "closed"
roles = ["system"]

[[transitions]]
event = "problem"
from = ["open", "waiting", "closing"]
stay = true
roles = ["system"]
action = "merge"
while_awaiting_sync = true
"#;

pub fn catalog() -> Catalog {
    Catalog::new(
        &["agent"],
        &[],
        &["merge"],
        &["ext.open", "ext.note", "ext.close"],
    )
}

pub fn definition(text: &str) -> LoadedDefinition {
    let def: WorkflowDef = lpaflow_spec::load("ticket.toml", text, &catalog()).unwrap();
    LoadedDefinition {
        def: Arc::new(def),
        source: text.to_owned(),
    }
}

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-02-01T10:00:00Z")
        .unwrap()
        .to_utc()
}

/// A step handler whose answers the test controls.
#[derive(Default)]
pub struct Scripted {
    pub calls: Mutex<Vec<(String, String, bool)>>,
    /// What `claim.still_held()` said at each delivery.
    pub claims: Mutex<Vec<Result<(), lpaflow_engine::ClaimLost>>>,
    pub down: AtomicBool,
    pub refuse: Mutex<BTreeSet<String>>,
    pub report_on: Mutex<BTreeSet<String>>,
    /// Steps that fail every attempt with a retryable error (until the engine gives up).
    pub flaky: Mutex<BTreeSet<String>>,
    /// While set, deliveries wait (they stay in flight).
    pub held: AtomicBool,
    /// Steps deferred (not attempted) the first time they come.
    pub defer_once: Mutex<BTreeSet<String>>,
    /// Steps whose delivery panics the first time they come (a handler's bug).
    pub panic_once: Mutex<BTreeSet<String>>,
}

/// How long [`Scripted`] defers a step.
pub const DEFERRAL: Duration = Duration::from_millis(300);

impl Scripted {
    pub fn calls(&self) -> Vec<(String, String, bool)> {
        self.calls.lock().unwrap().clone()
    }

    /// Makes every delivery of `step` succeed with a report (an event committed with its completion).
    pub fn report_on(&self, step: &str) {
        self.report_on.lock().unwrap().insert(step.to_owned());
    }
}

#[async_trait]
impl StepHandler for Scripted {
    async fn deliver(&self, step: &ClaimedStep) -> Attempt {
        self.claims.lock().unwrap().push(step.claim.still_held());
        self.calls.lock().unwrap().push((
            step.uid.to_string(),
            step.name.to_string(),
            step.ambiguous,
        ));
        while self.held.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if self.defer_once.lock().unwrap().remove(step.name.as_str()) {
            return Attempt::Deferred {
                retry_after: DEFERRAL,
            };
        }
        if self.panic_once.lock().unwrap().remove(step.name.as_str()) {
            panic!("the scripted handler panics delivering {}", step.name);
        }
        if self.down.load(Ordering::SeqCst) {
            return Attempt::Retry {
                error: json!({"code": "down"}),
                retry_after: None,
                ambiguous: step.ambiguous,
                unavailable: true,
            };
        }
        if self.refuse.lock().unwrap().contains(step.name.as_str()) {
            return Attempt::Failed {
                error: json!({"code": "INVALID_REQUEST", "detail": "refused"}),
                report: Some(problem(step, "failed")),
            };
        }
        if self.flaky.lock().unwrap().contains(step.name.as_str()) {
            return Attempt::Retry {
                error: json!({"code": "flaky"}),
                retry_after: None,
                ambiguous: false,
                unavailable: false,
            };
        }
        let report = self
            .report_on
            .lock()
            .unwrap()
            .contains(step.name.as_str())
            .then(|| Report {
                event: "problem".into(),
                payload: json!({"mismatch": step.name.as_str()}),
            });
        Attempt::Done {
            result: json!({"ok": step.id}),
            report,
        }
    }

    fn gave_up(&self, step: &ClaimedStep, _error: &serde_json::Value) -> Option<Report> {
        Some(problem(step, "gave_up"))
    }
}

/// The workflow's own report of a step problem (the engine composes none).
fn problem(step: &ClaimedStep, kind: &str) -> Report {
    Report {
        event: "problem".into(),
        payload: json!({"step": step.name.as_str(), "kind": kind}),
    }
}

pub struct Setup {
    pub engine: Engine,
    /// The store the engine runs on.
    pub store: Store,
    pub handler: Arc<Scripted>,
}

pub fn delivery_options(handler: Arc<Scripted>) -> DeliveryOptions {
    DeliveryOptions {
        handlers: vec![("ext.".to_owned(), handler as Arc<dyn StepHandler>)],
        concurrency: 8,
        lease_ms: 5_000,
        poll_ms: 20,
        retry: RetryPolicy {
            base_ms: 5,
            cap_ms: 50,
            attempts_max: 100,
            jitter: true,
        },
        breaker: BreakerOptions {
            failure_threshold: 2,
            open_ms: 50,
            open_max_ms: 200,
        },
        seed: 7,
    }
}

pub async fn start(db: &TestDb, clock: Arc<dyn Clock>, with_delivery: bool) -> Setup {
    start_with(db, clock, with_delivery, |_| {}).await
}

/// [`start`], letting `adjust` change the options first.
pub async fn start_with(
    db: &TestDb,
    clock: Arc<dyn Clock>,
    with_delivery: bool,
    adjust: impl FnOnce(&mut EngineOptions),
) -> Setup {
    let store = Store::open(StoreOptions::new(db.url())).await.unwrap();
    let handler = Arc::new(Scripted::default());
    let defs = Definitions::new(vec![definition(TICKET)], vec![]).unwrap();
    let mut options = EngineOptions::new(
        store.clone(),
        defs,
        Arc::new(PlainRules::new(catalog())),
        clock,
    );
    options.timers = TimerOptions {
        enabled: true,
        poll_ms: 20,
        batch: 64,
        lease_ms: 5_000,
        defer_ms: 1_000,
    };
    options.delivery = with_delivery.then(|| delivery_options(handler.clone()));
    adjust(&mut options);
    Setup {
        engine: Engine::start(options).await.unwrap(),
        store,
        handler,
    }
}

/// Plans a maintenance window from `from` to `to` seconds from now, as an admin would (in the store only: the
/// caller tells the engine, or not, as the test needs).
pub async fn plan_window(s: &Setup, from: i64, to: i64) -> lpaflow_store::MaintenanceWindow {
    let now = chrono::Utc::now();
    s.store
        .add_maintenance(
            now + chrono::TimeDelta::seconds(from),
            now + chrono::TimeDelta::seconds(to),
            "patching",
            "admin",
            now,
        )
        .await
        .unwrap()
}

/// Waits until every instance of `ids` is synced.
pub async fn all_synced(s: &Setup, ids: &[lpaflow_core::InstanceId], what: &str) {
    for id in ids {
        eventually(what, || async {
            s.engine.get(id).await.unwrap().unwrap().sync_status
                == lpaflow_store::SyncStatus::Synced
        })
        .await;
    }
}

/// A command of the `agent` role.
pub fn agent(event: &str) -> lpaflow_core::Command {
    lpaflow_core::Command::new(event, "agent-7", "agent")
}

/// Creates ticket `id` titled "Printer", as agent-7.
pub async fn create_printer_ticket(
    engine: &Engine,
    id: &lpaflow_core::InstanceId,
) -> lpaflow_engine::Outcome {
    engine
        .create(
            "ticket",
            id.clone(),
            agent("create").with_payload(json!({"title": "Printer"})),
        )
        .await
        .unwrap()
}

pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

pub fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::fixed(t0()))
}

/// Polls `check` until it is true or 20 seconds pass.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// One test per backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(&lpaflow_test_support::TestDb::sqlite()).await;
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
