//! Reveals: auditors read history with personal values masked (`lpaflow_lpa::personal`); to see one entry's
//! values an auditor asks for it with a reason, and the asking is recorded (append-only, in the same database)
//! before the values are shown. The record names who, when, which entry and why; it never holds the values.

use crate::audit::HistoryEntryView;
use crate::caller::{Caller, Forbidden, Role};
use crate::service::LpaService;
use chrono::{DateTime, SubsecRound, Utc};
use lpaflow_core::text::{TextKind, refused_char};
use lpaflow_core::{InstanceId, PayloadProblem};
use lpaflow_engine::Error;
use lpaflow_store::{NewReveal, Reveal};
use serde::Serialize;
use utoipa::ToSchema;

/// Who may reveal an entry: auditors. Services and caseworkers see the values anyway; admins run the system
/// and have no case to audit.
pub const REVEALERS: &[Role] = &[Role::Auditor];
/// Who may list the reveals of an LPA.
pub const REVEAL_READERS: &[Role] = &[Role::Auditor, Role::Admin];
/// Most reveals listed at once.
pub const REVEALS_LISTED: u32 = 200;
/// The longest reason.
pub const REASON_MAX_CHARS: usize = 500;

/// Why an entry was not revealed.
#[derive(Debug)]
pub enum RevealError {
    /// The caller's role may not.
    Forbidden(Forbidden),
    /// The reason is missing or not text a person can read (the problem names `/reason`).
    Invalid(Vec<PayloadProblem>),
    /// The LPA has no entry `seq`.
    NoSuchEntry { uid: InstanceId, seq: u64 },
    /// The LPA does not exist, or the store failed.
    Engine(Error),
}

/// A recorded reveal as callers see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevealView {
    /// Its number, in the order reveals were recorded.
    pub id: i64,
    /// The entry revealed.
    pub seq: u64,
    /// Who asked.
    pub actor: String,
    /// In which role.
    pub role: String,
    /// Why.
    pub reason: String,
    /// When.
    pub revealed_at: DateTime<Utc>,
}

impl From<Reveal> for RevealView {
    fn from(r: Reveal) -> Self {
        Self {
            id: r.id,
            seq: r.reveal.seq,
            actor: r.reveal.actor,
            role: r.reveal.role,
            reason: r.reveal.reason,
            revealed_at: r.reveal.revealed_at,
        }
    }
}

/// An entry shown unmasked, with the record of its reveal.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevealedEntry {
    /// The record made before the entry was shown.
    pub reveal: RevealView,
    /// The entry, personal values included.
    pub entry: HistoryEntryView,
}

/// The reason given: at most 500 characters of free text, not only spaces; kept trimmed.
pub fn read_reason(raw: Option<&str>) -> Result<String, Vec<PayloadProblem>> {
    let raw = raw.unwrap_or_default();
    let reason = raw.trim();
    if reason.is_empty() || raw.chars().count() > REASON_MAX_CHARS {
        return Err(vec![PayloadProblem::new(
            "/reason",
            format!(
                "is required: why you need to see these personal values, 1 to {REASON_MAX_CHARS} characters"
            ),
        )]);
    }
    if let Some(why) = refused_char(raw, TextKind::Free) {
        return Err(vec![PayloadProblem::new("/reason", why)]);
    }
    Ok(reason.to_owned())
}

impl LpaService {
    /// Shows entry `seq` of LPA `uid` unmasked to `caller` (an auditor), for `reason`; the reveal is recorded
    /// first, so nothing is shown that was not recorded.
    pub async fn reveal_entry(
        &self,
        caller: &Caller,
        uid: &InstanceId,
        seq: u64,
        reason: Option<&str>,
    ) -> Result<RevealedEntry, RevealError> {
        caller
            .require(REVEALERS, "reveal personal values")
            .map_err(RevealError::Forbidden)?;
        let reason = read_reason(reason).map_err(RevealError::Invalid)?;
        let entry = self
            .history(uid, seq.saturating_sub(1), 1)
            .await
            .map_err(RevealError::Engine)?
            .into_iter()
            .find(|e| e.entry.seq == seq)
            .ok_or_else(|| RevealError::NoSuchEntry {
                uid: uid.clone(),
                seq,
            })?;
        let reveal = NewReveal {
            uid: uid.clone(),
            seq,
            actor: caller.sub.clone(),
            role: caller.role.to_string(),
            reason,
            revealed_at: Utc::now().trunc_subsecs(6),
        };
        let id = self
            .store
            .record_reveal(&reveal)
            .await
            .map_err(|e| RevealError::Engine(e.into()))?;
        tracing::info!(%uid, seq, reveal = id, actor = %caller.sub, "personal values revealed to an auditor");
        Ok(RevealedEntry {
            reveal: Reveal { id, reveal }.into(),
            entry: HistoryEntryView::revealed(entry),
        })
    }

    /// The latest reveals of LPA `uid`, newest first.
    pub async fn reveals(
        &self,
        caller: &Caller,
        uid: &InstanceId,
    ) -> Result<Vec<RevealView>, RevealError> {
        caller
            .require(REVEAL_READERS, "read the reveals")
            .map_err(RevealError::Forbidden)?;
        self.existing(uid).await.map_err(RevealError::Engine)?;
        let reveals = self
            .store
            .reveals(uid, REVEALS_LISTED)
            .await
            .map_err(|e| RevealError::Engine(e.into()))?;
        Ok(reveals.into_iter().map(RevealView::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_readable_and_not_too_long() {
        assert_eq!(
            read_reason(Some("  complaint C-12  ")).unwrap(),
            "complaint C-12"
        );
        for bad in [None, Some(""), Some("   "), Some("a\u{202e}b")] {
            let problems = read_reason(bad).unwrap_err();
            assert_eq!(problems[0].pointer, "/reason", "{bad:?}");
        }
        assert!(read_reason(Some(&"x".repeat(REASON_MAX_CHARS))).is_ok());
        assert!(read_reason(Some(&"x".repeat(REASON_MAX_CHARS + 1))).is_err());
    }
}
