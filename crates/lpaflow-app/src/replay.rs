//! What `lpaflow audit verify --replay` replays the history with: the workflow definitions LPAs are pinned to
//! (the texts given, plus older versions read back from the store, each checked against the hash instances were
//! created with) and the LPA rules of the version each entry names (`lpaflow_lpa::RULES_VERSION`, in the zone
//! it names). Anything else is "not replayable by this build".

use crate::wiring::{WorkflowSource, definitions};
use lpaflow_core::replay::Interpreters;
use lpaflow_core::{Rules, WorkflowDef, WorkflowRef};
use lpaflow_engine::Definitions;
use lpaflow_lpa::LpaRules;
use lpaflow_store::Store;

/// The LPA definitions and rules of this build.
pub struct LpaInterpreters {
    definitions: Definitions,
}

impl LpaInterpreters {
    /// `sources` and every older definition instances in `store` are pinned to. Refuses definitions whose text
    /// is not the one instances were created with: replaying with another text would prove nothing.
    pub async fn load(sources: &[WorkflowSource], store: &Store) -> anyhow::Result<Self> {
        let definitions = definitions(sources, store).await?;
        definitions.check_pins(&store.pinned_definitions().await?)?;
        Ok(Self { definitions })
    }
}

impl Interpreters for LpaInterpreters {
    fn definition(&self, workflow: &WorkflowRef) -> Option<&WorkflowDef> {
        self.definitions.get(workflow).map(|d| d.as_ref())
    }

    fn rules(&self, version: &str) -> Option<Box<dyn Rules>> {
        LpaRules::of_version(version).map(|r| Box::new(r) as Box<dyn Rules>)
    }
}
