//! What the simulator saw: responses by status, writes applied (and those the write faults lost or altered),
//! duplicates per LPA. Duplicates are the
//! benchmark's measure of a client that re-sends what OPG already holds: a write the stored LPA already reflects
//! (a second create, a repeated signature, a change whose keys already hold `new`, a status change to the
//! status it has), whether it is refused or applied. Counters are atomics on the hot path; `writesApplied` and
//! duplicates are also persisted by the store so a restarted simulator keeps reporting them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

const STATUS_MIN: u16 = 100;
const STATUS_SLOTS: usize = 500;

/// `GET /__admin/stats`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsSnapshot {
    /// API responses by status code (admin and stub-protocol requests are not counted).
    pub requests: BTreeMap<String, u64>,
    pub writes_applied: u64,
    pub duplicates: u64,
    pub duplicates_by_lpa: BTreeMap<String, u64>,
    /// Connections dropped without a response (reset faults, timeouts, commit-then-fail drops).
    #[serde(default)]
    pub connections_dropped: u64,
    /// Requests held by the timeout fault.
    #[serde(default)]
    pub timeouts: u64,
    /// Writes answered as applied but not stored (`acknowledgeWithoutApplyingRate`).
    #[serde(default)]
    pub writes_acknowledged_not_applied: u64,
    /// Writes stored with a visible difference (`applyDifferentlyRate`); also in `writesApplied`.
    #[serde(default)]
    pub writes_applied_differently: u64,
    /// Reads (the store's own before a write included) that missed a recent write (`laggingReadRate`).
    #[serde(default)]
    pub lagging_reads: u64,
}

impl StatsSnapshot {
    /// Responses with this status.
    pub fn status_count(&self, status: u16) -> u64 {
        self.requests.get(&status.to_string()).copied().unwrap_or(0)
    }
}

/// The persisted write counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    pub applied: u64,
    pub acknowledged_not_applied: u64,
    pub applied_differently: u64,
}

pub struct Stats {
    by_status: Vec<AtomicU64>,
    writes_applied: AtomicU64,
    acknowledged_not_applied: AtomicU64,
    applied_differently: AtomicU64,
    dropped: AtomicU64,
    timeouts: AtomicU64,
    lagging_reads: AtomicU64,
    duplicates: Mutex<HashMap<String, u64>>,
}

impl Stats {
    /// Starts from what the store persisted.
    pub fn new(writes: WriteCounts, duplicates: HashMap<String, u64>) -> Self {
        Self {
            by_status: (0..STATUS_SLOTS).map(|_| AtomicU64::new(0)).collect(),
            writes_applied: AtomicU64::new(writes.applied),
            acknowledged_not_applied: AtomicU64::new(writes.acknowledged_not_applied),
            applied_differently: AtomicU64::new(writes.applied_differently),
            dropped: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            lagging_reads: AtomicU64::new(0),
            duplicates: Mutex::new(duplicates),
        }
    }

    pub fn response(&self, status: u16) {
        if let Some(slot) = status
            .checked_sub(STATUS_MIN)
            .and_then(|i| self.by_status.get(usize::from(i)))
        {
            slot.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub fn timeout(&self) {
        self.timeouts.fetch_add(1, Ordering::Relaxed);
    }

    pub fn lagging_read(&self) {
        self.lagging_reads.fetch_add(1, Ordering::Relaxed);
    }

    pub fn write_applied(&self) {
        self.writes_applied.fetch_add(1, Ordering::Relaxed);
    }

    pub fn write_acknowledged_not_applied(&self) {
        self.acknowledged_not_applied
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn write_applied_differently(&self) {
        self.applied_differently.fetch_add(1, Ordering::Relaxed);
    }

    pub fn duplicate(&self, uid: &str) {
        let mut map = self
            .duplicates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *map.entry(uid.to_owned()).or_default() += 1;
    }

    pub fn reset(&self) {
        for slot in &self.by_status {
            slot.store(0, Ordering::Relaxed);
        }
        self.writes_applied.store(0, Ordering::Relaxed);
        self.acknowledged_not_applied.store(0, Ordering::Relaxed);
        self.applied_differently.store(0, Ordering::Relaxed);
        self.dropped.store(0, Ordering::Relaxed);
        self.timeouts.store(0, Ordering::Relaxed);
        self.lagging_reads.store(0, Ordering::Relaxed);
        self.duplicates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let requests = self
            .by_status
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let n = n.load(Ordering::Relaxed);
                (n > 0).then(|| ((i + usize::from(STATUS_MIN)).to_string(), n))
            })
            .collect();
        let by_lpa: BTreeMap<String, u64> = self
            .duplicates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        StatsSnapshot {
            requests,
            writes_applied: self.writes_applied.load(Ordering::Relaxed),
            duplicates: by_lpa.values().sum(),
            duplicates_by_lpa: by_lpa,
            connections_dropped: self.dropped.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            writes_acknowledged_not_applied: self.acknowledged_not_applied.load(Ordering::Relaxed),
            writes_applied_differently: self.applied_differently.load(Ordering::Relaxed),
            lagging_reads: self.lagging_reads.load(Ordering::Relaxed),
        }
    }
}
