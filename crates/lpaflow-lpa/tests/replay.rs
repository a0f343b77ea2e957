//! `lpaflow_core::replay` over whole LPAs decided by the real `workflows/lpa.toml` and `LpaRules`, bound as the
//! store binds them: genuine history replays; an automatic transition is checked both ways (taken when due, at
//! the same time; never invented) and a history may not end while one is due; entries may not go back in time.
//! (The same checks through the binary and both databases: `tests/audit_replay.rs` at the root.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::TimeDelta;
use common::{Lpa, UID, application};
use lpaflow_core::history::{Binding, Snapshot, StoredEntry, stored_text};
use lpaflow_core::replay::{Interpreters, RulesOf, replay_chain};
use lpaflow_core::{Actor, BusinessZone, InstanceId, RoleName, WorkflowDef, WorkflowRef};
use lpaflow_lpa::LpaRules;

struct ThisBuild(WorkflowDef);

impl Interpreters for ThisBuild {
    fn definition(&self, workflow: &WorkflowRef) -> Option<&WorkflowDef> {
        (workflow == self.0.reference()).then_some(&self.0)
    }

    fn rules(&self, version: &str) -> RulesOf {
        LpaRules::of_version(version, BusinessZone::LONDON)
    }
}

/// The LPA's history as the store writes it: each entry bound to the instance it produced (hashes are not
/// replay's business: the chain is verified before).
fn rows(lpa: &Lpa) -> Vec<StoredEntry> {
    lpa.decisions
        .iter()
        .map(|d| {
            let (data, awaiting) = stored_text(&d.instance);
            let snapshot = Snapshot::of(&d.instance, &data, awaiting.as_deref());
            let mut entry = d.entry.clone();
            entry.binding = Some(Binding::of(&snapshot, &d.effects));
            StoredEntry {
                entry,
                prev_hash: String::new(),
                hash: String::new(),
            }
        })
        .collect()
}

fn replay(lpa: &Lpa, rows: &[StoredEntry]) -> Result<u64, (u64, String)> {
    replay_chain(&ThisBuild(lpa.def.clone()), &InstanceId::new(UID), rows)
        .map(|r| r.entries)
        .map_err(|b| (b.seq, b.reason))
}

fn signed() -> Lpa {
    let mut lpa = Lpa::ready_to_sign(application());
    lpa.advance(TimeDelta::hours(1));
    lpa.sign_all();
    lpa
}

/// The index of the first automatic entry.
fn first_automatic(rows: &[StoredEntry]) -> usize {
    rows.iter()
        .position(|r| r.entry.actor.as_str() == "system:automatic")
        .expect("submitting and paying make automatic transitions")
}

#[test]
fn a_whole_lpa_replays() {
    let lpa = signed();
    let rows = rows(&lpa);
    assert_eq!(replay(&lpa, &rows), Ok(rows.len() as u64));
}

#[test]
fn a_due_automatic_transition_recorded_as_a_command_is_unlawful() {
    let lpa = signed();
    let mut rows = rows(&lpa);
    let a = first_automatic(&rows);
    rows[a].entry.actor = Actor::new("urn:test:service");
    rows[a].entry.role = RoleName::new("service");
    let (seq, reason) = replay(&lpa, &rows).unwrap_err();
    assert_eq!(seq, a as u64 + 1);
    assert!(reason.contains("was due right after entry"), "{reason}");
}

#[test]
fn an_automatic_transition_no_entry_made_due_is_unlawful() {
    let lpa = signed();
    let mut rows = rows(&lpa);
    let submit = rows.iter().position(|r| r.entry.event == "submit").unwrap();
    rows[submit].entry.actor = Actor::new("system:automatic");
    rows[submit].entry.role = RoleName::system();
    let (seq, reason) = replay(&lpa, &rows).unwrap_err();
    assert_eq!(seq, submit as u64 + 1);
    assert!(reason.contains("no entry before it made due"), "{reason}");
}

#[test]
fn a_history_cut_while_an_automatic_transition_is_due_is_unlawful() {
    let lpa = signed();
    let rows = rows(&lpa);
    let a = first_automatic(&rows);
    let (seq, reason) = replay(&lpa, &rows[..a]).unwrap_err();
    assert_eq!(seq, a as u64, "named at the entry that made it due");
    assert!(reason.contains("the history ends"), "{reason}");
}

#[test]
fn an_entry_dated_before_the_one_it_follows_is_unlawful() {
    let lpa = signed();
    let mut rows = rows(&lpa);
    let last = rows.len() - 1;
    rows[last].entry.at = rows[last - 1].entry.at - TimeDelta::seconds(1);
    let (seq, reason) = replay(&lpa, &rows).unwrap_err();
    assert_eq!(seq, last as u64 + 1);
    assert!(reason.contains("dated before"), "{reason}");
}

/// `rows` as interpreter version 1 recorded them: every array that changed, whole, and `core/1`.
fn as_version_1(rows: &mut [StoredEntry], lpa: &Lpa) {
    let unborn = lpaflow_core::Data::empty();
    let mut before = &unborn;
    for (row, d) in rows.iter_mut().zip(&lpa.decisions) {
        row.entry.changes = before.changes_whole_arrays_to(&d.instance.data);
        let rules = row.entry.rules.as_deref().unwrap();
        row.entry.rules = Some(rules.replacen("core/2 ", "core/1 ", 1));
        before = &d.instance.data;
    }
}

/// A signed LPA with two payments: the payments list changes, which interpreter versions 1 and 2 record
/// differently.
fn paid_twice() -> Lpa {
    let mut lpa = signed();
    lpa.service("record_payment", serde_json::json!({"amountPence": 100}));
    lpa.service("record_payment", serde_json::json!({"amountPence": 200}));
    lpa
}

#[test]
fn entries_of_interpreter_version_1_still_replay() {
    let lpa = paid_twice();
    let mut rows = rows(&lpa);
    let last = rows.last().unwrap().entry.changes.clone();
    assert!(
        last.iter()
            .any(|c| c.pointer.starts_with("/fee/payments/") && c.old.is_none()),
        "version 2 records the appended payment alone: {last:?}"
    );
    as_version_1(&mut rows, &lpa);
    let old = &rows.last().unwrap().entry.changes;
    assert!(old.iter().any(|c| c.pointer == "/fee/payments"), "{old:?}");
    assert_eq!(replay(&lpa, &rows), Ok(rows.len() as u64));
}

#[test]
fn a_version_1_entry_with_version_2_changes_is_unlawful() {
    let lpa = paid_twice();
    let mut rows = rows(&lpa);
    let genuine = rows.last().unwrap().entry.changes.clone();
    as_version_1(&mut rows, &lpa);
    let last = rows.len() - 1;
    rows[last].entry.changes = genuine;
    let (seq, reason) = replay(&lpa, &rows).unwrap_err();
    assert_eq!(seq, last as u64 + 1);
    assert!(reason.contains("changes to the data"), "{reason}");
}
