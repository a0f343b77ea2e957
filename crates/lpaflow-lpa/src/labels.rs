//! Labels that index an LPA for caseworker queues (`Rules::labels`): the store keeps them in step with the
//! instance, so "every LPA with a blocking finding" or "every fee decision waiting" is one indexed query.
//! They are read from the stored data as the last action left it.

use crate::data::LpaData;
use crate::objections::open_objections;
use crate::states::LpaState;
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
/// A paper application not yet in its waiting period: caseworkers key in what arrives by post.
pub const PAPER_OPEN: &str = "paper:open";
/// The prefix of the label naming the caseworker who has the case (`owner:<actor>`).
pub const OWNER_PREFIX: &str = "owner:";
/// The prefix of the label naming the LPA type (`type:property-and-affairs`).
pub const TYPE_PREFIX: &str = "type:";
/// The prefix of the label naming the channel (`channel:paper`).
pub const CHANNEL_PREFIX: &str = "channel:";

/// The label of the cases `actor` has.
pub fn owner(actor: &str) -> String {
    format!("{OWNER_PREFIX}{actor}")
}

/// The labels of `instance` (none when its data cannot be read).
pub fn labels(instance: &Instance) -> Vec<String> {
    let Ok(data) = LpaData::load(&instance.data) else {
        return Vec::new();
    };
    let channel = text(&data.application, "channel");
    let before_waiting = LpaState::of(&instance.state).is_some_and(|s| {
        matches!(
            s,
            LpaState::Created
                | LpaState::Safeguarding
                | LpaState::DiscountEligibility
                | LpaState::Signing
        )
    });
    let flags = [
        (FINDING_OPEN, data.findings.iter().any(|f| f.is_open())),
        (FINDING_BLOCKING, data.findings.iter().any(|f| f.blocks())),
        (FEE_DECISION_NEEDED, data.fee.amounts.reduction_pending),
        (FEE_REFUND_DUE, data.fee.amounts.refund_due_pence > 0),
        (OBJECTION_OPEN, open_objections(&data).next().is_some()),
        (PAPER_OPEN, channel == Some("paper") && before_waiting),
    ];
    let named = [
        data.case_owner.as_ref().map(|o| owner(&o.actor)),
        text(&data.application, "lpaType").map(|t| format!("{TYPE_PREFIX}{t}")),
        channel.map(|c| format!("{CHANNEL_PREFIX}{c}")),
    ];
    flags
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(label, _)| label.to_owned())
        .chain(named.into_iter().flatten().filter(|l| valid_label(l)))
        .collect()
}

fn text<'a>(application: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    application.get(key).and_then(|v| v.as_str())
}

/// A value a service sent (the LPA type, the channel) becomes a label only if it is short and plain, so a
/// label never carries free text.
fn valid_label(label: &str) -> bool {
    label.len() <= 80 && lpaflow_core::names::name_problem(label).is_none()
}
