//! The definitions an engine runs: the current version of each workflow (new instances use it) and every
//! version instances are pinned to (they keep using theirs). Pins are by name, version and content hash, so a
//! definition edited without a new version number is caught at start, not discovered in an audit.

use crate::Error;
use lpaflow_core::{WorkflowDef, WorkflowRef};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A loaded definition with its source text.
#[derive(Clone, Debug)]
pub struct LoadedDefinition {
    /// The validated definition.
    pub def: Arc<WorkflowDef>,
    /// The text it was loaded from (stored, so old versions stay readable for decades).
    pub source: String,
}

/// Every definition the engine knows.
#[derive(Clone, Debug, Default)]
pub struct Definitions {
    current: BTreeMap<String, Arc<WorkflowDef>>,
    all: BTreeMap<(String, u32), Arc<WorkflowDef>>,
    sources: BTreeMap<(String, u32), String>,
}

impl Definitions {
    /// `current` are the definitions new instances use (one per name, the highest version given wins);
    /// `older` are earlier versions still needed by pinned instances.
    pub fn new(
        current: Vec<LoadedDefinition>,
        older: Vec<LoadedDefinition>,
    ) -> Result<Self, Error> {
        let mut defs = Definitions::default();
        for d in older.into_iter().chain(current.iter().cloned()) {
            let key = (d.def.name().to_owned(), d.def.version());
            if let Some(existing) = defs.all.get(&key)
                && existing.hash() != d.def.hash()
            {
                return Err(Error::Definitions(format!(
                    "{}@v{} was given twice with different content (sha256 {} and {})",
                    key.0,
                    key.1,
                    &existing.hash()[..12],
                    &d.def.hash()[..12]
                )));
            }
            defs.sources.insert(key.clone(), d.source.clone());
            defs.all.insert(key, d.def.clone());
        }
        for d in current {
            let name = d.def.name().to_owned();
            let newer = defs
                .current
                .get(&name)
                .is_none_or(|c| c.version() < d.def.version());
            if newer {
                defs.current.insert(name, d.def);
            }
        }
        Ok(defs)
    }

    /// The version new instances of `name` use.
    pub fn current(&self, name: &str) -> Option<&Arc<WorkflowDef>> {
        self.current.get(name)
    }

    /// A definition by reference.
    pub fn get(&self, r: &WorkflowRef) -> Option<&Arc<WorkflowDef>> {
        self.all.get(&(r.name.clone(), r.version))
    }

    /// Every definition, oldest version first.
    pub fn all(&self) -> impl Iterator<Item = &Arc<WorkflowDef>> {
        self.all.values()
    }

    /// The current definitions.
    pub fn currents(&self) -> impl Iterator<Item = &Arc<WorkflowDef>> {
        self.current.values()
    }

    /// The source text of a definition.
    pub fn source(&self, r: &WorkflowRef) -> Option<&str> {
        self.sources
            .get(&(r.name.clone(), r.version))
            .map(String::as_str)
    }

    /// Checks that every (name, version, hash) instances are pinned to is loaded with that very content.
    pub fn check_pins(&self, pins: &[(String, u32, String)]) -> Result<(), Error> {
        let mut problems = Vec::new();
        for (name, version, hash) in pins {
            match self.all.get(&(name.clone(), *version)) {
                None => problems.push(format!(
                    "instances are pinned to {name}@v{version}, which is not loaded (keep its file, or load it from the store)"
                )),
                Some(def) if def.hash() != hash => problems.push(format!(
                    "{name}@v{version} changed since instances were created with it (sha256 {} now, {} then): give the new text a new version",
                    &def.hash()[..12],
                    &hash[..hash.len().min(12)]
                )),
                Some(_) => {}
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Definitions(problems.join("; ")))
        }
    }
}
