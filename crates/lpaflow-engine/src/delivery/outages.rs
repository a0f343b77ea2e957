//! The external system's recent outages as this process saw them: when the breaker opened (the system stopped
//! answering), the last error it gave, and when the breaker closed again. Kept in memory (the last
//! [`KEPT`]), for the operations page; the breaker itself decides on the monotonic clock, these times are
//! wall-clock times for people.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::VecDeque;

/// Outages remembered (the current one included).
pub const KEPT: usize = 20;

/// One outage.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outage {
    /// When the breaker opened.
    pub started_at: DateTime<Utc>,
    /// When the system answered again (none while it lasts).
    pub ended_at: Option<DateTime<Utc>>,
    /// The last error the system gave during it.
    pub last_error: Option<serde_json::Value>,
}

/// The outages, newest first.
#[derive(Clone, Debug, Default)]
pub struct OutageLog {
    outages: VecDeque<Outage>,
}

impl OutageLog {
    /// The breaker opened at `at` after `error`.
    pub fn opened(&mut self, at: DateTime<Utc>, error: Option<serde_json::Value>) {
        if self.current().is_some() {
            return;
        }
        self.outages.push_front(Outage {
            started_at: at,
            ended_at: None,
            last_error: error,
        });
        self.outages.truncate(KEPT);
    }

    /// The system gave `error` again during the current outage.
    pub fn failed_again(&mut self, error: serde_json::Value) {
        if let Some(o) = self.outages.front_mut().filter(|o| o.ended_at.is_none()) {
            o.last_error = Some(error);
        }
    }

    /// The system answered at `at`: the current outage, if any, is over.
    pub fn closed(&mut self, at: DateTime<Utc>) {
        if let Some(o) = self.outages.front_mut().filter(|o| o.ended_at.is_none()) {
            o.ended_at = Some(at);
        }
    }

    /// The outage going on, if any.
    pub fn current(&self) -> Option<&Outage> {
        self.outages.front().filter(|o| o.ended_at.is_none())
    }

    /// Every outage remembered, newest first.
    pub fn recent(&self) -> Vec<Outage> {
        self.outages.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn an_outage_runs_from_the_opening_to_the_first_answer_with_its_last_error() {
        let mut log = OutageLog::default();
        assert!(log.current().is_none());
        log.opened(at("2026-12-03T10:00:00Z"), Some(json!({"status": 503})));
        log.opened(at("2026-12-03T10:00:05Z"), None);
        log.failed_again(json!({"status": 504}));
        let current = log.current().unwrap().clone();
        assert_eq!(
            current.started_at,
            at("2026-12-03T10:00:00Z"),
            "opened once"
        );
        assert_eq!(current.last_error, Some(json!({"status": 504})));
        log.closed(at("2026-12-03T10:03:00Z"));
        assert!(log.current().is_none());
        log.failed_again(json!({"status": 500}));
        assert_eq!(log.recent()[0].ended_at, Some(at("2026-12-03T10:03:00Z")));
        assert_eq!(
            log.recent()[0].last_error,
            Some(json!({"status": 504})),
            "closed outages stay as they ended"
        );
    }

    #[test]
    fn only_the_latest_outages_are_kept() {
        let mut log = OutageLog::default();
        for minute in 0..(KEPT as u32 + 5) {
            let t = at("2026-12-03T10:00:00Z") + chrono::TimeDelta::minutes(i64::from(minute));
            log.opened(t, None);
            log.closed(t + chrono::TimeDelta::seconds(30));
        }
        let recent = log.recent();
        assert_eq!(recent.len(), KEPT);
        assert!(recent[0].started_at > recent[1].started_at, "newest first");
    }
}
