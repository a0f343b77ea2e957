//! Labels that index an LPA for caseworker queues (`Rules::labels`): the store keeps them in step with the
//! instance, so "every LPA with a blocking finding" or "every fee decision waiting" is one indexed query.
//! They are read from the stored data as the last action left it.

use crate::data::LpaData;
use crate::objections::open_objections;
use lpaflow_core::Instance;

/// A finding is detected or accepted.
pub const FINDING_OPEN: &str = "finding:open";
/// A blocking finding waits for a caseworker.
pub const FINDING_BLOCKING: &str = "finding:blocking";
/// A claimed fee reduction waits for a caseworker.
pub const FEE_DECISION_NEEDED: &str = "fee:decision_needed";
/// A refund is owed and not paid out.
pub const FEE_REFUND_DUE: &str = "fee:refund_due";
/// An objection waits for a caseworker.
pub const OBJECTION_OPEN: &str = "objection:open";

/// The labels of `instance` (none when its data cannot be read).
pub fn labels(instance: &Instance) -> Vec<String> {
    let Ok(data) = LpaData::load(&instance.data) else {
        return Vec::new();
    };
    let flags = [
        (FINDING_OPEN, data.findings.iter().any(|f| f.is_open())),
        (FINDING_BLOCKING, data.findings.iter().any(|f| f.blocks())),
        (FEE_DECISION_NEEDED, data.fee.amounts.reduction_pending),
        (FEE_REFUND_DUE, data.fee.amounts.refund_due_pence > 0),
        (OBJECTION_OPEN, open_objections(&data).next().is_some()),
    ];
    flags
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(label, _)| label.to_owned())
        .collect()
}
