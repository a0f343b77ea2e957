//! The statements of a list, written once for both backends: only the placeholder syntax differs (`?N` on
//! SQLite, `$N` on PostgreSQL), and both compare text byte for byte (SQLite's `BINARY`, PostgreSQL's
//! `COLLATE "C"` columns), which for UTF-8 is code point order. Values are bound in placeholder order from
//! [`Statement::args`]; nothing from the query is ever spliced into the text.
//!
//! How each filter finds its rows:
//! - the first label drives the scan through `instance_labels`' primary key (label, created_at, uid), the others
//!   are `EXISTS` probes of its uid index;
//! - a word is a range scan of `instance_terms`' primary key (term, uid): `term >= word AND term < end`, where
//!   `end` is the word with its last character incremented ([`prefix_end`]), so exactly the terms the word is a
//!   prefix of fall in the range;
//! - keyset pagination compares (sort key, uid) with the cursor's; titles sort with the absent ones last, in
//!   both directions.

use super::{InstanceSummary, ListQuery, ListSort};
use crate::Error;
use crate::cursor::{self, Key, MAX_PAGE, Position};
use crate::model::{Page, SyncStatus};
use std::collections::BTreeMap;

/// A value bound to a list statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Arg {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
    /// A time in microseconds (SQLite stores these; PostgreSQL binds them as `timestamptz`).
    Time(i64),
}

/// Which placeholder syntax a statement uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A statement and the values of its placeholders, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Statement {
    pub text: String,
    pub args: Vec<Arg>,
}

/// Writes a statement, numbering placeholders as values are bound.
struct Writer {
    statement: Statement,
    dialect: Dialect,
}

impl Writer {
    fn new(dialect: Dialect) -> Self {
        let statement = Statement {
            text: String::new(),
            args: Vec::new(),
        };
        Self { statement, dialect }
    }

    fn push(&mut self, text: &str) {
        self.statement.text.push_str(text);
    }

    /// Binds `arg` and returns its placeholder.
    fn bind(&mut self, arg: Arg) -> String {
        self.statement.args.push(arg);
        let n = self.statement.args.len();
        match self.dialect {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }
}

/// The columns of a list row, as each backend reads them.
const SUMMARY_COLUMNS: &str = "i.uid, i.workflow, i.version, i.state, i.revision, i.sync_status, \
     i.created_at, i.updated_at, i.title";

/// The least string greater than every string that starts with `word`, in code point order: `word` with its
/// last character incremented (past the surrogate gap), dropping trailing U+10FFFF. `None` when there is none
/// (`word` is empty or all U+10FFFF): then every string from `word` up starts with it.
pub(crate) fn prefix_end(word: &str) -> Option<String> {
    let mut chars: Vec<char> = word.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = next_char(last) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The character after `c` in code point order, skipping the surrogates (which no string holds).
fn next_char(c: char) -> Option<char> {
    let n = u32::from(c) + 1;
    char::from_u32(n).or_else(|| (n == 0xD800).then_some('\u{E000}'))
}

/// One list request: its query, the position its cursor names and its page size.
pub(crate) struct Listing<'q> {
    query: &'q ListQuery,
    after: Option<Position>,
    limit: u32,
}

impl<'q> Listing<'q> {
    /// Reads `query`'s cursor (which must belong to its sort and direction) and page size.
    pub(crate) fn new(query: &'q ListQuery) -> Result<Self, Error> {
        let after = query
            .cursor
            .as_deref()
            .map(|c| cursor::decode(c, query.sort, query.descending))
            .transpose()?;
        Ok(Self {
            query,
            after,
            limit: query.limit.clamp(1, MAX_PAGE),
        })
    }

    /// The page's rows, one more than the page size (whether another page follows).
    pub(crate) fn page(&self, dialect: Dialect) -> Statement {
        let mut w = Writer::new(dialect);
        w.push(&format!("SELECT {SUMMARY_COLUMNS}"));
        let order = Order::of(self.query);
        filters(&mut w, self.query);
        if let Some(after) = &self.after {
            keyset(&mut w, &order, after);
        }
        w.push(&order.order_by());
        let limit = w.bind(Arg::Int(i64::from(self.limit) + 1));
        w.push(&format!(" LIMIT {limit}"));
        w.statement
    }

