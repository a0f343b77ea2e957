//! Where a workflow's time goes (issue 18: the breakdown that says which part of the path holds the workload
//! back). Each timed instance's latency is cut at three instants: the creation commit answered, the stub POST
//! started and the POST answered; the rest, up to the registration seen, is the completion commit. The stub
//! handler notes its POST's instants by `lpa_id`; the client loop takes them when the registration arrives, so
//! only instances in flight are held.

use super::super::report::{Report, percentile};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// The POSTs in flight or answered and not yet taken, by `lpa_id`: (first start, last answer).
#[derive(Default)]
pub struct PostTimes {
    by_id: Mutex<HashMap<String, (Instant, Option<Instant>)>>,
}

impl PostTimes {
    /// A POST for `lpa_id` starts (a retry keeps the first start).
    pub fn started(&self, lpa_id: &str) {
        self.lock()
            .entry(lpa_id.to_owned())
            .or_insert((Instant::now(), None));
    }

    /// A POST for `lpa_id` was answered.
    pub fn answered(&self, lpa_id: &str) {
        if let Some(times) = self.lock().get_mut(lpa_id) {
            times.1 = Some(Instant::now());
        }
    }

    /// Takes the instants noted for `lpa_id`.
    pub fn take(&self, lpa_id: &str) -> Option<(Instant, Instant)> {
        let (start, end) = self.lock().remove(lpa_id)?;
        Some((start, end?))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Option<Instant>)>> {
        self.by_id.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One instance's latency cut into its phases, milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Phases {
    /// Start call to the creation commit answered (the client's `create`).
    pub create: f64,
    /// Creation answered to the POST started (the hand-off to the delivery loop).
    pub to_post: f64,
    /// The POST's round trip to the stub (first start to last answer, when retried).
    pub post: f64,
    /// POST answered to the registration seen (the completion commit and the event it records).
    pub complete: f64,
}

impl Phases {
    /// Cuts `started..registered` at `created` and the POST's `(start, end)`; a POST started before `create`
    /// returned (the hand-off runs as the commit answers) counts as no hand-off time.
    pub fn cut(
        started: Instant,
        created: Instant,
        post: (Instant, Instant),
        registered: Instant,
    ) -> Self {
        let ms =
            |from: Instant, to: Instant| to.saturating_duration_since(from).as_secs_f64() * 1e3;
        Self {
            create: ms(started, created),
            to_post: ms(created, post.0),
            post: ms(post.0, post.1),
            complete: ms(post.1, registered),
        }
    }
}

impl Phases {
    /// The phases by name, in the order of the path.
    fn named(&self) -> [(&'static str, f64); 4] {
        [
            ("create", self.create),
            ("to_post", self.to_post),
            ("post", self.post),
            ("complete", self.complete),
        ]
    }
}

/// Writes the median and p99 of each phase as `{prefix}.{phase}_p50_ms` / `_p99_ms`.
pub fn record(report: &mut Report, prefix: &str, phases: &[Phases]) {
    for (i, name) in Phases::default().named().map(|(n, _)| n).iter().enumerate() {
        let mut values: Vec<f64> = phases.iter().map(|p| p.named()[i].1).collect();
        values.sort_by(f64::total_cmp);
        report.metric(
            &format!("{prefix}.{name}_p50_ms"),
            percentile(&values, 50.0),
        );
        report.metric(
            &format!("{prefix}.{name}_p99_ms"),
            percentile(&values, 99.0),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_latency_is_cut_at_its_instants_and_sums_to_the_whole() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let p = Phases::cut(t0, at(2), (at(3), at(5)), at(9));
        assert_eq!(
            (p.create, p.to_post, p.post, p.complete),
            (2.0, 1.0, 2.0, 4.0)
        );
        // The POST may start before the client sees its create answered.
        let early = Phases::cut(t0, at(3), (at(2), at(5)), at(9));
        assert_eq!(early.to_post, 0.0);
    }

    #[test]
    fn post_times_keep_the_first_start_and_are_taken_once() {
        let times = PostTimes::default();
        times.started("M-1");
        let first = times.lock()["M-1"].0;
        times.started("M-1");
        times.answered("M-1");
        let (start, end) = times.take("M-1").expect("noted");
        assert_eq!(start, first);
        assert!(end >= start);
        assert!(times.take("M-1").is_none());
        times.started("M-2");
        assert!(
            times.take("M-2").is_none(),
            "a POST not answered has no end"
        );
    }
}
