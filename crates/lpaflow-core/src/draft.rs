//! The unvalidated shape of a workflow definition, as read from a file, with the location of every value.
//!
//! A file format (see `lpaflow-spec`) fills a [`Draft`]; [`crate::validate`] turns it into a
//! [`crate::WorkflowDef`] or reports every problem at once. Core knows nothing about TOML: a [`Location`] is just
//! a key path plus the line and column the reader found it at.

use std::collections::BTreeSet;
use std::fmt;

/// Where a value sits in its source: a key path such as `transitions[3].from[1]` and, when known, its position.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// Key path from the document root.
    pub key: String,
    /// 1-based line, or 0 when unknown.
    pub line: u32,
    /// 1-based column, or 0 when unknown.
    pub column: u32,
}

impl Location {
    /// A location known only by its key path.
    pub fn key(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            line: 0,
            column: 0,
        }
    }

    /// The location of a child key (`self.key` + `.` + `child`).
    pub fn child(&self, child: &str) -> Self {
        let key = if self.key.is_empty() {
            child.to_owned()
        } else {
            format!("{}.{child}", self.key)
        };
        Self {
            key,
            line: self.line,
            column: self.column,
        }
    }
}

/// A value with the location it was read from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub at: Location,
}

impl<T> At<T> {
    /// Pairs a value with its location.
    pub fn new(value: T, at: Location) -> Self {
        Self { value, at }
    }
}

/// One problem found in a definition: where, and a plain sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is.
    pub at: Location,
    /// What is wrong, in plain words.
    pub message: String,
}

impl Problem {
    /// A problem at `at`.
    pub fn new(at: &Location, message: impl Into<String>) -> Self {
        Self {
            at: at.clone(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.line > 0 {
            write!(f, "line {}:{}: ", self.at.line, self.at.column)?;
        }
        if self.at.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.at.key, self.message)
        }
    }
}

/// The whole definition before validation. Optional fields are `None` when the source did not give them (or
/// gave something the reader could not read, in which case its key is in `reported`).
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// Hex SHA-256 of the source text.
    pub source_hash: String,
    /// Where the document root is (for problems about the whole file).
    pub root: Location,
    /// `name`.
    pub name: Option<At<String>>,
    /// `version`.
    pub version: Option<At<i64>>,
    /// `description`.
    pub description: Option<String>,
    /// `initial`.
    pub initial: Option<At<String>>,
    /// `[states.*]` in source order.
    pub states: Vec<StateDraft>,
    /// `[create]`, optional.
    pub create: Option<CreateDraft>,
    /// `[[transitions]]` in source order.
    pub transitions: Vec<TransitionDraft>,
    /// Key paths whose problem the reader has already reported (so validation does not report them again as
    /// missing).
    pub reported: BTreeSet<String>,
}

/// `[states.<name>]`.
#[derive(Clone, Debug, Default)]
pub struct StateDraft {
    /// The table's key.
    pub name: At<String>,
    /// `terminal = true`.
    pub terminal: bool,
    /// `timers = [...]`.
    pub timers: Vec<TimerDraft>,
    /// `description`.
    pub description: Option<String>,
}

/// One entry of a state's `timers`.
#[derive(Clone, Debug, Default)]
pub struct TimerDraft {
    /// Where the timer is.
    pub at: Location,
    /// `name`.
    pub name: Option<At<String>>,
    /// `after`, e.g. `28d`.
    pub after: Option<At<String>>,
    /// `at`: `"midnight"` for a timer that counts local days and fires at the midnight ending the last one.
    pub fires_at: Option<At<String>>,
    /// `event`.
    pub event: Option<At<String>>,
}

/// `[create]`.
#[derive(Clone, Debug, Default)]
pub struct CreateDraft {
    /// Where the table is.
    pub at: Location,
    /// `roles`.
    pub roles: Vec<At<String>>,
    /// `action`.
    pub action: Option<At<String>>,
    /// `steps`.
    pub steps: Vec<StepDraft>,
}

/// One `[[transitions]]` entry.
#[derive(Clone, Debug, Default)]
pub struct TransitionDraft {
    /// Where the entry is.
    pub at: Location,
    /// `event`.
    pub event: Option<At<String>>,
    /// `from` (a string or a list).
    pub from: Vec<At<String>>,
    /// `to`.
    pub to: Option<At<String>>,
    /// `stay = true`: the instance keeps its state.
    pub stay: bool,
    /// `roles`.
    pub roles: Vec<At<String>>,
    /// `guard` (a string or a list).
    pub guards: Vec<At<String>>,
    /// `action`.
    pub action: Option<At<String>>,
    /// `steps`.
    pub steps: Vec<StepDraft>,
    /// `automatic = true`.
    pub automatic: bool,
    /// `while_awaiting_sync = true`.
    pub while_awaiting_sync: bool,
    /// `description`.
    pub description: Option<String>,
}

/// One entry of `steps`.
#[derive(Clone, Debug, Default)]
pub struct StepDraft {
    /// Where the step is.
    pub at: Location,
    /// `name`.
    pub name: Option<At<String>>,
    /// `delivery`: `background` (default) or `blocking`.
    pub delivery: Option<At<String>>,
    /// `then`: the event fired on confirmation of a blocking step.
    pub then: Option<At<String>>,
}
