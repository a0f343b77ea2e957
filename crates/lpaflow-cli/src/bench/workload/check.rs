//! The workload's correctness check: every expected instance is registered, by exactly one registration
//! (history entry into `registered`), and the stub received one successful POST per id (more are reported as
//! duplicate external side effects).

use super::stub::Stub;
use crate::bench::payload::lpa_id;
use lpaflow_core::InstanceId;
use lpaflow_store::Store;
use serde_json::Value;

/// What the check found.
#[derive(Debug, Default)]
pub struct Check {
    /// Instances not registered (lost or unfinished).
    pub not_registered: u64,
    /// Instances with more than one registration.
    pub duplicate_registrations: u64,
    /// Extra successful OPG POSTs (sum of count - 1 over ids).
    pub dup_opg_posts: u64,
    /// Ids with more than one successful POST.
    pub dup_opg_ids: u64,
    /// Latest `registered_at` (RFC 3339) among the instances.
    pub last_registered_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Check {
    /// True when nothing was lost and nothing registered twice.
    pub fn correct(&self) -> bool {
        self.not_registered == 0 && self.duplicate_registrations == 0
    }
}

/// Checks instances `0..n` (prefix `M`).
/// How many instances, of any workflow, are in the state `registered`.
pub async fn registered_count(store: &Store) -> anyhow::Result<u64> {
    Ok(store
        .count_by_state()
        .await?
        .iter()
        .filter(|(_, state, _)| state == "registered")
        .map(|(_, _, n)| n)
        .sum())
}

pub async fn check(store: &Store, stub: &Stub, n: u64) -> anyhow::Result<Check> {
    let mut c = Check::default();
    let ids: Vec<String> = (0..n).map(|i| lpa_id('M', i)).collect();
    for chunk in ids.chunks(64) {
        let results = futures::future::join_all(chunk.iter().map(|id| one(store, id))).await;
        for r in results {
            let (registered, registrations, at) = r?;
            c.not_registered += u64::from(!registered);
            c.duplicate_registrations += u64::from(registrations > 1);
            if let Some(at) = at {
                c.last_registered_at = Some(c.last_registered_at.map_or(at, |l| l.max(at)));
            }
        }
    }
    let counts = stub.counts().await?;
    for id in &ids {
        let n = counts.get(id).and_then(Value::as_u64).unwrap_or(0);
        if n > 1 {
            c.dup_opg_ids += 1;
            c.dup_opg_posts += n - 1;
        }
    }
    Ok(c)
}

async fn one(
    store: &Store,
    id: &str,
) -> anyhow::Result<(bool, usize, Option<chrono::DateTime<chrono::Utc>>)> {
    let uid = InstanceId::new(id);
    let Some(stored) = store.get(&uid).await? else {
        return Ok((false, 0, None));
    };
    let history = store.history(&uid, 0, 100).await?;
    let registrations = history
        .iter()
        .filter(|h| h.entry.to == "registered")
        .count();
    let at = stored.instance.data["registered_at"]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.to_utc());
    Ok((stored.instance.state == "registered", registrations, at))
}
