//! What `lpaflow audit verify --replay` replays the history with: the workflow definitions LPAs are pinned to
//! (the texts given, plus older versions read back from the store, each checked against the hash instances were
//! created with) and the LPA rules of the version each entry names (`lpaflow_lpa::RULES_VERSION`), in the
//! deployment's zone. An earlier released version is "not replayable by this build"; a version never released,
//! or another zone, is unlawful.

use crate::wiring::{WorkflowSource, definitions};
use lpaflow_core::replay::{Interpreters, RulesOf};
use lpaflow_core::{BusinessZone, WorkflowDef, WorkflowRef};
use lpaflow_engine::Definitions;
use lpaflow_lpa::LpaRules;
use lpaflow_store::Store;

/// The LPA definitions and rules of this build.
pub struct LpaInterpreters {
    definitions: Definitions,
    zone: BusinessZone,
}

impl LpaInterpreters {
    /// `sources` and every older definition instances in `store` are pinned to. Refuses definitions whose text
    /// is not the one instances were created with: replaying with another text would prove nothing.
    /// `zone` is the deployment's `--business-timezone`.
    pub async fn load(
        sources: &[WorkflowSource],
        store: &Store,
        zone: BusinessZone,
    ) -> anyhow::Result<Self> {
        let definitions = definitions(sources, store).await?;
        definitions.check_pins(&store.pinned_definitions().await?)?;
        Ok(Self { definitions, zone })
    }
}

impl Interpreters for LpaInterpreters {
    fn definition(&self, workflow: &WorkflowRef) -> Option<&WorkflowDef> {
        self.definitions.get(workflow).map(|d| d.as_ref())
    }

    fn rules(&self, version: &str) -> RulesOf {
        LpaRules::of_version(version, self.zone)
    }
}
