//! lpaflow-spec: the `workflows/*.toml` file format (documented in `docs/workflow-format.md`).
//!
//! [`load`] reads the text of one file and returns a validated [`WorkflowDef`] or a [`LoadError`] listing every
//! problem, each with the file, line, column, key and a plain sentence. Structural problems (wrong types,
//! unknown keys) and semantic ones (from [`lpaflow_core::validate`]) are reported together, in line order.
//! This crate reads no files itself: the caller passes the text and a name to report it under.

mod reader;

use lpaflow_core::{Catalog, Problem, WorkflowDef};
use sha2::{Digest, Sha256};
use std::fmt;

/// Every problem of one definition file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The name the file was loaded under (usually its path).
    pub source_name: String,
    /// Every problem, in line order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{}: {n} problem{}",
            self.source_name,
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "{}", located(&self.source_name, p))?;
        }
        Ok(())
    }
}

/// One problem as `file:line:column: key: message` (line and column omitted when unknown).
pub fn located(source_name: &str, p: &Problem) -> String {
    let mut out = source_name.to_owned();
    if p.at.line > 0 {
        out.push_str(&format!(":{}:{}", p.at.line, p.at.column));
    }
    out.push_str(": ");
    if !p.at.key.is_empty() {
        out.push_str(&format!("{}: ", p.at.key));
    }
    out.push_str(&p.message);
    out
}

/// Hex SHA-256 of a definition's text: its identity in the store.
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Parses and validates one definition.
pub fn load(source_name: &str, text: &str, catalog: &Catalog) -> Result<WorkflowDef, LoadError> {
    let (draft, mut problems) = reader::read_draft(text, content_hash(text));
    let syntax_failed = draft.reported.contains("");
    if !syntax_failed {
        match lpaflow_core::validate(&draft, catalog) {
            Ok(def) if problems.is_empty() => return Ok(def),
            Ok(_) => {}
            Err(semantic) => problems.extend(semantic),
        }
    }
    problems.sort_by_key(|p| (p.at.line, p.at.column));
    Err(LoadError {
        source_name: source_name.to_owned(),
        problems,
    })
}
