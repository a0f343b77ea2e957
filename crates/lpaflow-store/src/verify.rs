//! `lpaflow audit verify`: recompute every hash chain from the stored rows and compare it with each
//! instance's recorded head. Works on the rows as they are, so it detects edits made with the triggers
//! disabled: changed fields, deleted, inserted or reordered rows, a truncated tail.

use crate::{Error, Store};
use lpaflow_core::InstanceId;
use lpaflow_core::history::{ChainHead, verify_chain};
use serde::Serialize;

/// One broken chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokenChain {
    /// The instance.
    pub uid: InstanceId,
    /// The first entry at which the chain does not hold.
    pub seq: u64,
    /// What is wrong there.
    pub reason: String,
}

/// The outcome of a verification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// Instances checked.
    pub checked: u64,
    /// History entries checked.
    pub entries: u64,
    /// Every broken chain found.
    pub broken: Vec<BrokenChain>,
}

impl VerifyReport {
    /// True when every chain holds.
    pub fn ok(&self) -> bool {
        self.broken.is_empty()
    }
}

const HISTORY_PAGE: u32 = 1000;
const HEADS_PAGE: u32 = 500;

impl Store {
    /// Verifies one instance's chain, or every chain when `uid` is `None`. `progress` is called with the
    /// number of instances checked so far.
    pub async fn verify(
        &self,
        uid: Option<&InstanceId>,
        mut progress: impl FnMut(u64),
    ) -> Result<VerifyReport, Error> {
        let mut report = VerifyReport::default();
        if let Some(uid) = uid {
            let head = self
                .chain_head(uid)
                .await?
                .ok_or_else(|| Error::corrupt(uid.as_str(), "no such instance"))?;
            self.verify_one(uid, &head, &mut report).await?;
            progress(report.checked);
            return Ok(report);
        }
        let mut after = String::new();
        loop {
            let heads = self.chain_heads(&after, HEADS_PAGE).await?;
            let Some((last, _)) = heads.last() else { break };
            after = last.to_string();
            for (uid, head) in &heads {
                self.verify_one(uid, head, &mut report).await?;
            }
            progress(report.checked);
        }
        Ok(report)
    }

    async fn verify_one(
        &self,
        uid: &InstanceId,
        head: &ChainHead,
        report: &mut VerifyReport,
    ) -> Result<(), Error> {
        let mut rows = Vec::new();
        let mut after = 0;
        loop {
            let page = self.history(uid, after, HISTORY_PAGE).await?;
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
        if let Err(b) = verify_chain(uid, &rows, head) {
            report.broken.push(BrokenChain {
                uid: uid.clone(),
                seq: b.seq,
                reason: b.reason,
            });
        }
        Ok(())
    }
}
