//! List cursors: where a page ended, as the last row's sort key and uid, so the next page starts right after it
//! while rows change (keyset pagination). A cursor names the order it belongs to, `{sort}.{asc|desc}.{key}.{uid}`,
//! and is refused by a list in any other order: its key would mean nothing there. A title never travels: it is
//! personal data (an LPA's donor's name) and a cursor lands in URLs and request logs. The cursor says only that
//! the row had one (`t`; `~` for none) and the list reads that row's title again by its uid; if it changed
//! between two pages, the next page starts where the new title sorts.

use crate::Error;
use crate::list::{InstanceSummary, ListSort};
use crate::time::to_micros;

/// The largest page a list returns.
pub const MAX_PAGE: u32 = 500;

/// The sort key of a row, in the form the list's statement compares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    /// A time in microseconds (created, updated).
    Time(i64),
    /// Nothing beyond the uid (reference order).
    Uid,
    /// The row's title, read again by its uid.
    Titled,
    /// The row had no title.
    Untitled,
}

/// The position after a row: its key and its uid (the tie-breaker).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Position {
    pub key: Key,
    pub uid: String,
}

impl Position {
    /// The position after `row` in a list ordered by `sort`.
    pub(crate) fn after(sort: ListSort, row: &InstanceSummary) -> Self {
        let key = match sort {
            ListSort::Created => Key::Time(to_micros(row.created_at)),
            ListSort::Updated => Key::Time(to_micros(row.updated_at)),
            ListSort::Reference => Key::Uid,
            ListSort::Title if row.title.is_some() => Key::Titled,
            ListSort::Title => Key::Untitled,
        };
        Self {
            key,
            uid: row.uid.to_string(),
        }
    }
}

const NO_TITLE: &str = "~";
const TITLED: &str = "t";

fn direction(descending: bool) -> &'static str {
    if descending { "desc" } else { "asc" }
}

/// Encodes `position` for a list ordered by `sort` in the given direction.
pub(crate) fn encode(sort: ListSort, descending: bool, position: &Position) -> String {
    let key = match &position.key {
        Key::Time(micros) => micros.to_string(),
        Key::Uid => String::new(),
        Key::Untitled => NO_TITLE.to_owned(),
        Key::Titled => TITLED.to_owned(),
    };
    let sort: &str = sort.into();
    format!("{sort}.{}.{key}.{}", direction(descending), position.uid)
}

/// Decodes a cursor made by [`encode`] for the same order; anything else is [`Error::BadCursor`].
pub(crate) fn decode(cursor: &str, sort: ListSort, descending: bool) -> Result<Position, Error> {
    let bad = || Error::BadCursor(cursor.to_owned());
    let mut parts = cursor.splitn(4, '.');
    let (Some(tag), Some(dir), Some(key), Some(uid)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let sort_name: &str = sort.into();
    if tag != sort_name
        || dir != direction(descending)
        || lpaflow_core::names::name_problem(uid).is_some()
    {
        return Err(bad());
    }
    let key = match sort {
        ListSort::Created | ListSort::Updated => Key::Time(key.parse().map_err(|_| bad())?),
        ListSort::Reference if key.is_empty() => Key::Uid,
        ListSort::Reference => return Err(bad()),
        ListSort::Title if key == NO_TITLE => Key::Untitled,
        ListSort::Title if key == TITLED => Key::Titled,
        ListSort::Title => return Err(bad()),
    };
    Ok(Position {
        key,
        uid: uid.to_owned(),
    })
}
