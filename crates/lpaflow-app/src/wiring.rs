//! Wiring lpaflow for LPAs: the workflow definitions (the texts the CLI read, plus older versions instances are
//! still pinned to, read back from the store), the LPA rules, the OPG step handler, and the engine. Shared by
//! `serve`, `reconcile`, the benchmarks and the tests, so they all run the same product. Reads no file and no
//! environment variable: the CLI passes the texts and settings down.

use lpaflow_core::{BusinessZone, Clock};
use lpaflow_engine::delivery::{BreakerOptions, RetryPolicy};
use lpaflow_engine::{
    Definitions, DeliveryOptions, Engine, EngineOptions, LoadedDefinition, StepHandler,
    TimerOptions,
};
use lpaflow_lpa::LpaRules;
use lpaflow_opg::{OpgClient, OpgClientConfig, OpgStepHandler};
use lpaflow_store::Store;
use std::collections::BTreeSet;
use std::sync::Arc;

/// One workflow definition's text and where it came from (a file name, "built-in").
#[derive(Clone, Debug)]
pub struct WorkflowSource {
    /// Named in validation errors.
    pub origin: String,
    /// The TOML.
    pub text: String,
}

/// Validates every source (all problems of all sources in one error).
pub fn load_workflows(sources: &[WorkflowSource]) -> anyhow::Result<Vec<LoadedDefinition>> {
    if sources.is_empty() {
        anyhow::bail!("no workflow definitions were given");
    }
    let catalog = lpaflow_lpa::catalog();
    let mut loaded = Vec::new();
    let mut problems = String::new();
    for s in sources {
        match lpaflow_spec::load(&s.origin, &s.text, &catalog) {
            Ok(def) => loaded.push(LoadedDefinition {
                def: Arc::new(def),
                source: s.text.clone(),
            }),
            Err(e) => problems.push_str(&e.to_string()),
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("invalid workflow definitions:\n{problems}");
    }
    Ok(loaded)
}

/// The definitions to run: `sources`, plus every older version instances are pinned to (from the store).
pub async fn definitions(sources: &[WorkflowSource], store: &Store) -> anyhow::Result<Definitions> {
    let current = load_workflows(sources)?;
    let have: BTreeSet<(String, u32)> = current
        .iter()
        .map(|d| (d.def.name().to_owned(), d.def.version()))
        .collect();
    let pinned = store.pinned_definitions().await?;
    let stored = store.definitions().await?;
    let catalog = lpaflow_lpa::catalog();
    let mut older = Vec::new();
    for (name, version, hash) in pinned {
        if have.contains(&(name.clone(), version)) {
            continue;
        }
        if let Some(d) = stored
            .iter()
            .find(|d| d.name == name && d.version == version && d.hash == hash)
        {
            let def =
                lpaflow_spec::load(&format!("{name}@v{version} (stored)"), &d.source, &catalog)
                    .map_err(|e| anyhow::anyhow!("a stored definition no longer loads: {e}"))?;
            older.push(LoadedDefinition {
                def: Arc::new(def),
                source: d.source.clone(),
            });
        }
    }
    Ok(Definitions::new(current, older)?)
}

/// How an LPA engine delivers OPG steps.
#[derive(Clone, Debug)]
pub struct OpgDelivery {
    /// Where OPG is.
    pub client: OpgClientConfig,
    /// Steps in flight at once.
    pub concurrency: usize,
}

/// Everything an LPA engine needs beyond the store.
pub struct LpaEngine {
    /// The current workflow definitions.
    pub workflows: Vec<WorkflowSource>,
    pub clock: Arc<dyn Clock>,
    pub node_id: Option<String>,
    pub opg: Option<OpgDelivery>,
    pub timers: bool,
    /// The rules' business time zone (`--business-timezone`).
    pub zone: BusinessZone,
}

impl LpaEngine {
    /// Starts the engine on `store`.
    pub async fn start(self, store: Store) -> anyhow::Result<Engine> {
        self.start_with(store, |_| {}).await
    }

    /// Starts the engine on `store` and returns the LPA service over it.
    pub async fn start_service(
        self,
        store: Store,
        settings: crate::ServiceSettings,
        adjust: impl FnOnce(&mut EngineOptions),
    ) -> anyhow::Result<crate::LpaService> {
        let engine = self.start_with(store.clone(), adjust).await?;
        let reindexing = engine.clone();
        tokio::spawn(async move {
            if let Err(e) = reindexing.reindex_untitled().await {
                tracing::warn!(error = %e, "list indexes of older LPAs not brought up to date; they are on their next change");
            }
        });
        Ok(crate::LpaService::new(engine, store, settings))
    }

    /// Starts the engine on `store`, letting `adjust` change the options first (delivery timing, breaker and
    /// retry settings for tests and the hidden `run-engine` command).
    pub async fn start_with(
        self,
        store: Store,
        adjust: impl FnOnce(&mut EngineOptions),
    ) -> anyhow::Result<Engine> {
        let definitions = definitions(&self.workflows, &store).await?;
        let mut options = EngineOptions::new(
            store,
            definitions,
            Arc::new(LpaRules::new(self.zone)),
            self.clock,
        );
        if let Some(node) = self.node_id {
            options.node_id = node;
        }
        options.timers = TimerOptions {
            enabled: self.timers,
            ..TimerOptions::default()
        };
        if let Some(opg) = self.opg {
            let client =
                OpgClient::new(&opg.client).map_err(|e| anyhow::anyhow!("OPG client: {e}"))?;
            options.delivery = Some(DeliveryOptions {
                handlers: vec![(
                    "opg.".to_owned(),
                    Arc::new(OpgStepHandler::new(client)) as Arc<dyn StepHandler>,
                )],
                concurrency: opg.concurrency,
                retry: RetryPolicy::default(),
                breaker: BreakerOptions::default(),
                ..DeliveryOptions::default()
            });
        }
        options.on_commit = Some(Arc::new(|_, decisions| {
            crate::refunds::record_committed(decisions)
        }));
        adjust(&mut options);
        Ok(Engine::start(options).await?)
    }
}
