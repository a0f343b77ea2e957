//! A validated workflow definition. The only way to get a [`WorkflowDef`] is [`crate::validate`], so code that
//! holds one may rely on every invariant listed there (states exist, roles/guards/steps are known, no transition
//! leaves a terminal state, every state can reach a terminal state).

use crate::names::{ActionName, EventName, GuardName, RoleName, StateName, StepName, TimerName};
use crate::zone::BusinessZone;
use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Identifies one version of one workflow; instances are pinned to it for life.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct WorkflowRef {
    /// Workflow name, e.g. `lpa`.
    pub name: String,
    /// Version declared in the file (a positive integer).
    pub version: u32,
}

impl fmt::Display for WorkflowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@v{}", self.name, self.version)
    }
}

/// How a step's confirmation relates to the instance's progress.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Delivery {
    /// The instance moves on at once; the step is delivered later, in order.
    Background,
    /// The instance waits (`awaiting_sync`) until the step is confirmed, then the engine fires the step's `then`
    /// event as `system`.
    Blocking,
}

/// A named operation toward an external system, enqueued in the outbox when its transition commits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepDef {
    /// The step handler's name, e.g. `opg.update:CERTIFICATE_PROVIDER_SIGN`.
    pub name: StepName,
    /// Background or blocking.
    pub delivery: Delivery,
    /// For blocking steps: the event the engine fires when the step is confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub then: Option<EventName>,
}

/// A timer set when an instance enters a state and cancelled when it leaves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimerDef {
    /// Unique within the state.
    pub name: TimerName,
    /// Delay after entering the state.
    #[serde(serialize_with = "serialize_delta")]
    pub after: TimeDelta,
    /// `at = "midnight"`: `after` counts whole local days of the business zone, beginning with the day the
    /// state was entered, and the timer fires at the local midnight that ends the last of them.
    #[serde(
        rename = "at",
        skip_serializing_if = "std::ops::Not::not",
        serialize_with = "serialize_midnight"
    )]
    pub at_midnight: bool,
    /// The event fired (as `system`) when the timer falls due.
    pub event: EventName,
}

impl TimerDef {
    /// When the timer falls due for a state entered at `entered`.
    pub fn due_at(&self, entered: DateTime<Utc>, zone: BusinessZone) -> DateTime<Utc> {
        if !self.at_midnight {
            return entered + self.after;
        }
        let days = u64::try_from(self.after.num_days()).unwrap_or(0);
        let first_day = zone.date_of(entered);
        zone.start_of(
            first_day
                .checked_add_days(Days::new(days))
                .unwrap_or(NaiveDate::MAX),
        )
    }
}

fn serialize_midnight<S: serde::Serializer>(_: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("midnight")
}

fn serialize_delta<S: serde::Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::duration::format_duration(*d))
}

/// One state of a workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StateDef {
    /// The state's name.
    pub name: StateName,
    /// Terminal states accept no event.
    pub terminal: bool,
    /// Timers set on entry.
    pub timers: Vec<TimerDef>,
    /// Plain words for people reading the graph or the console.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// How instances come into being: who may create them, the action that validates the initial data, and the
/// steps enqueued on creation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateDef {
    /// Roles allowed to create an instance.
    pub roles: Vec<RoleName>,
    /// Computes the initial data from the payload; without one, the payload is the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionName>,
    /// Steps enqueued when the instance is created.
    pub steps: Vec<StepDef>,
}

/// One transition: `event` moves an instance from any of `from` to `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransitionDef {
    /// The event's name.
    pub event: EventName,
    /// States the event is accepted in.
    pub from: Vec<StateName>,
    /// The state after the event; `None` for a transition that keeps the instance in whichever `from` state it
    /// is in (`stay = true` in the file). Staying keeps the state's timers running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<StateName>,
    /// Roles allowed to fire it (`system` for timers and automatic transitions).
    pub roles: Vec<RoleName>,
    /// Named guards; all must pass. A refusal lists every unmet condition of every guard.
    pub guards: Vec<GuardName>,
    /// Computes the new data (and may refuse the payload).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionName>,
    /// Steps enqueued, in order, when the transition commits.
    pub steps: Vec<StepDef>,
    /// Fired by the engine as soon as its guards pass in a `from` state.
    pub automatic: bool,
    /// Accepted even while the instance awaits a blocking step's confirmation (e.g. a caseworker's override).
    pub while_awaiting_sync: bool,
    /// Plain words for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl TransitionDef {
    /// The state an instance in `from` is in after this transition.
    pub fn target<'a>(&'a self, from: &'a StateName) -> &'a StateName {
        self.to.as_ref().unwrap_or(from)
    }

    /// True if `role` may fire this transition.
    pub fn allows(&self, role: &RoleName) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// The blocking step of this transition, if any (validation allows at most one).
    pub fn blocking_step(&self) -> Option<&StepDef> {
        self.steps.iter().find(|s| s.delivery == Delivery::Blocking)
    }
}

