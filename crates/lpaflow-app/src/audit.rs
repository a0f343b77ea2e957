//! History and its verification: an LPA's entries page by page, its chain head (to publish), and the check of
//! every hash chain (one LPA's, or all of them with progress for long runs).

use crate::caller::Role;
use crate::service::LpaService;
use chrono::{DateTime, Utc};
use lpaflow_core::InstanceId;
use lpaflow_core::history::ChainHead;
use lpaflow_core::history::StoredEntry;
use lpaflow_engine::Error;
use lpaflow_store::VerifyReport;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Who may read history and chain heads.
pub const READERS: &[Role] = &[Role::Auditor, Role::Caseworker, Role::Admin];
/// Who may verify chains.
pub const VERIFIERS: &[Role] = &[Role::Auditor, Role::Admin];

impl LpaService {
    /// Up to `limit` history entries of LPA `uid` after sequence number `after` (`NotFound` for no LPA).
    pub async fn history(
        &self,
        uid: &InstanceId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, Error> {
        self.existing(uid).await?;
        self.engine.history(uid, after, limit).await
    }

    /// The head of LPA `uid`'s chain (`NotFound` for no LPA).
    pub async fn chain_head(&self, uid: &InstanceId) -> Result<ChainHead, Error> {
        self.store
            .chain_head(uid)
            .await?
            .ok_or_else(|| Error::NotFound(uid.clone()))
    }

    /// Verifies LPA `uid`'s chain (`NotFound` for no LPA), or every chain, calling `progress` with the number of
    /// LPAs checked so far.
    pub async fn verify(
        &self,
        uid: Option<&InstanceId>,
        progress: impl FnMut(u64),
    ) -> Result<VerifyReport, Error> {
        if let Some(uid) = uid {
            self.existing(uid).await?;
        }
        Ok(self.store.verify(uid, progress).await?)
    }

    /// The number of LPAs (of every workflow), for progress bars.
    pub async fn lpa_count(&self) -> Result<u64, Error> {
        let rows = self.store.count_by_state().await?;
        Ok(rows.iter().map(|(_, _, n)| n).sum())
    }
}

/// One history entry with its place in the hash chain.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntryView {
    /// 1 for creation, then one more per accepted event (= the revision it produced).
    pub seq: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (the token subject, or `system:...`).
    pub actor: String,
    /// In which role.
    pub role: String,
    /// The event.
    pub event: String,
    /// State before (absent for creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// State after.
    pub to: String,
    /// The event's payload.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// What changed: `{pointer, old, new}`.
    #[schema(value_type = Vec<Object>)]
    pub changes: Value,
    /// Workflow name and version that decided it.
    pub workflow: String,
    /// Workflow version.
    pub version: u32,
    /// The rules that decided it (`lpaflow-lpa/2@Europe/London`): what `audit verify --replay` replays it with.
    /// Absent for entries written before entries named their rules (hash formats 1 and 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
    /// The entry's hash format (docs/audit.md): 1, 2 (bound to the instance it produced) or 3 (and its rules).
    pub hash_format: u8,
    /// The previous entry's hash (64 zeros for the first).
    pub prev_hash: String,
    /// `sha256(prev_hash || canonical entry)`.
    pub hash: String,
}

impl HistoryEntryView {
    /// Entry `s` as `role` may see it: payload and changes whole, or with their personal values masked
    /// (`lpaflow_lpa::personal`); the hashes are the stored ones either way, so a masked history still
    /// verifies against the chain head.
    pub fn of(s: StoredEntry, role: Role) -> Self {
        Self::shown(s, role.sees_personal_data())
    }

    /// Entry `s` with its personal values, for an auditor who asked to see them (`crate::reveals`).
    pub fn revealed(s: StoredEntry) -> Self {
        Self::shown(s, true)
    }

    fn shown(s: StoredEntry, personal: bool) -> Self {
        let e = s.entry;
        let hash_format = lpaflow_core::history::format_of(&e);
        let (payload, changes) = if personal {
            (
                e.payload,
                serde_json::to_value(&e.changes).unwrap_or(Value::Null),
            )
        } else {
            let masked: Vec<_> = e
                .changes
                .iter()
                .map(|c| {
                    let mut c = c.clone();
                    let at = |v: &Value| lpaflow_lpa::personal::mask_at(&c.pointer, v);
                    (c.old, c.new) = (c.old.as_ref().map(at), c.new.as_ref().map(at));
                    c
                })
                .collect();
            let changes = serde_json::to_value(&masked).unwrap_or(Value::Null);
            (lpaflow_lpa::personal::mask(&e.payload), changes)
        };
        Self {
            seq: e.seq,
            at: e.at,
            actor: e.actor.to_string(),
            role: e.role.to_string(),
            event: e.event.to_string(),
            from: e.from.map(|f| f.to_string()),
            to: e.to.to_string(),
            payload,
            changes,
            workflow: e.workflow.name,
            version: e.workflow.version,
            rules: e.rules,
            hash_format,
            prev_hash: s.prev_hash,
            hash: s.hash,
        }
    }
}
