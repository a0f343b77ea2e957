//! Reads TOML text into a core [`Draft`], keeping the line and column of every value and reporting every
//! structural problem (wrong type, unknown key) without stopping at the first.

use lpaflow_core::draft::{
    At, CreateDraft, Draft, Location, Problem, StateDraft, StepDraft, TimerDraft, TransitionDraft,
};
use std::ops::Range;
use toml_edit::{ImDocument, Item, TableLike, Value};

const ROOT_KEYS: &[&str] = &[
    "name",
    "version",
    "description",
    "initial",
    "states",
    "create",
    "transitions",
];
const STATE_KEYS: &[&str] = &["terminal", "timers", "description"];
const TIMER_KEYS: &[&str] = &["name", "after", "at", "event"];
const CREATE_KEYS: &[&str] = &["roles", "action", "steps"];
const TRANSITION_KEYS: &[&str] = &[
    "event",
    "from",
    "to",
    "stay",
    "roles",
    "guard",
    "action",
    "steps",
    "automatic",
    "while_awaiting_sync",
    "description",
];
const STEP_KEYS: &[&str] = &["name", "delivery", "then"];

/// Reads `text` into a draft plus the structural problems found. A TOML syntax error is the only problem that
/// stops reading (nothing after it can be trusted).
pub fn read_draft(text: &str, source_hash: String) -> (Draft, Vec<Problem>) {
    let lines = LineIndex::new(text);
    let mut reader = Reader {
        lines,
        problems: Vec::new(),
        draft: Draft {
            source_hash,
            ..Draft::default()
        },
    };
    match ImDocument::parse(text) {
        Ok(doc) => reader.root(doc.as_table()),
        Err(e) => {
            let at = e
                .span()
                .map(|s| reader.lines.location("", &s))
                .unwrap_or_default();
            let message = e.message().trim().to_owned();
            reader
                .problems
                .push(Problem::new(&at, format!("not valid TOML: {message}")));
            reader.draft.reported.insert(String::new());
        }
    }
    (reader.draft, reader.problems)
}

/// Byte offsets to 1-based line and column numbers.
struct LineIndex {
    starts: Vec<usize>,
    text: String,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            starts,
            text: text.to_owned(),
        }
    }

    fn location(&self, key: &str, span: &Range<usize>) -> Location {
        let line = self.starts.partition_point(|s| *s <= span.start);
        let line_start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = self
            .text
            .get(line_start..span.start)
            .map(|s| s.chars().count() + 1)
            .unwrap_or(1);
        Location {
            key: key.to_owned(),
            line: line as u32,
            column: column as u32,
        }
    }
}

struct Reader {
    lines: LineIndex,
    problems: Vec<Problem>,
    draft: Draft,
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

impl Reader {
    fn at_item(&self, key: &str, item: &Item, fallback: &Location) -> Location {
        match item.span() {
            Some(span) => self.lines.location(key, &span),
            None => Location {
                key: key.to_owned(),
                ..fallback.clone()
            },
        }
    }

    fn at_value(&self, key: &str, value: &Value, fallback: &Location) -> Location {
        match value.span() {
            Some(span) => self.lines.location(key, &span),
            None => Location {
                key: key.to_owned(),
                ..fallback.clone()
            },
        }
    }

    fn at_key(
        &self,
        table: &dyn TableLike,
        key: &str,
        path: &str,
        fallback: &Location,
    ) -> Location {
        match table.key(key).and_then(|k| k.span()) {
            Some(span) => self.lines.location(path, &span),
            None => Location {
                key: path.to_owned(),
                ..fallback.clone()
            },
        }
    }

    fn wrong_type(&mut self, at: Location, expected: &str, item_type: &str) {
        self.draft.reported.insert(at.key.clone());
        self.problems.push(Problem::new(
            &at,
            format!("expected {expected}, found {item_type}"),
        ));
    }

    fn unknown_keys(&mut self, table: &dyn TableLike, path: &str, known: &[&str], at: &Location) {
        for (key, _) in table.iter() {
            if !known.contains(&key) {
                let key_at = self.at_key(table, key, &join(path, key), at);
                self.problems.push(Problem::new(
                    &key_at,
                    format!("unknown key `{key}`; expected one of: {}", known.join(", ")),
                ));
            }
        }
    }