/// A validated workflow definition (see the module docs).
#[derive(Clone, Debug, Serialize)]
pub struct WorkflowDef {
    pub(crate) reference: WorkflowRef,
    pub(crate) hash: String,
    pub(crate) description: Option<String>,
    pub(crate) initial: StateName,
    pub(crate) states: Vec<StateDef>,
    pub(crate) create: CreateDef,
    pub(crate) transitions: Vec<TransitionDef>,
    #[serde(skip)]
    pub(crate) state_index: BTreeMap<StateName, usize>,
    #[serde(skip)]
    pub(crate) by_event_and_state: BTreeMap<(EventName, StateName), usize>,
}

impl WorkflowDef {
    /// Name and version.
    pub fn reference(&self) -> &WorkflowRef {
        &self.reference
    }

    /// The workflow's name.
    pub fn name(&self) -> &str {
        &self.reference.name
    }

    /// The declared version.
    pub fn version(&self) -> u32 {
        self.reference.version
    }

    /// Hex SHA-256 of the source text: two loads of different text under one version are told apart.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Plain words about the workflow.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The state new instances start in.
    pub fn initial(&self) -> &StateName {
        &self.initial
    }

    /// States in declaration order.
    pub fn states(&self) -> &[StateDef] {
        &self.states
    }

    /// Looks a state up by name.
    pub fn state(&self, name: &StateName) -> Option<&StateDef> {
        self.state_index.get(name).map(|i| &self.states[*i])
    }

    /// How instances are created.
    pub fn create(&self) -> &CreateDef {
        &self.create
    }

    /// Transitions in declaration order.
    pub fn transitions(&self) -> &[TransitionDef] {
        &self.transitions
    }

    /// The transition taken by `event` in `state`, if the event is accepted there.
    pub fn transition(&self, event: &EventName, state: &StateName) -> Option<&TransitionDef> {
        self.by_event_and_state
            .get(&(event.clone(), state.clone()))
            .map(|i| &self.transitions[*i])
    }

    /// Every transition with this event name (one per group of `from` states).
    pub fn transitions_for(&self, event: &EventName) -> impl Iterator<Item = &TransitionDef> {
        self.transitions.iter().filter(move |t| &t.event == event)
    }

    /// True if some transition has this event name.
    pub fn knows_event(&self, event: &EventName) -> bool {
        self.transitions.iter().any(|t| &t.event == event)
    }

    /// Distinct event names in declaration order.
    pub fn events(&self) -> Vec<&EventName> {
        let mut seen: Vec<&EventName> = Vec::new();
        for t in &self.transitions {
            if !seen.contains(&&t.event) {
                seen.push(&t.event);
            }
        }
        seen
    }

    /// Transitions the engine fires by itself from `state` when their guards pass.
    pub fn automatic_from<'a>(
        &'a self,
        state: &'a StateName,
    ) -> impl Iterator<Item = &'a TransitionDef> {
        self.transitions
            .iter()
            .filter(move |t| t.automatic && t.from.contains(state))
    }

    /// Transitions leaving `state` (for explanations: what could happen next).
    pub fn transitions_from<'a>(
        &'a self,
        state: &'a StateName,
    ) -> impl Iterator<Item = &'a TransitionDef> {
        self.transitions
            .iter()
            .filter(move |t| t.from.contains(state))
    }
}

#[cfg(test)]
mod timer_tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn timer(after_days: i64, at_midnight: bool) -> TimerDef {
        TimerDef {
            name: TimerName::new("t"),
            after: TimeDelta::days(after_days),
            at_midnight,
            event: EventName::new("e"),
        }
    }

    #[test]
    fn a_midnight_timer_counts_local_days_beginning_with_the_day_entered() {
        let london = BusinessZone::LONDON;
        let t = timer(28, true);
        // Entered at 00:30 BST on 15 June (23:30 UTC on 14 June): 28 days are 15 June..12 July; fires at the
        // midnight that begins 13 July, BST.
        assert_eq!(
            t.due_at(at("2026-06-14T23:30:00Z"), london),
            at("2026-07-12T23:00:00Z")
        );
        // Across the clock change in March (GMT to BST): midnight BST.
        assert_eq!(
            t.due_at(at("2026-03-10T15:00:00Z"), london),
            at("2026-04-06T23:00:00Z")
        );
        // Across the clock change in October (BST to GMT): midnight GMT.
        assert_eq!(
            t.due_at(at("2026-10-10T15:00:00Z"), london),
            at("2026-11-07T00:00:00Z")
        );
        // In UTC the same entry counts UTC days.
        assert_eq!(
            t.due_at(at("2026-06-14T23:30:00Z"), BusinessZone::UTC),
            at("2026-07-12T00:00:00Z")
        );
    }

    #[test]
    fn an_elapsed_timer_ignores_the_calendar() {
        let t = timer(28, false);
        assert_eq!(
            t.due_at(at("2026-03-10T15:00:00Z"), BusinessZone::LONDON),
            at("2026-04-07T15:00:00Z")
        );
    }
}
