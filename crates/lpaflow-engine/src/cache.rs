//! The instances this process committed last, so that a command does not read back from the store what this
//! process has just written (issue 18: the read was one of a transition's two trips to the database).
//!
//! Why it cannot make a command act on stale data: an entry is only a guess of the instance a command starts
//! from. Every commit compare-and-sets on the revision *and* the chain head it was decided from, and an
//! instance's state, data and awaited step change only by a commit (a new revision and a new head). So a
//! decision made from an entry either commits on exactly the instance it was decided from, or the store refuses
//! it as a conflict. When that happens, and when the rules refuse a command decided from an entry (another
//! process may have moved the instance on, and the command may be right for where it is now), the command drops
//! the entry, reads the store and decides again. The step counters and the sync status, which deliveries change
//! without a new revision, are never taken from here: an answer carries them from its commit, and reads
//! (`Engine::get`) always go to the store.
//!
//! Bounded: at most `capacity` entries (a full cache drops an arbitrary one); instances in a terminal state are
//! not kept (few commands reach them).

use lpaflow_core::search::Findable;
use lpaflow_core::{Instance, InstanceId, Reading};
use lpaflow_store::{Base, StoredInstance};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// What a command needs of the instance it starts from: as this process committed it, or as read from the
/// store.
#[derive(Debug)]
pub(crate) struct Cached {
    /// The instance with its definition's hash, chain head and steps enqueued (only it: a commit's
    /// decisions, with their changes and step payloads, weigh three to four times as much, measured in
    /// `bench api`). Shared with the answer of the commit that made it, not copied. Its step counters other
    /// than `steps_enqueued` and its sync status are never used from here (see the module doc).
    pub stored: Arc<StoredInstance>,
    /// The rules' reading of `stored.instance.data`, and of nothing else: the one its last decision handed
    /// over (the typed data its action produced) or made when it was read from the store, so the next
    /// command does not read the data again. For the LPA rules it holds the whole `LpaData`, about as much
    /// memory again as the instance's JSON: size `--instance-cache` with both in mind.
    pub reading: Reading,
    /// Its labels, as the rules computed them.
    pub labels: Vec<String>,
    /// Its title and search terms, likewise.
    pub findable: Findable,
}

impl Cached {
    /// The instance.
    pub(crate) fn instance(&self) -> &Instance {
        &self.stored.instance
    }

    /// What a commit decided from it must find in the store.
    pub(crate) fn base(&self) -> Base {
        Base {
            revision: self.stored.instance.revision,
            head_hash: self.stored.head_hash.clone(),
            steps_enqueued: self.stored.steps_enqueued,
        }
    }
}

/// A bounded map from uid to the last instance this process committed.
pub(crate) struct InstanceCache {
    capacity: usize,
    entries: Mutex<HashMap<InstanceId, Arc<Cached>>>,
}

impl InstanceCache {
    /// A cache of at most `capacity` instances; 0 keeps none.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::with_capacity(capacity.min(4096))),
        }
    }

    /// The last instance committed here for `uid`, if still kept.
    pub(crate) fn get(&self, uid: &InstanceId) -> Option<Arc<Cached>> {
        let found = self.lock().get(uid).cloned();
        let result = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("lpaflow_instance_cache_total", "result" => result).increment(1);
        found
    }

    /// Keeps `cached` as the last instance committed for its uid (replacing any older one).
    pub(crate) fn put(&self, cached: Cached) {
        if self.capacity == 0 {
            return;
        }
        let uid = cached.instance().id.clone();
        let cached = Arc::new(cached);
        // What is replaced or dropped is freed after the lock is released (a whole LPA's data).
        let (_replaced, _evicted) = {
            let mut entries = self.lock();
            // A creation is kept without the instance's stripe lock: never over a later commit's instance.
            if entries
                .get(&uid)
                .is_some_and(|e| e.instance().revision >= cached.instance().revision)
            {
                return;
            }
            let evicted = if entries.len() >= self.capacity && !entries.contains_key(&uid) {
                let victim = entries.keys().next().cloned();
                victim.and_then(|v| entries.remove(&v))
            } else {
                None
            };
            (entries.insert(uid, cached), evicted)
        };
    }

    /// Drops everything kept (another process commits too).
    pub(crate) fn clear(&self) {
        let _cleared = std::mem::take(&mut *self.lock());
    }

    /// Whether it may keep anything at all.
    pub(crate) fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// Drops what is kept for `uid` (a conflict showed it is old, or a commit's outcome is unknown).
    pub(crate) fn forget(&self, uid: &InstanceId) {
        let _forgotten = self.lock().remove(uid);
    }

    /// A command decided from the entry of `uid` was refused (by the rules or the store's compare-and-set):
    /// the entry may be older than the store's instance, so the command reads the store instead.
    pub(crate) fn distrust(&self, uid: &InstanceId) {
        metrics::counter!("lpaflow_instance_cache_total", "result" => "distrusted").increment(1);
        self.forget(uid);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<InstanceId, Arc<Cached>>> {
        // A panic while holding the lock leaves a consistent map (every operation is one map call).
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use lpaflow_core::{Instance, StateName, WorkflowRef};
    use lpaflow_store::SyncStatus;

    fn cached(uid: &str, revision: u64) -> Cached {
        let mut instance = Instance::unborn(
            InstanceId::new(uid),
            WorkflowRef {
                name: "lpa".into(),
                version: 1,
            },
            StateName::new("created"),
            Utc::now(),
        );
        instance.revision = revision;
        Cached {
            stored: Arc::new(StoredInstance {
                instance,
                workflow_hash: String::new(),
                head_hash: format!("h{revision}"),
                steps_enqueued: 0,
                steps_pending: 0,
                steps_failed: 0,
                sync_status: SyncStatus::Synced,
            }),
            reading: Reading::new(),
            labels: Vec::new(),
            findable: Findable::default(),
        }
    }

    #[test]
    fn a_put_replaces_the_older_instance_of_the_same_uid() {
        let cache = InstanceCache::new(4);
        cache.put(cached("a", 1));
        cache.put(cached("a", 2));
        let uid = InstanceId::new("a");
        assert_eq!(cache.get(&uid).unwrap().instance().revision, 2);
        assert_eq!(cache.len(), 1);
        cache.forget(&uid);
        assert!(cache.get(&uid).is_none());
    }

    #[test]
    fn an_older_instance_never_replaces_a_newer_one() {
        let cache = InstanceCache::new(4);
        cache.put(cached("a", 2));
        cache.put(cached("a", 1));
        let uid = InstanceId::new("a");
        assert_eq!(cache.get(&uid).unwrap().instance().revision, 2);
        cache.clear();
        assert!(cache.get(&uid).is_none());
    }

    #[test]
    fn a_full_cache_drops_one_entry_for_each_new_uid() {
        let cache = InstanceCache::new(3);
        for (i, uid) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            cache.put(cached(uid, i as u64 + 1));
            assert!(cache.len() <= 3);
        }
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&InstanceId::new("e")).is_some());
    }

    #[test]
    fn a_cache_of_no_capacity_keeps_nothing() {
        let cache = InstanceCache::new(0);
        cache.put(cached("a", 1));
        assert!(cache.get(&InstanceId::new("a")).is_none());
    }
}
