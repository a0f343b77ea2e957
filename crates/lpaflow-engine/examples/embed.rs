//! Embedding lpaflow's engine in another Rust program, with a workflow that has nothing to do with LPAs: an
//! expense claim that is submitted, approved by a manager, and paid by an external payments system.
//!
//! Run it with `cargo run -p lpaflow-engine --example embed`.

use async_trait::async_trait;
use lpaflow_core::{Catalog, Command, InstanceId, PlainRules, SystemClock};
use lpaflow_engine::{
    Attempt, ClaimedStep, Definitions, DeliveryOptions, Engine, EngineOptions, LoadedDefinition,
    StepHandler,
};
use lpaflow_store::{Store, StoreOptions};
use serde_json::json;
use std::sync::Arc;

const EXPENSES: &str = r#"
name = "expense"
version = 1
initial = "draft"

[states.draft]
[states.submitted]
[states.paying]
[states.paid]
terminal = true
[states.rejected]
terminal = true

[create]
roles = ["employee"]

[[transitions]]
event = "submit"
from = "draft"
to = "submitted"
roles = ["employee"]

[[transitions]]
event = "approve"
from = "submitted"
to = "paying"
roles = ["manager"]
steps = [{ name = "payments.transfer", delivery = "blocking", then = "payment_confirmed" }]

[[transitions]]
event = "reject"
from = "submitted"
to = "rejected"
roles = ["manager"]

[[transitions]]
event = "payment_confirmed"
from = "paying"
to = "paid"
roles = ["system"]
"#;

/// The "payments system": here it just says yes.
struct Payments;

#[async_trait]
impl StepHandler for Payments {
    async fn deliver(&self, step: &ClaimedStep) -> Attempt {
        Attempt::Done {
            result: json!({"transfer": format!("TX-{}", step.id)}),
            report: None,
        }
    }
}

/// Runs the example against a SQLite file in `dir`; returns the claim's final state and history length.
pub async fn run(dir: &std::path::Path) -> Result<(String, usize), Box<dyn std::error::Error>> {
    let catalog = Catalog::new(&["employee", "manager"], &[], &[], &["payments.transfer"]);
    let def = lpaflow_spec::load("expense.toml", EXPENSES, &catalog)?;
    let definitions = Definitions::new(
        vec![LoadedDefinition {
            def: Arc::new(def),
            source: EXPENSES.to_owned(),
        }],
        vec![],
    )?;
    let store = Store::open(StoreOptions::new(format!(
        "sqlite://{}",
        dir.join("expenses.db").display()
    )))
    .await?;
    let mut options = EngineOptions::new(
        store.clone(),
        definitions,
        Arc::new(PlainRules::new(catalog)),
        Arc::new(SystemClock),
    );
    options.delivery = Some(DeliveryOptions {
        handlers: vec![(
            "payments.".to_owned(),
            Arc::new(Payments) as Arc<dyn StepHandler>,
        )],
        poll_ms: 20,
        ..DeliveryOptions::default()
    });
    let engine = Engine::start(options).await?;

    let claim = InstanceId::new("EXP-1");
    let create = Command::new("create", "alice", "employee")
        .with_payload(json!({"amountPence": 4_250, "what": "train"}));
    engine.create("expense", claim.clone(), create).await?;
    engine
        .fire(&claim, Command::new("submit", "alice", "employee"))
        .await?;
    engine
        .fire(&claim, Command::new("approve", "bob", "manager"))
        .await?;

    // The payment is a blocking step: the claim is `paid` once the payments system confirmed it.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut state = String::new();
    while tokio::time::Instant::now() < deadline {
        state = engine
            .get(&claim)
            .await?
            .map(|s| s.instance.state.to_string())
            .unwrap_or_default();
        if state == "paid" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let history = engine.history(&claim, 0, 100).await?;
    for h in &history {
        println!(
            "{:>2} {:<18} {:<8} -> {:<10} by {}",
            h.entry.seq,
            h.entry.event,
            h.entry.from.as_ref().map_or("", |s| s.as_str()),
            h.entry.to,
            h.entry.actor
        );
    }
    let report = store.verify(Some(&claim), |_| {}).await?;
    println!("history chain intact: {}", report.ok());
    engine.shutdown().await;
    Ok((state, history.len()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let (state, entries) = run(dir.path()).await?;
    println!("the claim is {state} after {entries} history entries");
    Ok(())
}
