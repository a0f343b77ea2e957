//! What the CLI gives the application layer: the workflow definitions read from a directory (or the built-in
//! one) and the OPG secret from the environment. The wiring itself is `lpaflow_app::wiring`.

use anyhow::Context as _;
use lpaflow_app::WorkflowSource;
use lpaflow_opg::DEV_JWT_SECRET;
use std::path::Path;

pub use lpaflow_app::{LpaEngine, OpgDelivery};

/// The LPA workflow compiled into the binary, used when no `workflows/` directory is given or found.
pub const BUILTIN_LPA_WORKFLOW: &str = include_str!("../../../workflows/lpa.toml");

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

/// Reads every `*.toml` in `dir`, in name order.
pub fn read_workflow_dir(dir: &Path) -> anyhow::Result<Vec<WorkflowSource>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the workflows directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("{} holds no workflow definitions (*.toml)", dir.display());
    }
    files
        .into_iter()
        .map(|f| {
            Ok(WorkflowSource {
                origin: f.display().to_string(),
                text: std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {}", f.display()))?,
            })
        })
        .collect()
}

/// The definitions in `dir` when given; else `./workflows` when it exists; else the built-in LPA workflow.
pub fn workflow_sources(dir: Option<&Path>) -> anyhow::Result<Vec<WorkflowSource>> {
    if let Some(dir) = dir {
        return read_workflow_dir(dir);
    }
    let default = Path::new("workflows");
    if default.is_dir() {
        return read_workflow_dir(default);
    }
    tracing::info!("no ./workflows directory: using the built-in lpa.toml");
    Ok(vec![WorkflowSource {
        origin: "lpa.toml (built-in)".to_owned(),
        text: BUILTIN_LPA_WORKFLOW.to_owned(),
    }])
}
