//! OpenAPI schemas of the read model's enumerated strings. The matches break the build when the store gains a
//! status, so the published enumeration cannot fall behind.

use lpaflow_store::{StepStatus, SyncStatus};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// A string schema with `values` as its enumeration.
pub fn text_enum(values: &[&str], description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .build()
}

/// A step's status (`StepView::status`).
pub fn step_status() -> Object {
    use StepStatus::*;
    let all: [StepStatus; 8] = [
        Blocked, Queued, Suspended, InFlight, Retrying, Done, Failed, Skipped,
    ];
    for s in all {
        match s {
            Blocked | Queued | Suspended | InFlight | Retrying | Done | Failed | Skipped => {}
        }
    }
    let names: Vec<&'static str> = all.into_iter().map(Into::into).collect();
    text_enum(&names, "The step's status")
}

/// An LPA's sync status (`SyncView::status`, the `sync` filter of the queues).
pub fn sync_status() -> Object {
    use SyncStatus::*;
    let all: [SyncStatus; 4] = [Synced, Pending, AwaitingSync, Failed];
    for s in all {
        match s {
            Synced | Pending | AwaitingSync | Failed => {}
        }
    }
    let names: Vec<&'static str> = all.into_iter().map(Into::into).collect();
    text_enum(&names, "Where the LPA stands with OPG")
}
