//! What a batch of lease holders' reports did, worked out once for both backends from the rows the report
//! statement returned (`id, uid, seq, status` of each step it changed): which reports applied, which steps are
//! done (the next step of each may become claimable), and how many open steps of each instance closed and failed.

use std::collections::{BTreeMap, BTreeSet};

/// The outcome of one batch of reports.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Finished {
    /// The steps whose report applied (their lease still held).
    pub applied: BTreeSet<i64>,
    /// `(uid, seq)` of each step now done.
    pub done: Vec<(String, i64)>,
    /// Per instance: steps closed (done or failed), and of those, failed.
    pub closed: BTreeMap<String, (i64, i64)>,
}

impl Finished {
    /// Tallies the `(id, uid, seq, status)` rows a report statement returned.
    pub(crate) fn tally(rows: impl IntoIterator<Item = (i64, String, i64, String)>) -> Self {
        let mut finished = Self::default();
        for (id, uid, seq, status) in rows {
            finished.applied.insert(id);
            match status.as_str() {
                "done" => {
                    finished.closed.entry(uid.clone()).or_default().0 += 1;
                    finished.done.push((uid, seq));
                }
                "failed" => {
                    let e = finished.closed.entry(uid).or_default();
                    e.0 += 1;
                    e.1 += 1;
                }
                _ => {}
            }
        }
        finished
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_and_failed_steps_close_retried_ones_do_not() {
        let row = |id: i64, uid: &str, seq: i64, status: &str| {
            (id, uid.to_owned(), seq, status.to_owned())
        };
        let f = Finished::tally([
            row(1, "a", 1, "done"),
            row(2, "a", 2, "failed"),
            row(3, "b", 1, "retrying"),
        ]);
        assert_eq!(f.applied, BTreeSet::from([1, 2, 3]));
        assert_eq!(f.done, [("a".to_owned(), 1)]);
        assert_eq!(f.closed, BTreeMap::from([("a".to_owned(), (2, 1))]));
    }
}
