//! Lawful history: re-run every recorded command through the pure interpreter and check that it was allowed and
//! produced what was recorded.
//!
//! A hash chain proves that the history was not changed after it was written; it cannot prove that what was
//! written was lawful (a process with a bug, or an attacker who writes through lpaflow's own tables with a
//! correctly computed hash, could record a transition the definition never allows). Replay closes that gap: from
//! the first entry on, each entry's command (event, actor, role, payload, time) is decided again with the
//! definition the LPA is pinned to and the interpreter and rules versions the entry records, and the decision
//! must equal the entry: the same states, the same changes, the same instance digest and the same timers.
//!
//! Only entries in hash format 3 name what decided them. An entry without a version, or with a version this
//! build knows was released but no longer carries ([`RulesOf::Retired`]), is "not replayable by this build",
//! never tampering, and so is every later entry of the same LPA (its state before them cannot be recomputed).
//! A version that was never released, or another zone than the deployment's, is itself unlawful: otherwise
//! rewriting an entry's version would switch replay off for its LPA.
//!
//! Automatic transitions are checked both ways: the runtime takes the first accepted follow-up of a decision in
//! the same commit ([`crate::interpreter::follow_ups`]), so after each entry the replay knows whether an
//! automatic entry must come next (that event, at the same time) or must not.

use crate::command::Command;
use crate::decision::{Decision, HistoryEntry};
use crate::definition::{WorkflowDef, WorkflowRef};
use crate::history::{Binding, BreakKind, ChainBreak, Snapshot, StoredEntry, stored_text};
use crate::instance::Instance;
use crate::interpreter::{AUTOMATIC_ACTOR, MAX_FOLLOW_UPS, decide, decide_create, next_follow_up};
use crate::names::EventName;
use crate::names::InstanceId;
use crate::rules::Rules;

/// The version of what the interpreter itself decides (check order, diffs, timers, waits, follow-ups). Increase
/// it in the same change as anything in this crate that makes the same definition and rules decide differently.
///
/// Version 2 records an array's changes index by index (`json::diff`); version 1 recorded each array that
/// changed whole, old and new. Nothing else differs, so this build still replays version 1's entries: it
/// decides them as version 2 does and records their changes as version 1 did ([`json::diff_whole_arrays`]).
pub const INTERPRETER_VERSION: u32 = 2;

/// What every history entry records as its deciders: `core/<INTERPRETER_VERSION> <rules.version()>`.
pub fn recorded_version(rules: &dyn Rules) -> String {
    format!("core/{INTERPRETER_VERSION} {}", rules.version())
}

/// What an [`Interpreters`] has for a rules version.
pub enum RulesOf {
    /// Rules that decide exactly as that version did.
    Rules(Box<dyn Rules>),
    /// A version that was released and decided entries, but that this build no longer carries.
    Retired,
    /// A version that was never released, or of another zone than the deployment's: no lpaflow wrote it.
    Unknown,
}

/// What a replay needs: the definitions LPAs are pinned to and the rules that decided their entries.
pub trait Interpreters: Send + Sync {
    /// The definition `workflow` names, if this build has it.
    fn definition(&self, workflow: &WorkflowRef) -> Option<&WorkflowDef>;

    /// The rules of `version` ([`Rules::version`]).
    fn rules(&self, version: &str) -> RulesOf;
}

/// How much of one chain was replayed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Entries decided again and found as recorded.
    pub entries: u64,
    /// Entries this build cannot replay (no version recorded, or rules of a retired version).
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
    let mut automatic = Automatic::default();
    for (i, row) in rows.iter().enumerate() {
        let entry = &row.entry;
        let Some((rules, version)) = rules_of(by, entry)? else {
            return Ok(Replayed {
                entries: i as u64,
                not_replayable: (rows.len() - i) as u64,
            });
        };
        automatic.check(entry)?;
        let def = by.definition(&entry.workflow).ok_or_else(|| {
            unlawful(
                entry.seq,
                format!(
                    "it names {}, a definition no LPA is pinned to",
                    entry.workflow
                ),
            )
        })?;
        if let Some(previous) = &before
            && entry.at < previous.updated_at
        {
            return Err(unlawful(
                entry.seq,
                "it is dated before the entry it follows".to_owned(),
            ));
        }
        let decision = decide_again(def, (rules.as_ref(), version), id, before.as_ref(), entry)?;
        automatic.after(def, rules.as_ref(), &decision);
        before = Some(decision.instance);
    }
    automatic.at_end()?;
    Ok(Replayed {
        entries: rows.len() as u64,
        not_replayable: 0,
    })
}

/// The automatic transition the last replayed entry makes due, and how many were taken in a row.
#[derive(Default)]
struct Automatic {
    /// The event due next, the entry that made it due, and when.
    due: Option<(EventName, u64, chrono::DateTime<chrono::Utc>)>,
    /// Automatic entries since the last command (the runtime takes at most [`MAX_FOLLOW_UPS`]).
    taken: usize,
}

