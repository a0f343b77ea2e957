//! Steps delivered by this process per minute over the last hour, kept in memory whether or not anyone is
//! looking (the operations page shows the rate and the drain after an outage).

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Minutes kept.
pub const MINUTES: usize = 60;

/// Counts by minute, in a ring indexed by the minute since the epoch.
#[derive(Clone, Debug)]
pub struct MinuteCounts {
    counts: [u64; MINUTES],
    minute_of: [i64; MINUTES],
}

/// The last hour, oldest minute first.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastHour {
    /// Steps delivered in the last 60 minutes (the current one included).
    pub total: u64,
    /// Per minute, oldest first; the last is the current minute.
    pub per_minute: Vec<u64>,
}

impl Default for MinuteCounts {
    fn default() -> Self {
        Self {
            counts: [0; MINUTES],
            minute_of: [i64::MIN; MINUTES],
        }
    }
}

fn minute(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(60)
}

fn slot(minute: i64) -> usize {
    usize::try_from(minute.rem_euclid(MINUTES as i64)).unwrap_or(0)
}

impl MinuteCounts {
    /// One step delivered at `at`.
    pub fn record(&mut self, at: DateTime<Utc>) {
        let m = minute(at);
        let s = slot(m);
        if self.minute_of[s] != m {
            self.minute_of[s] = m;
            self.counts[s] = 0;
        }
        self.counts[s] += 1;
    }

    /// The 60 minutes up to `now`'s.
    pub fn last_hour(&self, now: DateTime<Utc>) -> LastHour {
        let current = minute(now);
        let per_minute: Vec<u64> = (current - MINUTES as i64 + 1..=current)
            .map(|m| {
                let s = slot(m);
                if self.minute_of[s] == m {
                    self.counts[s]
                } else {
                    0
                }
            })
            .collect();
        LastHour {
            total: per_minute.iter().sum(),
            per_minute,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn counts_fall_out_of_the_hour_as_it_moves_on() {
        let mut c = MinuteCounts::default();
        c.record(at("2026-12-03T10:00:10Z"));
        c.record(at("2026-12-03T10:00:50Z"));
        c.record(at("2026-12-03T10:30:00Z"));
        let h = c.last_hour(at("2026-12-03T10:30:30Z"));
        assert_eq!(h.total, 3);
        assert_eq!(h.per_minute.len(), MINUTES);
        assert_eq!(h.per_minute[MINUTES - 1], 1, "the current minute last");
        assert_eq!(h.per_minute[MINUTES - 31], 2);
        assert_eq!(
            c.last_hour(at("2026-12-03T11:00:30Z")).total,
            1,
            "10:00 is over an hour ago"
        );
        // The ring slot of 10:00 is reused an hour later, not added to.
        c.record(at("2026-12-03T11:00:05Z"));
        assert_eq!(c.last_hour(at("2026-12-03T11:00:30Z")).total, 2);
    }
}
