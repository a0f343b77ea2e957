//! Lawful history: re-run every recorded command through the pure interpreter and check that it was allowed and
//! produced what was recorded.
//!
//! A hash chain proves that the history was not changed after it was written; it cannot prove that what was
//! written was lawful (a process with a bug, or an attacker who writes through lpaflow's own tables with a
//! correctly computed hash, could record a transition the definition never allows). Replay closes that gap: from
//! the first entry on, each entry's command (event, actor, role, payload, time) is decided again with the
//! definition the LPA is pinned to and the rules version the entry records, and the decision must equal the
//! entry: the same states, the same changes, the same instance digest and the same timers.
//!
//! Only entries in hash format 3 name the rules that decided them. An entry without a rules version, or with one
//! this build does not have, is "not replayable by this build", never tampering, and so is every later entry of
//! the same LPA (its state before them cannot be recomputed).

use crate::command::Command;
use crate::decision::{Decision, HistoryEntry};
use crate::definition::{WorkflowDef, WorkflowRef};
use crate::history::{Binding, BreakKind, ChainBreak, Snapshot, StoredEntry, stored_text};
use crate::instance::Instance;
use crate::interpreter::{decide, decide_create};
use crate::names::InstanceId;
use crate::rules::Rules;

/// What a replay needs: the definitions LPAs are pinned to and the rules that decided their entries.
pub trait Interpreters: Send + Sync {
    /// The definition `workflow` names, if this build has it.
    fn definition(&self, workflow: &WorkflowRef) -> Option<&WorkflowDef>;

    /// Rules that decide exactly as the rules of `version` did ([`Rules::version`]), if this build has them.
    fn rules(&self, version: &str) -> Option<Box<dyn Rules>>;
}

/// How much of one chain was replayed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Entries decided again and found as recorded.
    pub entries: u64,
    /// Entries this build cannot replay (no rules version recorded, or rules or a definition it does not have).
    pub not_replayable: u64,
}

/// Replays a chain whose hashes already verified, from its first entry. `Err` names the first entry that is not
/// what the definition and its rules decide ([`BreakKind::Unlawful`]).
pub fn replay_chain(
    by: &dyn Interpreters,
    id: &InstanceId,
    rows: &[StoredEntry],
) -> Result<Replayed, ChainBreak> {
    let mut before: Option<Instance> = None;
    for (i, row) in rows.iter().enumerate() {
        let entry = &row.entry;
        let (Some(def), Some(rules)) = (
            by.definition(&entry.workflow),
            entry.rules.as_deref().and_then(|v| by.rules(v)),
        ) else {
            return Ok(Replayed {
                entries: i as u64,
                not_replayable: (rows.len() - i) as u64,
            });
        };
        let decision = decide_again(def, rules.as_ref(), id, before.as_ref(), entry)?;
        before = Some(decision.instance);
    }
    Ok(Replayed {
        entries: rows.len() as u64,
        not_replayable: 0,
    })
}

/// The decision `entry`'s command gets from `before` (`None`: the creation), checked against the entry.
fn decide_again(
    def: &WorkflowDef,
    rules: &dyn Rules,
    id: &InstanceId,
    before: Option<&Instance>,
    entry: &HistoryEntry,
) -> Result<Decision, ChainBreak> {
    let command = Command {
        event: entry.event.clone(),
        actor: entry.actor.clone(),
        role: entry.role.clone(),
        payload: entry.payload.clone(),
        expected_revision: None,
    };
    let decided = match before {
        None => decide_create(def, rules, id.clone(), &command, entry.at),
        Some(instance) => decide(def, rules, instance, &command, entry.at),
    };
    let decision = decided.map_err(|rejection| {
        unlawful(
            entry.seq,
            format!(
                "the definition and its rules refuse the recorded command ({}: {rejection})",
                entry.event
            ),
        )
    })?;
    match difference(&decision, entry) {
        None => Ok(decision),
        Some(what) => Err(unlawful(entry.seq, what)),
    }
}

/// The first way `entry` differs from the decision, if any.
fn difference(decision: &Decision, entry: &HistoryEntry) -> Option<String> {
    let again = &decision.entry;
    if again.seq != entry.seq {
        return Some(format!(
            "entry {} follows revision {}, not {}",
            entry.seq,
            again.seq.saturating_sub(1),
            entry.seq.saturating_sub(1)
        ));
    }
    if again.to != entry.to || again.from != entry.from {
        return Some(format!(
            "it records the state {} but the rules lead to {}",
            entry.to, again.to
        ));
    }
    if again.changes != entry.changes {
        return Some("its changes to the data are not those the rules make".to_owned());
    }
    let (data, awaiting) = stored_text(&decision.instance);
    let snapshot = Snapshot::of(&decision.instance, &data, awaiting.as_deref());
    let expected = Binding::of(&snapshot, &decision.effects);
    let recorded = entry.binding.as_ref()?;
    if recorded.state != expected.state {
        return Some("the instance it records is not the one the rules produce".to_owned());
    }
    if recorded.timers != expected.timers {
        return Some("the timers it records are not those the rules set".to_owned());
    }
    None
}

fn unlawful(seq: u64, reason: String) -> ChainBreak {
    ChainBreak::new(seq, BreakKind::Unlawful, format!("not lawful: {reason}"))
}
