//! Every check of `verify_chain`, one tampering each: each case is caught by exactly the check it names, so
//! removing any single check makes its case fail (it would pass, or be reported by another check).
#![allow(clippy::unwrap_used)]

use chrono::DateTime;
use lpaflow_core::history::{
    Binding, BreakKind, ChainBreak, ChainHead, Coverage, FORMAT_RULED, GENESIS_HASH, StoredEntry,
    chain_hash, format_of, verify_chain,
};
use lpaflow_core::{Actor, EventName, HistoryEntry, InstanceId, RoleName, StateName, WorkflowRef};
use serde_json::json;

fn id() -> InstanceId {
    InstanceId::new("M-CHEC-KSCH-AIN1")
}

/// Entry `seq`, bound (hash format 2) or not (format 1, written before the state was bound).
fn entry(seq: u64, bound: bool) -> HistoryEntry {
    HistoryEntry {
        seq,
        at: DateTime::from_timestamp_micros(1_700_000_000_000_000 + seq as i64).unwrap(),
        actor: Actor::new("urn:test:actor"),
        role: RoleName::new("service"),
        event: EventName::new("touch"),
        from: (seq > 1).then(|| StateName::new("a")),
        to: StateName::new("a"),
        payload: json!({"n": seq}),
        changes: vec![],
        workflow: WorkflowRef {
            name: "w".into(),
            version: 1,
        },
        rules: None,
        binding: bound.then(|| Binding {
            state: format!("state after {seq}"),
            timers: json!({"set": [], "cancel": []}),
        }),
    }
}

/// The rows and head the store would hold for these entries, hashes computed as it computes them.
fn chain(entries: Vec<HistoryEntry>) -> (Vec<StoredEntry>, ChainHead) {
    let mut prev = GENESIS_HASH.to_owned();
    let mut rows = Vec::new();
    for entry in entries {
        let hash = chain_hash(&prev, &id(), &entry);
        rows.push(StoredEntry {
            entry,
            prev_hash: prev,
            hash: hash.clone(),
        });
        prev = hash;
    }
    let head = ChainHead {
        revision: rows.len() as u64,
        hash: prev,
        state: rows
            .last()
            .and_then(|r| r.entry.binding.as_ref())
            .map(|b| b.state.clone())
            .unwrap_or_default(),
    };
    (rows, head)
}

/// Two entries from before format 2, then two bound ones: a database upgraded in its life.
fn upgraded() -> (Vec<StoredEntry>, ChainHead) {
    chain(vec![
        entry(1, false),
        entry(2, false),
        entry(3, true),
        entry(4, true),
    ])
}

#[track_caller]
fn check(
    (rows, head): (Vec<StoredEntry>, ChainHead),
    expected: Result<Coverage, (u64, BreakKind)>,
) {
    let got = verify_chain(&id(), &rows, &head).map_err(|ChainBreak { seq, kind, .. }| (seq, kind));
    assert_eq!(got, expected);
}

#[test]
fn an_untouched_chain_vouches_for_the_instance() {
    check(upgraded(), Ok(Coverage::StateBound));
}

#[test]
fn a_chain_from_before_format_2_still_verifies_its_history() {
    check(
        chain(vec![entry(1, false), entry(2, false)]),
        Ok(Coverage::HistoryOnly),
    );
}

#[test]
fn a_missing_entry_is_a_sequence_break() {
    let (mut rows, head) = upgraded();
    rows.remove(1);
    check((rows, head), Err((2, BreakKind::Sequence)));
}

#[test]
fn a_rewritten_prev_hash_is_caught_even_when_the_hashes_still_chain() {
    let (mut rows, head) = upgraded();
    rows[2].prev_hash = "f".repeat(64);
    check((rows, head), Err((3, BreakKind::PrevHash)));
}

#[test]
fn an_edited_entry_no_longer_matches_its_hash() {
    let (mut rows, head) = upgraded();
    rows[1].entry.payload = json!({"n": 99});
    check((rows, head), Err((2, BreakKind::Content)));
}

#[test]
fn an_entry_rewritten_in_the_older_format_is_a_downgrade() {
    let mut entries: Vec<HistoryEntry> = upgraded().0.into_iter().map(|r| r.entry).collect();
    entries[3].binding = None;
    check(chain(entries), Err((4, BreakKind::Downgrade)));
}

#[test]
fn a_history_shorter_than_the_revision_is_a_length_break() {
    let (mut rows, mut head) = upgraded();
    rows.pop();
    head.hash = rows[2].hash.clone();
    head.state = "state after 3".to_owned();
    check((rows, head), Err((4, BreakKind::Length)));
}

#[test]
fn a_last_entry_that_is_not_the_recorded_head_is_a_head_break() {
    let (rows, mut head) = upgraded();
    head.hash = "e".repeat(64);
    check((rows, head), Err((4, BreakKind::Head)));
}

#[test]
fn an_instance_row_its_last_entry_did_not_produce_is_a_state_break() {
    let (rows, mut head) = upgraded();
    head.state = "state someone wrote by hand".to_owned();
    check((rows, head), Err((4, BreakKind::State)));
}

#[test]
fn a_format_2_entry_hashes_its_binding() {
    let bound = entry(1, true);
    let mut other = bound.clone();
    if let Some(b) = other.binding.as_mut() {
        b.state = "another state".to_owned();
    }
    assert_ne!(
        chain_hash(GENESIS_HASH, &id(), &bound),
        chain_hash(GENESIS_HASH, &id(), &other)
    );
    let unbound = entry(1, false);
    assert_ne!(
        chain_hash(GENESIS_HASH, &id(), &bound),
        chain_hash(GENESIS_HASH, &id(), &unbound)
    );
}

/// Entry `seq` in hash format 3: bound, and naming the rules that decided it.
fn ruled(seq: u64) -> HistoryEntry {
    HistoryEntry {
        rules: Some("plain/1@UTC".to_owned()),
        ..entry(seq, true)
    }
}

#[test]
fn a_chain_upgraded_twice_verifies() {
    let entries = vec![entry(1, false), entry(2, true), ruled(3), ruled(4)];
    check(chain(entries), Ok(Coverage::StateBound));
}

#[test]
fn an_entry_stripped_of_its_rules_after_a_format_3_one_is_a_downgrade() {
    let entries = vec![entry(1, true), ruled(2), entry(3, true), ruled(4)];
    check(chain(entries), Err((3, BreakKind::Downgrade)));
}

#[test]
fn a_format_3_entry_hashes_its_rules_version() {
    let ruled_entry = ruled(1);
    let mut other = ruled_entry.clone();
    other.rules = Some("plain/2@UTC".to_owned());
    assert_ne!(
        chain_hash(GENESIS_HASH, &id(), &ruled_entry),
        chain_hash(GENESIS_HASH, &id(), &other)
    );
    assert_ne!(
        chain_hash(GENESIS_HASH, &id(), &ruled_entry),
        chain_hash(GENESIS_HASH, &id(), &entry(1, true))
    );
    assert_eq!(format_of(&ruled_entry), FORMAT_RULED);
}
