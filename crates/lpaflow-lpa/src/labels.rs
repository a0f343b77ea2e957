//! Labels that index an LPA for caseworker queues (`Rules::labels`): the store keeps them in step with the
//! instance, so "every LPA with a blocking finding" or "every fee decision waiting" is one indexed query.
//! They are read from the stored data as the last action left it.

use crate::application::{Channel, LpaType};
use crate::data::LpaData;
use crate::objections::open_objections;
use crate::states::LpaState;
use lpaflow_core::{Instance, Reading};

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
/// Any token subject may own a case (an email, `auth0|...`), so the actor is escaped into the label: letters,
/// digits, `-`, `.` and `:` stay; every other byte becomes `_` and two hex digits.
pub fn owner(actor: &str) -> String {
    let mut label = String::with_capacity(OWNER_PREFIX.len() + actor.len());
    label.push_str(OWNER_PREFIX);
    for b in actor.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':') {
            label.push(char::from(b));
        } else {
            label.push_str(&format!("_{b:02x}"));
        }
    }
    label
}

/// The actor an `owner:` label names ([`owner`] undone); `None` for any other label.
pub fn owner_in(label: &str) -> Option<String> {
    let escaped = label.strip_prefix(OWNER_PREFIX)?.as_bytes();
    let mut bytes = Vec::with_capacity(escaped.len());
    let mut i = 0;
    while i < escaped.len() {
        if escaped[i] == b'_' {
            let hex = std::str::from_utf8(escaped.get(i + 1..i + 3)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            bytes.push(escaped[i]);
            i += 1;
        }
    }
    String::from_utf8(bytes).ok()
}

/// The labels of `instance` (none when its data cannot be read).
pub fn labels(instance: &Instance, reading: &Reading) -> Vec<String> {
    let read = LpaData::read(&instance.data, reading);
    let Ok(data) = read.as_ref() else {
        return Vec::new();
    };
    // Only values the LPA Store knows become labels: a paper application is stored with whatever was
    // keyed in, and a label must never carry free text. Read as text, not through the whole application's
    // validation: labels are computed on every command.
    let known = |key: &str, valid: fn(&str) -> bool| {
        data.application
            .get(key)
            .and_then(serde_json::Value::as_str)
            .filter(|v| valid(v))
    };
    let channel = known("channel", |v| Channel::from_wire(v).is_valid());
    let lpa_type = known("lpaType", |v| LpaType::from_wire(v).is_valid());
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
        (OBJECTION_OPEN, open_objections(data).next().is_some()),
        (PAPER_OPEN, channel == Some("paper") && before_waiting),
    ];
    let named = [
        data.case_owner.as_ref().map(|o| owner(&o.actor)),
        lpa_type.map(|t| format!("{TYPE_PREFIX}{t}")),
        channel.map(|c| format!("{CHANNEL_PREFIX}{c}")),
    ];
    flags
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(label, _)| label.to_owned())
        .chain(named.into_iter().flatten())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_token_subject_owns_a_case_through_an_escaped_label() {
        for actor in [
            "cw-1",
            "ada@example.org",
            "auth0|5f7c_x",
            "urn:opg:caseworker:7",
            "é",
        ] {
            let label = owner(actor);
            assert!(
                label
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'|' && b != b'@'),
                "{label}"
            );
            assert_eq!(owner_in(&label).as_deref(), Some(actor), "{label}");
        }
        assert_eq!(owner_in("fee:decision_needed"), None);
        assert_eq!(owner_in("owner:_zz"), None);
    }
}