    /// The page of `rows` (as [`Listing::page`] read them), each with its labels from `labels` (uid, label).
    pub(crate) fn finish(
        &self,
        mut rows: Vec<InstanceSummary>,
        labels: Vec<(String, String)>,
    ) -> Page<InstanceSummary> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let mut by_uid: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (uid, label) in labels {
            by_uid.entry(uid).or_default().push(label);
        }
        for row in &mut rows {
            let mut labels = by_uid.remove(row.uid.as_str()).unwrap_or_default();
            labels.sort();
            row.labels = labels;
        }
        let next_cursor = rows.last().filter(|_| more).map(|last| {
            cursor::encode(
                self.query.sort,
                self.query.descending,
                &Position::after(self.query.sort, last),
            )
        });
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// How many rows `query`'s filters match (its cursor and page size do not count).
pub(crate) fn count(query: &ListQuery, dialect: Dialect) -> Statement {
    let mut w = Writer::new(dialect);
    w.push("SELECT count(*) AS n");
    filters(&mut w, query);
    w.statement
}

/// The labels of the instances `uids` (a page's), as (uid, label) rows.
pub(crate) fn labels_of(uids: &[&str], dialect: Dialect) -> Statement {
    let mut w = Writer::new(dialect);
    let params: Vec<String> = uids
        .iter()
        .map(|u| w.bind(Arg::Text((*u).to_owned())))
        .collect();
    w.push(&format!(
        "SELECT uid, label FROM instance_labels WHERE uid IN ({})",
        params.join(", ")
    ));
    w.statement
}

/// ` FROM ... WHERE ...`: every filter of `q`.
fn filters(w: &mut Writer, q: &ListQuery) {
    match q.labels.first() {
        Some(first) => {
            let p = w.bind(Arg::Text(first.clone()));
            w.push(&format!(
                " FROM instance_labels l JOIN instances i ON i.uid = l.uid WHERE l.label = {p}"
            ));
        }
        None => w.push(" FROM instances i WHERE true"),
    }
    for label in q.labels.iter().skip(1) {
        let p = w.bind(Arg::Text(label.clone()));
        w.push(&format!(
            " AND EXISTS (SELECT 1 FROM instance_labels m WHERE m.uid = i.uid AND m.label = {p})"
        ));
    }
    if let Some(state) = &q.state {
        let p = w.bind(Arg::Text(state.clone()));
        w.push(&format!(" AND i.state = {p}"));
    }
    w.push(match q.sync {
        None => "",
        Some(SyncStatus::Pending) => " AND i.steps_pending > 0",
        Some(SyncStatus::Failed) => " AND i.steps_failed > 0",
        Some(SyncStatus::AwaitingSync) => " AND i.awaiting IS NOT NULL",
        Some(SyncStatus::Synced) => " AND i.steps_pending = 0 AND i.steps_failed = 0",
    });
    for word in q.words.iter().filter(|w| !w.is_empty()) {
        word_filter(w, word, q.personal_terms);
    }
}

/// The instance has a term `word` is a prefix of (a personal one only if `personal` allows).
fn word_filter(w: &mut Writer, word: &str, personal: bool) {
    let from = w.bind(Arg::Text(word.to_owned()));
    w.push(&format!(
        " AND i.uid IN (SELECT t.uid FROM instance_terms t WHERE t.term >= {from}"
    ));
    if let Some(end) = prefix_end(word) {
        let to = w.bind(Arg::Text(end));
        w.push(&format!(" AND t.term < {to}"));
    }
    if !personal {
        w.push(" AND NOT t.personal");
    }
    w.push(")");
}

/// The columns a list is ordered by and the direction.
struct Order {
    sort: ListSort,
    /// The sort key's column (`None` for reference order: the uid alone).
    key: Option<&'static str>,
    uid: &'static str,
    descending: bool,
}

impl Order {
    fn of(q: &ListQuery) -> Self {
        // Through a label, creation order reads the label's own (created_at, uid) index.
        let joined = !q.labels.is_empty();
        let uid = if joined { "l.uid" } else { "i.uid" };
        let key = match q.sort {
            ListSort::Created if joined => Some("l.created_at"),
            ListSort::Created => Some("i.created_at"),
            ListSort::Updated => Some("i.updated_at"),
            ListSort::Reference => None,
            ListSort::Title => Some("i.title"),
        };
        Self {
            sort: q.sort,
            key,
            uid,
            descending: q.descending,
        }
    }

    fn comparison(&self) -> &'static str {
        if self.descending { "<" } else { ">" }
    }

    fn order_by(&self) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        let uid = self.uid;
        match (self.sort, self.key) {
            (ListSort::Title, Some(key)) => {
                format!(" ORDER BY {key} {dir} NULLS LAST, {uid} {dir}")
            }
            (_, Some(key)) => format!(" ORDER BY {key} {dir}, {uid} {dir}"),
            (_, None) => format!(" ORDER BY {uid} {dir}"),
        }
    }
}

/// ` AND ...`: only rows after `after` in `order`.
fn keyset(w: &mut Writer, order: &Order, after: &Position) {
    let (op, uid) = (order.comparison(), order.uid);
    let condition = match (&after.key, order.key) {
        (Key::Time(micros), Some(key)) => {
            let k = w.bind(Arg::Time(*micros));
            let u = w.bind(Arg::Text(after.uid.clone()));
            format!("({key}, {uid}) {op} ({k}, {u})")
        }
        (Key::Titled, Some(key)) => {
            let of = w.bind(Arg::Text(after.uid.clone()));
            let k = format!("(SELECT c.title FROM instances c WHERE c.uid = {of})");
            let u = w.bind(Arg::Text(after.uid.clone()));
            format!("(({key} IS NOT NULL AND ({key}, {uid}) {op} ({k}, {u})) OR {key} IS NULL)")
        }
        (Key::Untitled, Some(key)) => {
            let u = w.bind(Arg::Text(after.uid.clone()));
            format!("({key} IS NULL AND {uid} {op} {u})")
        }
        (Key::Uid, _) | (_, None) => {
            let u = w.bind(Arg::Text(after.uid.clone()));
            format!("{uid} {op} {u}")
        }
    };
    w.push(&format!(" AND {condition}"));
}