    fn string(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        path: &str,
        at: &Location,
    ) -> Option<At<String>> {
        let item = table.get(key)?;
        let key_path = join(path, key);
        let item_at = self.at_item(&key_path, item, at);
        match item.as_str() {
            Some(s) => Some(At::new(s.to_owned(), item_at)),
            None => {
                self.wrong_type(item_at, "a string", item.type_name());
                None
            }
        }
    }

    fn bool(&mut self, table: &dyn TableLike, key: &str, path: &str, at: &Location) -> bool {
        let Some(item) = table.get(key) else {
            return false;
        };
        match item.as_bool() {
            Some(b) => b,
            None => {
                let item_at = self.at_item(&join(path, key), item, at);
                self.wrong_type(item_at, "true or false", item.type_name());
                false
            }
        }
    }

    /// A string or a list of strings (`from = "a"` or `from = ["a", "b"]`).
    fn strings(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        path: &str,
        at: &Location,
    ) -> Vec<At<String>> {
        let Some(item) = table.get(key) else {
            return Vec::new();
        };
        let key_path = join(path, key);
        let item_at = self.at_item(&key_path, item, at);
        if let Some(s) = item.as_str() {
            return vec![At::new(s.to_owned(), item_at)];
        }
        let Some(array) = item.as_array() else {
            self.wrong_type(item_at, "a string or a list of strings", item.type_name());
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, v) in array.iter().enumerate() {
            let v_at = self.at_value(&format!("{key_path}[{i}]"), v, &item_at);
            match v.as_str() {
                Some(s) => out.push(At::new(s.to_owned(), v_at)),
                None => self.wrong_type(v_at, "a string", v.type_name()),
            }
        }
        out
    }

