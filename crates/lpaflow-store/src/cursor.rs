//! List cursors: the (created_at, uid) of the last row of a page, so pages are stable while rows change.

use crate::Error;

/// Encodes the position after a row.
pub(crate) fn encode(created_at_micros: i64, uid: &str) -> String {
    format!("{created_at_micros}.{uid}")
}

/// Decodes a cursor made by [`encode`].
pub(crate) fn decode(cursor: &str) -> Result<(i64, String), Error> {
    let (micros, uid) = cursor
        .split_once('.')
        .ok_or_else(|| Error::BadCursor(cursor.to_owned()))?;
    let micros: i64 = micros
        .parse()
        .map_err(|_| Error::BadCursor(cursor.to_owned()))?;
    if uid.is_empty() || lpaflow_core::names::name_problem(uid).is_some() {
        return Err(Error::BadCursor(cursor.to_owned()));
    }
    Ok((micros, uid.to_owned()))
}

/// The largest page a list returns.
pub const MAX_PAGE: u32 = 500;
