//! The loaded workflow definitions: every version this process runs (current ones and older ones instances
//! are still pinned to), for the adapters that list and draw them.

use crate::service::LpaService;
use lpaflow_core::{WorkflowDef, WorkflowRef};
use std::sync::Arc;

/// A loaded definition and whether new instances use it.
#[derive(Clone, Debug)]
pub struct LoadedWorkflow {
    /// The definition.
    pub def: Arc<WorkflowDef>,
    /// New instances of its name use this version.
    pub current: bool,
}

impl LpaService {
    /// Every loaded definition.
    pub fn workflows(&self) -> Vec<LoadedWorkflow> {
        let defs = self.engine.definitions();
        defs.all()
            .map(|d| LoadedWorkflow {
                current: defs
                    .current(d.name())
                    .is_some_and(|c| c.version() == d.version()),
                def: d.clone(),
            })
            .collect()
    }

    /// Definition `name` at `version`, if loaded.
    pub fn workflow(&self, name: &str, version: u32) -> Option<Arc<WorkflowDef>> {
        self.engine
            .definitions()
            .get(&WorkflowRef {
                name: name.to_owned(),
                version,
            })
            .cloned()
    }

    /// The text `def` was loaded from.
    pub fn workflow_source(&self, def: &WorkflowDef) -> Option<String> {
        self.engine
            .definitions()
            .source(def.reference())
            .map(str::to_owned)
    }
}
