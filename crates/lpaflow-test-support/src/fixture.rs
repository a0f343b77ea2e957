//! A small generic workflow (a document that is drafted, reviewed and approved or expires) and helpers that
//! turn interpreter decisions into store commits, so store and engine tests need no LPA rules.

use chrono::{DateTime, Utc};
use lpaflow_core::{Catalog, Command, InstanceId, PlainRules, WorkflowDef};
use serde_json::{Value, json};

/// The fixture workflow's text.
pub const DOCUMENT_WORKFLOW: &str = r#"
name = "document"
version = 1
initial = "draft"

[states.draft]
[states.review]
timers = [{ name = "review_deadline", after = "1h", event = "expire" }]
[states.publishing]
[states.published]
terminal = true
[states.expired]
terminal = true

[create]
roles = ["author"]
action = "merge"
steps = ["ext.create"]

[[transitions]]
event = "edit"
from = ["draft", "review"]
stay = true
roles = ["author"]
action = "merge"
steps = ["ext.update"]

[[transitions]]
event = "submit"
from = "draft"
to = "review"
roles = ["author"]
steps = ["ext.update", "ext.notify"]

[[transitions]]
event = "approve"
from = "review"
to = "publishing"
roles = ["editor"]
steps = [{ name = "ext.publish", delivery = "blocking", then = "published" }]

[[transitions]]
event = "published"
from = "publishing"
to = "published"
roles = ["system"]

[[transitions]]
event = "expire"
from = "review"
to = "expired"
roles = ["system"]
"#;

/// The catalog the fixture needs.
pub fn catalog() -> Catalog {
    Catalog::new(
        &["author", "editor"],
        &[],
        &["merge"],
        &["ext.create", "ext.update", "ext.notify", "ext.publish"],
    )
}

/// The fixture definition and its rules (guards pass; `merge` merges the payload into the data).
pub fn document() -> (WorkflowDef, PlainRules) {
    let def = lpaflow_spec::load("document.toml", DOCUMENT_WORKFLOW, &catalog())
        .expect("the fixture is valid");
    (def, PlainRules::new(catalog()))
}

/// The fixture workflow under another name, for tests that need instances of two workflows.
pub fn document_named(name: &str) -> (WorkflowDef, PlainRules) {
    let text = DOCUMENT_WORKFLOW.replacen("name = \"document\"", &format!("name = {name:?}"), 1);
    let def = lpaflow_spec::load(&format!("{name}.toml"), &text, &catalog())
        .expect("the renamed fixture is valid");
    (def, PlainRules::new(catalog()))
}

/// A creation command with `data`.
pub fn create_command(data: Value) -> Command {
    Command::new("create", "author-1", "author").with_payload(data)
}

/// A payload of about `bytes` bytes.
pub fn payload_of(bytes: usize) -> Value {
    json!({ "title": "A document", "body": "x".repeat(bytes.saturating_sub(40)) })
}

/// A fixed instant for tests.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
        .expect("valid")
        .to_utc()
}

/// A uid in the LPA form, unique per `n`.
pub fn uid(n: u64) -> InstanceId {
    let digits = format!("{n:012}");
    InstanceId::new(format!(
        "M-{}-{}-{}",
        &digits[0..4],
        &digits[4..8],
        &digits[8..12]
    ))
}
