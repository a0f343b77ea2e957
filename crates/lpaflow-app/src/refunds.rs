//! The fee refund counters: the pence of refunds avoided (a reduction decided before overpayment) and of refunds
//! that became due, added from the history entries of every command the engine commits (and its follow-ups),
//! whichever adapter or loop asked. Every rise of an LPA's figure counts, so a refund due and then paid out
//! counts once. A replayed idempotent answer commits nothing and adds nothing.

use lpaflow_core::Decision;
use lpaflow_lpa::RefundTotals;
use lpaflow_lpa::fee_report::refund_increments;

/// Pence of refunds avoided by deciding a reduction before overpayment.
pub const FEE_REFUND_AVOIDED: &str = "lpaflow_fee_refund_avoided_pence_total";
/// Pence of refunds that became due.
pub const FEE_REFUND_DUE: &str = "lpaflow_fee_refund_due_pence_total";

/// Lists both counters at 0 (call once the recorder is installed).
pub fn register() {
    add(RefundTotals::default());
}

/// Adds the refund figures' rises in the history entries of a committed command (and its follow-ups). The
/// engine calls it with every commit (`EngineOptions::on_commit`, set by `LpaEngine` in `wiring.rs`; a service
/// over an engine built otherwise counts nothing), also when the command's caller went away meanwhile, so the
/// counters are never left short.
pub(crate) fn record_committed(decisions: &[Decision]) {
    let rises = decisions
        .iter()
        .map(|d| refund_increments(d.entry.event.as_str(), &d.entry.changes))
        .fold(RefundTotals::default(), |a, b| a + b);
    add(rises);
}

fn add(rises: RefundTotals) {
    let pence = |p: i64| u64::try_from(p).unwrap_or(0);
    metrics::counter!(FEE_REFUND_AVOIDED).increment(pence(rises.refund_avoided_pence));
    metrics::counter!(FEE_REFUND_DUE).increment(pence(rises.refund_due_pence));
}
