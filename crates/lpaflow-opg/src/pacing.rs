//! At most one write per LPA per [`WRITE_GAP`]. The LPA Store reads DynamoDB without `ConsistentRead`
//! (`internal/ddb/client.go`), and its update handler reads the LPA, applies the change and puts the whole
//! document back; its change log is keyed by `(uid, applied)` with `applied` to the second. Two writes to one
//! LPA within a second can therefore lose the first (the second is built on a read that has not seen it) or
//! overwrite its change-log row. Waiting a little over a second after the end of one attempt before the next
//! (a retry, or the LPA's next step) avoids both: the replicas have caught up ("usually within a second") and
//! the next write gets a later `applied` second.
//!
//! Two clocks feed it: the end of this process's last attempt on the LPA (a retry of the same step), and
//! when the LPA's previous step finished as the outbox recorded it ([`StepRow::previous_completed_at`]),
//! whichever process delivered it, so several engine processes on one database keep the gap too.
//!
//! [`StepRow::previous_completed_at`]: lpaflow_store::StepRow::previous_completed_at

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

/// The gap between the end of one attempt on an LPA and the start of the next.
pub const WRITE_GAP: Duration = Duration::from_millis(1_100);

/// Beyond this many LPAs remembered, entries older than the gap are forgotten.
const REMEMBERED_MAX: usize = 4_096;

/// When each LPA was last written (the end of the attempt).
pub struct WritePacing {
    gap: Duration,
    last: Mutex<HashMap<String, Instant>>,
}

impl WritePacing {
    pub fn new(gap: Duration) -> Self {
        Self {
            gap,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// The gap.
    pub fn gap(&self) -> Duration {
        self.gap
    }

    /// How long to wait before `uid` may be written again; `None` when it may be written now.
    pub fn wait_for(&self, uid: &str, now: Instant) -> Option<Duration> {
        let last = *self.lock().get(uid)?;
        let free_at = last + self.gap;
        (free_at > now).then(|| free_at - now)
    }

    /// How long to wait after the LPA's previous step finished at `previous` (wall clock); `None`: no wait.
    /// Never more than the gap, whatever the clocks say (another process's clock may run ahead).
    pub fn wait_after(
        &self,
        previous: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        let free_at = previous? + TimeDelta::from_std(self.gap).ok()?;
        (free_at > now)
            .then(|| (free_at - now).to_std().ok())
            .flatten()
            .map(|wait| wait.min(self.gap))
    }

    /// Notes an attempt on `uid` that ended at `now`.
    pub fn wrote(&self, uid: &str, now: Instant) {
        let mut last = self.lock();
        if last.len() >= REMEMBERED_MAX {
            last.retain(|_, at| now.saturating_duration_since(*at) < self.gap);
        }
        last.insert(uid.to_owned(), now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for WritePacing {
    fn default() -> Self {
        Self::new(WRITE_GAP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_lpa_waits_out_the_gap_and_others_do_not() {
        let pacing = WritePacing::new(Duration::from_millis(1_100));
        let t0 = Instant::now();
        assert_eq!(pacing.wait_for("M-1", t0), None);
        pacing.wrote("M-1", t0);
        assert_eq!(
            pacing.wait_for("M-1", t0 + Duration::from_millis(100)),
            Some(Duration::from_millis(1_000))
        );
        assert_eq!(pacing.wait_for("M-2", t0), None);
        assert_eq!(
            pacing.wait_for("M-1", t0 + Duration::from_millis(1_100)),
            None
        );
    }

    #[test]
    fn a_previous_step_finished_by_any_process_is_waited_out() {
        let pacing = WritePacing::new(Duration::from_millis(1_100));
        let done = Utc::now();
        assert_eq!(pacing.wait_after(None, done), None);
        assert_eq!(
            pacing.wait_after(Some(done), done + TimeDelta::milliseconds(600)),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            pacing.wait_after(Some(done), done + TimeDelta::milliseconds(1_100)),
            None
        );
        assert_eq!(
            pacing.wait_after(Some(done + TimeDelta::days(29)), done),
            Some(Duration::from_millis(1_100)),
            "a clock far ahead costs one gap at most"
        );
    }

    #[test]
    fn old_entries_are_forgotten_when_many_lpas_were_written() {
        let pacing = WritePacing::new(Duration::from_millis(10));
        let t0 = Instant::now();
        for i in 0..REMEMBERED_MAX {
            pacing.wrote(&format!("M-{i}"), t0);
        }
        pacing.wrote("M-new", t0 + Duration::from_secs(1));
        assert_eq!(pacing.lock().len(), 1);
    }
}
