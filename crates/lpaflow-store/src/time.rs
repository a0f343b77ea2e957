//! Time as stored: SQLite keeps INTEGER microseconds since the epoch, PostgreSQL `timestamptz` (also
//! microseconds), so a time read back always equals the time written.

use chrono::{DateTime, Utc};

/// Microseconds since the Unix epoch.
pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The time `micros` microseconds after the Unix epoch (saturating at the representable range).
pub fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(if micros < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}
