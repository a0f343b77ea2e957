//! Reads workflow definition files from disk and validates them against the LPA rules' catalog.

use anyhow::Context as _;
use lpaflow_core::{Catalog, WorkflowDef};
use std::path::Path;

/// The catalog every definition is checked against: what the product's rules implement.
pub fn product_catalog() -> Catalog {
    lpaflow_lpa::catalog()
}

/// Reads and validates one file. `Ok(Err(..))` carries every problem of a readable file.
pub fn load_file(
    path: &Path,
    catalog: &Catalog,
) -> anyhow::Result<Result<WorkflowDef, lpaflow_spec::LoadError>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(lpaflow_spec::load(
        &path.display().to_string(),
        &text,
        catalog,
    ))
}
