//! List cursors: where a page ended, as the last row's sort key and uid, so the next page starts right after it
//! while rows change (keyset pagination). A cursor names the order it belongs to, `{sort}.{asc|desc}.{key}.{uid}`,
//! and is refused by a list in any other order: its key would mean nothing there. A title travels as hex (it
//! may hold any character, a `.` included); `~` stands for no title.

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
    /// The title, or none.
    Title(Option<String>),
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
            ListSort::Title => Key::Title(row.title.clone()),
        };
        Self {
            key,
            uid: row.uid.to_string(),
        }
    }
}

const NO_TITLE: &str = "~";

fn direction(descending: bool) -> &'static str {
    if descending { "desc" } else { "asc" }
}

/// Encodes `position` for a list ordered by `sort` in the given direction.
pub(crate) fn encode(sort: ListSort, descending: bool, position: &Position) -> String {
    let key = match &position.key {
        Key::Time(micros) => micros.to_string(),
        Key::Uid => String::new(),
        Key::Title(None) => NO_TITLE.to_owned(),
        Key::Title(Some(title)) => hex::encode(title),
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
        ListSort::Title if key == NO_TITLE => Key::Title(None),
        ListSort::Title => {
            let bytes = hex::decode(key).map_err(|_| bad())?;
            Key::Title(Some(String::from_utf8(bytes).map_err(|_| bad())?))
        }
    };
    Ok(Position {
        key,
        uid: uid.to_owned(),
    })
}