    /// The entries of an array of tables, written either as `[[key]]` or as a list of inline tables.
    fn tables<'i>(
        &mut self,
        item: &'i Item,
        path: &str,
        at: &Location,
    ) -> Vec<(Location, TableEntry<'i>)> {
        let item_at = self.at_item(path, item, at);
        if let Some(aot) = item.as_array_of_tables() {
            return aot
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let key = format!("{path}[{i}]");
                    let t_at = t
                        .span()
                        .map(|s| self.lines.location(&key, &s))
                        .unwrap_or_else(|| Location::key(&key));
                    (t_at, TableEntry::Table(t as &dyn TableLike))
                })
                .collect();
        }
        let Some(array) = item.as_array() else {
            self.wrong_type(item_at, "a list of tables", item.type_name());
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, v) in array.iter().enumerate() {
            let key = format!("{path}[{i}]");
            let v_at = self.at_value(&key, v, &item_at);
            match v {
                Value::InlineTable(t) => out.push((v_at, TableEntry::Table(t as &dyn TableLike))),
                Value::String(s) => out.push((v_at, TableEntry::Name(s.value().clone()))),
                other => self.wrong_type(v_at, "a table", other.type_name()),
            }
        }
        out
    }

    fn root(&mut self, root: &toml_edit::Table) {
        let at = Location::default();
        self.draft.root = at.clone();
        self.unknown_keys(root, "", ROOT_KEYS, &at);
        self.draft.name = self.string(root, "name", "", &at);
        self.draft.description = self.string(root, "description", "", &at).map(|d| d.value);
        self.draft.initial = self.string(root, "initial", "", &at);
        if let Some(item) = root.get("version") {
            let v_at = self.at_item("version", item, &at);
            match item.as_integer() {
                Some(v) => self.draft.version = Some(At::new(v, v_at)),
                None => self.wrong_type(v_at, "a whole number", item.type_name()),
            }
        }
        if let Some(item) = root.get("states") {
            self.states(item, &at);
        }
        if let Some(item) = root.get("create") {
            self.create(item, &at);
        }
        if let Some(item) = root.get("transitions") {
            for (t_at, entry) in self.tables(item, "transitions", &at) {
                match entry {
                    TableEntry::Table(t) => {
                        let transition = self.transition(t, &t_at);
                        self.draft.transitions.push(transition);
                    }
                    TableEntry::Name(_) => self.wrong_type(t_at, "a table", "string"),
                }
            }
        }
    }

    fn states(&mut self, item: &Item, at: &Location) {
        let item_at = self.at_item("states", item, at);
        let Some(table) = item.as_table_like() else {
            self.wrong_type(item_at, "a table of states", item.type_name());
            return;
        };
        for (name, state_item) in table.iter() {
            let path = join("states", name);
            let name_at = self.at_key(table, name, &path, &item_at);
            let Some(state) = state_item.as_table_like() else {
                self.wrong_type(name_at, "a table", state_item.type_name());
                continue;
            };
            self.unknown_keys(state, &path, STATE_KEYS, &name_at);
            let terminal = self.bool(state, "terminal", &path, &name_at);
            let description = self
                .string(state, "description", &path, &name_at)
                .map(|d| d.value);
            let timers = match state.get("timers") {
                None => Vec::new(),
                Some(timers_item) => self.timers(timers_item, &join(&path, "timers"), &name_at),
            };
            self.draft.states.push(StateDraft {
                name: At::new(name.to_owned(), name_at),
                terminal,
                timers,
                description,
            });
        }
    }

    fn timers(&mut self, item: &Item, path: &str, at: &Location) -> Vec<TimerDraft> {
        let mut out = Vec::new();
        for (t_at, entry) in self.tables(item, path, at) {
            let TableEntry::Table(t) = entry else {
                self.wrong_type(
                    t_at,
                    "a table such as { name = \"...\", after = \"28d\", event = \"...\" }",
                    "string",
                );
                continue;
            };
            self.unknown_keys(t, &t_at.key.clone(), TIMER_KEYS, &t_at);
            let key = t_at.key.clone();
            out.push(TimerDraft {
                name: self.string(t, "name", &key, &t_at),
                after: self.string(t, "after", &key, &t_at),
                fires_at: self.string(t, "at", &key, &t_at),
                event: self.string(t, "event", &key, &t_at),
                at: t_at,
            });
        }
        out
    }

    fn steps(&mut self, table: &dyn TableLike, path: &str, at: &Location) -> Vec<StepDraft> {
        let Some(item) = table.get("steps") else {
            return Vec::new();
        };
        let steps_path = join(path, "steps");
        let mut out = Vec::new();
        for (s_at, entry) in self.tables(item, &steps_path, at) {
            match entry {
                TableEntry::Name(name) => out.push(StepDraft {
                    name: Some(At::new(name, s_at.clone())),
                    at: s_at,
                    ..StepDraft::default()
                }),
                TableEntry::Table(t) => {
                    let key = s_at.key.clone();
                    self.unknown_keys(t, &key, STEP_KEYS, &s_at);
                    out.push(StepDraft {
                        name: self.string(t, "name", &key, &s_at),
                        delivery: self.string(t, "delivery", &key, &s_at),
                        then: self.string(t, "then", &key, &s_at),
                        at: s_at,
                    });
                }
            }
        }
        out
    }

    fn create(&mut self, item: &Item, at: &Location) {
        let create_at = self.at_item("create", item, at);
        let Some(table) = item.as_table_like() else {
            self.wrong_type(create_at, "a table", item.type_name());
            return;
        };
        self.unknown_keys(table, "create", CREATE_KEYS, &create_at);
        self.draft.create = Some(CreateDraft {
            roles: self.strings(table, "roles", "create", &create_at),
            action: self.string(table, "action", "create", &create_at),
            steps: self.steps(table, "create", &create_at),
            at: create_at,
        });
    }

    fn transition(&mut self, t: &dyn TableLike, at: &Location) -> TransitionDraft {
        let path = at.key.clone();
        self.unknown_keys(t, &path, TRANSITION_KEYS, at);
        TransitionDraft {
            event: self.string(t, "event", &path, at),
            from: self.strings(t, "from", &path, at),
            to: self.string(t, "to", &path, at),
            stay: self.bool(t, "stay", &path, at),
            roles: self.strings(t, "roles", &path, at),
            guards: self.strings(t, "guard", &path, at),
            action: self.string(t, "action", &path, at),
            steps: self.steps(t, &path, at),
            automatic: self.bool(t, "automatic", &path, at),
            while_awaiting_sync: self.bool(t, "while_awaiting_sync", &path, at),
            description: self.string(t, "description", &path, at).map(|d| d.value),
            at: at.clone(),
        }
    }
}

enum TableEntry<'i> {
    Table(&'i dyn TableLike),
    Name(String),
}