impl Automatic {
    /// `entry` is automatic exactly when a follow-up is due, and then it is that event at that time.
    fn check(&mut self, entry: &HistoryEntry) -> Result<(), ChainBreak> {
        let is_automatic = entry.role.is_system() && entry.actor.as_str() == AUTOMATIC_ACTOR;
        match (&self.due, is_automatic) {
            (Some((event, _, at)), true) if *event == entry.event && *at == entry.at => {
                self.taken += 1;
                Ok(())
            }
            (Some((event, after, _)), _) => Err(unlawful(
                entry.seq,
                format!(
                    "the automatic transition {event} was due right after entry {after}, but this entry is \
                     {} by {}",
                    entry.event, entry.actor
                ),
            )),
            (None, true) => Err(unlawful(
                entry.seq,
                "it is an automatic transition that no entry before it made due".to_owned(),
            )),
            (None, false) => {
                self.taken = 0;
                Ok(())
            }
        }
    }

    /// Learns what `decision` makes due next.
    fn after(&mut self, def: &WorkflowDef, rules: &dyn Rules, decision: &Decision) {
        let at = decision.entry.at;
        self.due = (self.taken < MAX_FOLLOW_UPS)
            .then(|| next_follow_up(def, rules, decision, at))
            .flatten()
            .map(|next| (next.entry.event, decision.entry.seq, at));
    }

    /// The history may not end while an automatic transition is due (its commit would have held it).
    fn at_end(&self) -> Result<(), ChainBreak> {
        match &self.due {
            None => Ok(()),
            Some((event, after, _)) => Err(unlawful(
                *after,
                format!(
                    "the automatic transition {event} was due right after it, but the history ends"
                ),
            )),
        }
    }
}

/// The rules an entry names and the version of the interpreter that decided it.
type Deciders = (Box<dyn Rules>, u32);

/// The rules to replay `entry` with and the interpreter version that decided it: `None` when this build cannot
/// (no version recorded, or a retired one).
fn rules_of(by: &dyn Interpreters, entry: &HistoryEntry) -> Result<Option<Deciders>, ChainBreak> {
    let Some(recorded) = entry.rules.as_deref() else {
        return Ok(None);
    };
    let never = |what: &str| {
        unlawful(
            entry.seq,
            format!(
                "it names {what} {recorded:?}, which no release of lpaflow deciding here wrote"
            ),
        )
    };
    let (interpreter, rules) = recorded
        .split_once(' ')
        .ok_or_else(|| never("the deciders"))?;
    let version: u32 = interpreter
        .strip_prefix("core/")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| never("the interpreter"))?;
    // Every version from 1 is replayed (version 1 with its changes recorded as it did). When the rules'
    // version next changes, the rules versions released under interpreter 1 must be checked here too: an
    // entry naming interpreter 1 with rules no release of it decided with would otherwise be replayed.
    if version == 0 || version > INTERPRETER_VERSION {
        return Err(never("the interpreter"));
    }
    match by.rules(rules) {
        RulesOf::Rules(r) => Ok(Some((r, version))),
        RulesOf::Retired => Ok(None),
        RulesOf::Unknown => Err(never("the rules")),
    }
}

/// The decision `entry`'s command gets from `before` (`None`: the creation), checked against the entry.
fn decide_again(
    def: &WorkflowDef,
    (rules, version): (&dyn Rules, u32),
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
    let mut decision = decided.map_err(|rejection| {
        unlawful(
            entry.seq,
            format!(
                "the definition and its rules refuse the recorded command ({}: {rejection})",
                entry.event
            ),
        )
    })?;
    if version < INTERPRETER_VERSION {
        as_recorded_by(version, rules, before, &mut decision);
    }
    match difference(&decision, entry) {
        None => Ok(decision),
        Some(what) => Err(unlawful(entry.seq, what)),
    }
}

/// `decision` as interpreter `version` recorded it: version 1 differs from this one only in its changes
/// (arrays whole, [`INTERPRETER_VERSION`]).
fn as_recorded_by(
    version: u32,
    rules: &dyn Rules,
    before: Option<&Instance>,
    decision: &mut Decision,
) {
    let unborn = Instance::unborn_data();
    let old = before.map_or(&unborn, |b| &b.data);
    decision.entry.changes = old.changes_whole_arrays_to(&decision.instance.data);
    decision.entry.rules = Some(format!("core/{version} {}", rules.version()));
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
    if again.rules != entry.rules {
        return Some("it names other deciders than those that replayed it".to_owned());
    }
    let Some(recorded) = entry.binding.as_ref() else {
        return Some("it records no instance, although it names its deciders".to_owned());
    };
    let (data, awaiting) = stored_text(&decision.instance);
    let snapshot = Snapshot::of(&decision.instance, &data, awaiting.as_deref());
    let expected = Binding::of(&snapshot, &decision.effects);
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
