//! Commands on one instance are serialized inside a process: concurrent commands on the same instance would
//! otherwise all read the same revision and all but one fail compare-and-set, again and again (group commit
//! admits one commit per instance per transaction). Striped locks keep this cheap: a fixed number of mutexes,
//! chosen by a hash of the uid. Commands on different instances rarely share a stripe, and across processes
//! the store's compare-and-set still decides.

use lpaflow_core::InstanceId;
use std::hash::BuildHasher;
use tokio::sync::{Mutex, MutexGuard};

/// Number of stripes.
const STRIPES: usize = 1024;

/// Striped per-instance locks.
pub(crate) struct Stripes {
    locks: Vec<Mutex<()>>,
    hasher: std::collections::hash_map::RandomState,
}

impl Stripes {
    pub(crate) fn new() -> Self {
        Self {
            locks: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: Default::default(),
        }
    }

    /// Waits for the stripe of `uid`.
    pub(crate) async fn lock(&self, uid: &InstanceId) -> MutexGuard<'_, ()> {
        let h = self.hasher.hash_one(uid.as_str());
        self.locks[(h as usize) % STRIPES].lock().await
    }
}
