//! `lpaflow audit verify`: recompute every hash chain from the stored rows, compare it with each instance's
//! recorded head and current row, and look for history that belongs to no instance. Works on the rows as they
//! are, so it detects edits made with the triggers disabled: changed fields, deleted, inserted or reordered
//! rows, a truncated tail, an instance row edited or deleted. What it cannot see alone (a chain rewritten and
//! re-hashed, an instance deleted with its history) is what signed checkpoints are for. Given interpreters, it
//! also replays every intact chain (`--replay`, `lpaflow_core::replay`): each recorded transition must be one
//! the definition and its rules decide.

use crate::{Error, Store};
use lpaflow_core::InstanceId;
use lpaflow_core::history::{BreakKind, ChainHead, Coverage, StoredEntry, verify_chain};
use lpaflow_core::replay::{Interpreters, replay_chain};
use serde::Serialize;

/// One broken chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokenChain {
    /// The instance.
    pub uid: InstanceId,
    /// The first entry at which the chain does not hold.
    pub seq: u64,
    /// Which check failed.
    pub kind: BreakKind,
    /// What is wrong there.
    pub reason: String,
}

/// History whose instance row is gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Orphan {
    /// The instance the history belongs to.
    pub uid: InstanceId,
    /// Its last entry.
    pub last_seq: u64,
}

/// The outcome of a verification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// Instances checked.
    pub checked: u64,
    /// History entries checked.
    pub entries: u64,
    /// Instances whose row was checked against their head entry (hash format 2).
    pub state_bound: u64,
    /// Instances whose head entry predates hash format 2: only their history is vouched for.
    pub history_only: u64,
    /// Every broken chain found.
    pub broken: Vec<BrokenChain>,
    /// History that belongs to no instance (checked only when verifying everything).
    pub orphans: Vec<Orphan>,
    /// Whether the chains were replayed through the interpreter.
    pub replay: bool,
    /// Entries replayed and found to be what their definition and rules decide.
    pub replayed: u64,
    /// Entries this build cannot replay: written before entries named their rules (hash format 3), or decided
    /// by rules or a definition this build does not have. Never counted as tampering.
    pub not_replayable: u64,
}

impl VerifyReport {
    /// True when every chain holds and no history is orphaned.
    pub fn ok(&self) -> bool {
        self.broken.is_empty() && self.orphans.is_empty()
    }
}

const HISTORY_PAGE: u32 = 1000;
const HEADS_PAGE: u32 = 500;

impl Store {
    /// Verifies one instance's chain, or every chain and the absence of orphaned history when `uid` is `None`.
    /// `progress` is called with the number of instances checked so far.
    pub async fn verify(
        &self,
        uid: Option<&InstanceId>,
        progress: impl FnMut(u64),
    ) -> Result<VerifyReport, Error> {
        self.verify_with(uid, None, progress).await
    }

    /// [`Store::verify`], and with `replay` every intact chain replayed through the interpreter.
    pub async fn verify_with(
        &self,
        uid: Option<&InstanceId>,
        replay: Option<&dyn Interpreters>,
        mut progress: impl FnMut(u64),
    ) -> Result<VerifyReport, Error> {
        let mut report = VerifyReport {
            replay: replay.is_some(),
            ..VerifyReport::default()
        };
        if let Some(uid) = uid {
            let head = self
                .chain_head(uid)
                .await?
                .ok_or_else(|| Error::corrupt(uid.as_str(), "no such instance"))?;
            self.verify_one(uid, &head, replay, &mut report).await?;
            progress(report.checked);
            return Ok(report);
        }
        let mut after = String::new();
        loop {
            let heads = self.chain_heads(&after, HEADS_PAGE).await?;
            let Some((last, _)) = heads.last() else { break };
            after = last.to_string();
            for (uid, head) in &heads {
                self.verify_one(uid, head, replay, &mut report).await?;
            }
            progress(report.checked);
        }
        report.orphans = self
            .inner
            .db
            .orphaned_history()
            .await?
            .into_iter()
            .map(|(uid, last_seq)| Orphan { uid, last_seq })
            .collect();
        Ok(report)
    }

    async fn verify_one(
        &self,
        uid: &InstanceId,
        head: &ChainHead,
        replay: Option<&dyn Interpreters>,
        report: &mut VerifyReport,
    ) -> Result<(), Error> {
        let mut rows = Vec::new();
        let mut after = 0;
        loop {
            let page = match self.history(uid, after, HISTORY_PAGE).await {
                Ok(page) => page,
                Err(Error::Corrupt { detail, .. }) => {
                    report.checked += 1;
                    report.broken.push(BrokenChain {
                        uid: uid.clone(),
                        seq: after + 1,
                        kind: BreakKind::Unreadable,
                        reason: format!(
                            "a history row at or after entry {} cannot be read: {detail}",
                            after + 1
                        ),
                    });
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            let Some(last) = page.last() else { break };
            after = last.entry.seq;
            let full = page.len() as u32 == HISTORY_PAGE;
            rows.extend(page);
            if !full {
                break;
            }
        }
        report.checked += 1;
        report.entries += rows.len() as u64;
        let verified = verify_chain(uid, &rows, head).map(|coverage| match coverage {
            Coverage::StateBound => report.state_bound += 1,
            Coverage::HistoryOnly => report.history_only += 1,
        });
        let replayed = match (verified, replay) {
            (Ok(()), Some(by)) => replay_rows(by, uid, &rows, report),
            (other, _) => other,
        };
        if let Err(b) = replayed {
            report.broken.push(BrokenChain {
                uid: uid.clone(),
                seq: b.seq,
                kind: b.kind,
                reason: b.reason,
            });
        }
        Ok(())
    }
}

/// Replays an intact chain, counting what was and was not replayable.
fn replay_rows(
    by: &dyn Interpreters,
    uid: &InstanceId,
    rows: &[StoredEntry],
    report: &mut VerifyReport,
) -> Result<(), lpaflow_core::history::ChainBreak> {
    let replayed = replay_chain(by, uid, rows)?;
    report.replayed += replayed.entries;
    report.not_replayable += replayed.not_replayable;
    Ok(())
}
