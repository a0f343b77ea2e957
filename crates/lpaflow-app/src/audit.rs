//! History and its verification: an LPA's entries page by page, its chain head (to publish), and the check of
//! every hash chain (one LPA's, or all of them with progress for long runs).

use crate::caller::Role;
use crate::service::LpaService;
use lpaflow_core::InstanceId;
use lpaflow_core::history::ChainHead;
use lpaflow_core::history::StoredEntry;
use lpaflow_engine::Error;
use lpaflow_store::VerifyReport;

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
