//! Wiring lpaflow for LPAs: definitions from the workflows directory (plus older versions instances are still
//! pinned to, read back from the store), the LPA rules, the OPG step handler, and the engine. Shared by
//! `serve`, `reconcile` and the benchmarks, so they all run the same product.

use anyhow::Context as _;
use lpaflow_core::BusinessZone;
use lpaflow_core::Clock;
use lpaflow_engine::delivery::{BreakerOptions, RetryPolicy};
use lpaflow_engine::{
    Definitions, DeliveryOptions, Engine, EngineOptions, LoadedDefinition, StepHandler,
    TimerOptions,
};
use lpaflow_lpa::LpaRules;
use lpaflow_opg::{DEV_JWT_SECRET, OpgClient, OpgClientConfig, OpgStepHandler};
use lpaflow_store::Store;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// The OPG JWT secret from `LPAFLOW_OPG_JWT_SECRET`, or the development secret with a warning.
pub fn opg_jwt_secret() -> String {
    match std::env::var("LPAFLOW_OPG_JWT_SECRET") {
        Ok(s) if !s.is_empty() => s,
        _ => {
            tracing::warn!(
                "LPAFLOW_OPG_JWT_SECRET is not set: using the development OPG secret (never do this in production)"
            );
            DEV_JWT_SECRET.to_owned()
        }
    }
}

/// Reads and validates every `*.toml` in `dir` (all problems of all files in one error).
pub fn read_workflow_dir(dir: &Path) -> anyhow::Result<Vec<LoadedDefinition>> {
    let catalog = lpaflow_lpa::catalog();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the workflows directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("{} holds no workflow definitions (*.toml)", dir.display());
    }
    let mut loaded = Vec::new();
    let mut problems = String::new();
    for f in files {
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
        match lpaflow_spec::load(&f.display().to_string(), &text, &catalog) {
            Ok(def) => loaded.push(LoadedDefinition {
                def: Arc::new(def),
                source: text,
            }),
            Err(e) => problems.push_str(&e.to_string()),
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("invalid workflow definitions:\n{problems}");
    }
    Ok(loaded)
}

/// The definitions to run: the files, plus every older version instances are pinned to (from the store).
pub async fn definitions(dir: &Path, store: &Store) -> anyhow::Result<Definitions> {
    let current = read_workflow_dir(dir)?;
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
    pub workflows_dir: std::path::PathBuf,
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

    /// Starts the engine on `store`, letting `adjust` change the options first (delivery timing, breaker and
    /// retry settings for tests and the hidden `run-engine` command).
    pub async fn start_with(
        self,
        store: Store,
        adjust: impl FnOnce(&mut EngineOptions),
    ) -> anyhow::Result<Engine> {
        let definitions = definitions(&self.workflows_dir, &store).await?;
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
        adjust(&mut options);
        Ok(Engine::start(options).await?)
    }
}
