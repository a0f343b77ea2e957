//! Turns a [`Draft`] into a [`WorkflowDef`], reporting every problem in one pass.
//!
//! Guarantees of a validated definition: a valid name and a version >= 1; the initial state exists and is not
//! terminal; every `from`, `to` and timer names a declared state; no transition leaves a terminal state; no two
//! transitions share an (event, from) pair; every role, guard, action and step is in the caller's [`Catalog`];
//! timers have positive durations and fire events the `system` role may fire in their state; a blocking step
//! names a `then` event that `system` may fire in the transition's target state; every state is reachable from
//! the initial state and can reach some terminal state.

use crate::definition::{
    CreateDef, Delivery, StateDef, StepDef, TimerDef, TransitionDef, WorkflowDef, WorkflowRef,
};
use crate::draft::{At, CreateDraft, Draft, Location, Problem, StepDraft, TransitionDraft};
use crate::duration::parse_duration;
use crate::names::{
    ActionName, EventName, GuardName, RoleName, StateName, StepName, TimerName, name_problem,
};
use crate::rules::Catalog;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The event name reserved for instance creation.
pub const CREATE_EVENT: &str = "create";

/// Validates `draft` against `catalog`: the definition, or every problem found.
pub fn validate(draft: &Draft, catalog: &Catalog) -> Result<WorkflowDef, Vec<Problem>> {
    let mut v = Validator {
        draft,
        catalog,
        problems: Vec::new(),
        timer_event_at: BTreeMap::new(),
        transition_at: Vec::new(),
    };
    let def = v.build();
    match def {
        Some(def) if v.problems.is_empty() => Ok(def),
        // Something the reader already reported kept the definition from being built.
        None if v.problems.is_empty() && !draft.reported.is_empty() => Err(Vec::new()),
        None if v.problems.is_empty() => Err(vec![Problem::new(
            &draft.root,
            "the definition is incomplete",
        )]),
        _ => Err(v.problems),
    }
}

struct Validator<'a> {
    draft: &'a Draft,
    catalog: &'a Catalog,
    problems: Vec<Problem>,
    /// Where each accepted timer's `event` was written, for problems found once transitions are known.
    timer_event_at: BTreeMap<(StateName, TimerName), Location>,
    /// Where each accepted transition was written (parallel to the built transitions).
    transition_at: Vec<Location>,
}

impl Validator<'_> {
    fn problem(&mut self, at: &Location, message: impl Into<String>) {
        self.problems.push(Problem::new(at, message));
    }

    fn missing(&mut self, parent: &Location, key: &str) {
        let at = parent.child(key);
        if !self.draft.reported.contains(&at.key) {
            self.problem(&at, format!("`{key}` is required"));
        }
    }

    /// A required name: reports it missing or malformed.
    fn required_name(
        &mut self,
        value: &Option<At<String>>,
        parent: &Location,
        key: &str,
    ) -> Option<String> {
        match value {
            None => {
                self.missing(parent, key);
                None
            }
            Some(v) => self.name(v),
        }
    }

    fn name(&mut self, value: &At<String>) -> Option<String> {
        match name_problem(&value.value) {
            Some(why) => {
                self.problem(&value.at, format!("the name {:?} {why}", value.value));
                None
            }
            None => Some(value.value.clone()),
        }
    }

    fn build(&mut self) -> Option<WorkflowDef> {
        let root = self.draft.root.clone();
        let name = self.required_name(&self.draft.name, &root, "name");
        let version = self.version(&root);
        let states = self.states();
        let initial = self.initial(&root, &states);
        let create = self.create();
        let transitions = self.transitions(&states);
        self.check_timers(&states, &transitions);
        let by_event_and_state = self.index_transitions(&transitions);
        self.check_blocking_steps(&transitions);
        self.check_graph(initial.as_ref(), &states, &transitions);
        let state_index = states
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        Some(WorkflowDef {
            reference: WorkflowRef {
                name: name?,
                version: version?,
            },
            hash: self.draft.source_hash.clone(),
            description: self.draft.description.clone(),
            initial: initial?,
            states,
            create,
            transitions,
            state_index,
            by_event_and_state,
        })
    }

    fn version(&mut self, root: &Location) -> Option<u32> {
        match &self.draft.version {
            None => {
                self.missing(root, "version");
                None
            }
            Some(v) if v.value < 1 || v.value > i64::from(u32::MAX) => {
                self.problem(
                    &v.at,
                    format!(
                        "the version must be a whole number from 1 up, not {}",
                        v.value
                    ),
                );
                None
            }
            Some(v) => u32::try_from(v.value).ok(),
        }
    }

    fn states(&mut self) -> Vec<StateDef> {
        if self.draft.states.is_empty() {
            let at = self.draft.root.child("states");
            if !self.draft.reported.contains(&at.key) {
                self.problem(&at, "no states are declared");
            }
        }
        let mut out: Vec<StateDef> = Vec::new();
        for s in &self.draft.states {
            let Some(name) = self.name(&s.name) else {
                continue;
            };
            if out.iter().any(|o| o.name == name.as_str()) {
                self.problem(&s.name.at, format!("the state {name:?} is declared twice"));
                continue;
            }
            let timers = self.timers(s, &StateName::new(&name));
            out.push(StateDef {
                name: StateName::new(&name),
                terminal: s.terminal,
                timers,
                description: s.description.clone(),
            });
        }
        if !self.draft.states.is_empty() && !out.iter().any(|s| s.terminal) {
            self.problem(
                &self.draft.root.child("states"),
                "no state is terminal; mark at least one with `terminal = true`",
            );
        }
        out
    }

    fn timers(
        &mut self,
        state: &crate::draft::StateDraft,
        state_name: &StateName,
    ) -> Vec<TimerDef> {
        if state.terminal && !state.timers.is_empty() {
            self.problem(
                &state.name.at.child("timers"),
                format!(
                    "the terminal state {:?} cannot have timers: nothing can happen after it",
                    state.name.value
                ),
            );
            return Vec::new();
        }
        let mut out: Vec<TimerDef> = Vec::new();
        for t in &state.timers {
            let name = self.required_name(&t.name, &t.at, "name");
            let event = self.required_name(&t.event, &t.at, "event");
            let after = match &t.after {
                None => {
                    self.missing(&t.at, "after");
                    None
                }
                Some(a) => match parse_duration(&a.value) {
                    Ok(d) => Some(d),
                    Err(why) => {
                        self.problem(&a.at, format!("the duration {why}"));
                        None
                    }
                },
            };
            let at_midnight = self.timer_alignment(t, after);
            let (Some(name), Some(event), Some(after), Some(at_midnight)) =
                (name, event, after, at_midnight)
            else {
                continue;
            };
            if out.iter().any(|o| o.name == name.as_str()) {
                self.problem(
                    &t.at,
                    format!("the timer {name:?} is declared twice in this state"),
                );
                continue;
            }
            let event_at = t
                .event
                .as_ref()
                .map(|e| e.at.clone())
                .unwrap_or_else(|| t.at.clone());
            self.timer_event_at
                .insert((state_name.clone(), TimerName::new(&name)), event_at);
            out.push(TimerDef {
                name: TimerName::new(&name),
                after,
                at_midnight,
                event: EventName::new(&event),
            });
        }
        out
    }

    /// Reads a timer's `at`: absent (fires `after` its state was entered) or `"midnight"` (needs whole days).
    fn timer_alignment(
        &mut self,
        t: &crate::draft::TimerDraft,
        after: Option<chrono::TimeDelta>,
    ) -> Option<bool> {
        let Some(at) = &t.fires_at else {
            return Some(false);
        };
        if at.value != "midnight" {
            self.problem(
                &at.at,
                format!(
                    "a timer's `at` is {:?}; the only value is \"midnight\" (fire at the local midnight that ends the last day)",
                    at.value
                ),
            );
            return None;
        }
        if after.is_some_and(|a| a.num_seconds() % 86_400 != 0) {
            self.problem(
                &at.at,
                "a timer at midnight counts whole days: write `after` in days or weeks (e.g. \"28d\")",
            );
            return None;
        }
        Some(true)
    }

    fn initial(&mut self, root: &Location, states: &[StateDef]) -> Option<StateName> {
        let name = self.required_name(&self.draft.initial, root, "initial")?;
        let at = self
            .draft
            .initial
            .as_ref()
            .map(|i| i.at.clone())
            .unwrap_or_default();
        match states.iter().find(|s| s.name == name.as_str()) {
            None => {
                self.problem(
                    &at,
                    format!("the initial state {name:?} is not declared under [states]"),
                );
                None
            }
            Some(s) if s.terminal => {
                self.problem(
                    &at,
                    format!(
                        "the initial state {name:?} is terminal, so no instance could ever move"
                    ),
                );
                None
            }
            Some(s) => Some(s.name.clone()),
        }
    }

    fn roles(&mut self, roles: &[At<String>]) -> Vec<RoleName> {
        let mut out = Vec::new();
        for r in roles {
            let Some(name) = self.name(r) else { continue };
            if !self.catalog.knows_role(&name) {
                let known: Vec<&str> = self.catalog.roles.iter().map(|r| r.as_str()).collect();
                self.problem(
                    &r.at,
                    format!(
                        "unknown role {name:?}; known roles: {}, system",
                        known.join(", ")
                    ),
                );
                continue;
            }
            out.push(RoleName::new(&name));
        }
        out
    }

    fn action(&mut self, action: &Option<At<String>>) -> Option<ActionName> {
        let a = action.as_ref()?;
        let name = self.name(a)?;
        if !self.catalog.actions.iter().any(|k| k == name.as_str()) {
            self.problem(&a.at, format!("unknown action {name:?}: the rules loaded with this workflow do not implement it"));
            return None;
        }
        Some(ActionName::new(&name))
    }

    fn steps(&mut self, steps: &[StepDraft]) -> Vec<StepDef> {
        let mut out = Vec::new();
        for s in steps {
            let Some(name) = self.required_name(&s.name, &s.at, "name") else {
                continue;
            };
            if !self.catalog.steps.iter().any(|k| k == name.as_str()) {
                self.problem(
                    &s.name
                        .as_ref()
                        .map(|n| n.at.clone())
                        .unwrap_or_else(|| s.at.clone()),
                    format!("unknown step {name:?}: no step handler is registered under that name"),
                );
                continue;
            }
            let delivery = match &s.delivery {
                None => Delivery::Background,
                Some(d) => match d.value.parse::<Delivery>() {
                    Ok(d) => d,
                    Err(_) => {
                        self.problem(
                            &d.at,
                            format!(
                                "delivery {:?} is neither \"background\" nor \"blocking\"",
                                d.value
                            ),
                        );
                        continue;
                    }
                },
            };
            let then = match (&s.then, delivery) {
                (None, Delivery::Blocking) => {
                    self.problem(&s.at, format!("the blocking step {name:?} needs `then`: the event fired when it is confirmed"));
                    continue;
                }
                (Some(t), Delivery::Background) => {
                    self.problem(&t.at, format!("`then` is only for blocking steps; {name:?} is delivered in the background"));
                    continue;
                }
                (Some(t), Delivery::Blocking) => match self.name(t) {
                    Some(e) => Some(EventName::new(&e)),
                    None => continue,
                },
                (None, Delivery::Background) => None,
            };
            out.push(StepDef {
                name: StepName::new(&name),
                delivery,
                then,
            });
        }
        out
    }

    fn create(&mut self) -> CreateDef {
        let Some(CreateDraft {
            at,
            roles,
            action,
            steps,
        }) = &self.draft.create
        else {
            // Without a [create] table, any role of the catalog may create instances, with the payload as data.
            let roles = self.catalog.roles.iter().cloned().collect();
            return CreateDef {
                roles,
                action: None,
                steps: Vec::new(),
            };
        };
        if roles.is_empty() {
            self.problem(at, "`roles` is empty: no one could create an instance");
        }
        let roles = self.roles(roles);
        let action = self.action(action);
        let steps = self.steps(steps);
        self.at_most_one_blocking(at, &steps);
        if let Some(s) = steps.iter().find(|s| s.delivery == Delivery::Blocking) {
            self.problem(
                at,
                format!(
                    "creation cannot wait for the blocking step {:?}; make it background",
                    s.name.as_str()
                ),
            );
        }
        CreateDef {
            roles,
            action,
            steps,
        }
    }

    fn at_most_one_blocking(&mut self, at: &Location, steps: &[StepDef]) {
        if steps
            .iter()
            .filter(|s| s.delivery == Delivery::Blocking)
            .count()
            > 1
        {
            self.problem(at, "a transition can wait for at most one blocking step");
        }
    }

    fn transitions(&mut self, states: &[StateDef]) -> Vec<TransitionDef> {
        let mut out = Vec::new();
        for t in &self.draft.transitions {
            if let Some(def) = self.transition(t, states) {
                out.push(def);
                self.transition_at.push(t.at.clone());
            }
        }
        out
    }

    fn state_ref(&mut self, s: &At<String>, states: &[StateDef], what: &str) -> Option<StateName> {
        let name = self.name(s)?;
        match states.iter().find(|d| d.name == name.as_str()) {
            Some(d) => Some(d.name.clone()),
            None => {
                self.problem(
                    &s.at,
                    format!("{what} state {name:?} is not declared under [states]"),
                );
                None
            }
        }
    }

    fn transition(&mut self, t: &TransitionDraft, states: &[StateDef]) -> Option<TransitionDef> {
        let event = self.required_name(&t.event, &t.at, "event");
        if let (Some(e), Some(at)) = (&event, &t.event)
            && e == CREATE_EVENT
        {
            self.problem(
                &at.at,
                "the event name \"create\" is reserved for creating instances; use [create]",
            );
        }
        if t.from.is_empty() {
            self.missing(&t.at, "from");
        }
        let mut from = Vec::new();
        for f in &t.from {
            let Some(state) = self.state_ref(f, states, "the source") else {
                continue;
            };
            if states.iter().any(|s| s.name == state && s.terminal) {
                self.problem(
                    &f.at,
                    format!(
                        "a transition cannot leave the terminal state {:?}",
                        state.as_str()
                    ),
                );
                continue;
            }
            if from.contains(&state) {
                self.problem(
                    &f.at,
                    format!("the state {:?} is listed twice in `from`", state.as_str()),
                );
                continue;
            }
            from.push(state);
        }
        // `None` = the target is unusable (already reported); `Some(None)` = the transition stays.
        let to: Option<Option<StateName>> = match (&t.to, t.stay) {
            (None, false) => {
                let at = t.at.child("to");
                if !self.draft.reported.contains(&at.key) {
                    self.problem(
                        &at,
                        "`to` is required (or `stay = true` for a transition that keeps the state)",
                    );
                }
                None
            }
            (Some(to), true) => {
                self.problem(&to.at, "give either `to` or `stay = true`, not both");
                None
            }
            (None, true) => Some(None),
            (Some(to), false) => self.state_ref(to, states, "the target").map(Some),
        };
        let mut roles = self.roles(&t.roles);
        if t.automatic {
            if roles.iter().any(|r| !r.is_system()) {
                self.problem(
                    &t.at.child("roles"),
                    "an automatic transition is fired by the engine; its only role is \"system\"",
                );
            }
            roles = vec![RoleName::system()];
        } else if t.roles.is_empty() {
            self.problem(&t.at, "`roles` is empty: no one could fire this event (set `automatic = true` for the engine)");
        }
        let guards = self.guards(&t.guards);
        let action = self.action(&t.action);
        let steps = self.steps(&t.steps);
        self.at_most_one_blocking(&t.at, &steps);
        Some(TransitionDef {
            event: EventName::new(&event?),
            from,
            to: to?,
            roles,
            guards,
            action,
            steps,
            automatic: t.automatic,
            while_awaiting_sync: t.while_awaiting_sync,
            description: t.description.clone(),
        })
    }

    fn guards(&mut self, guards: &[At<String>]) -> Vec<GuardName> {
        let mut out = Vec::new();
        for g in guards {
            let Some(name) = self.name(g) else { continue };
            if !self.catalog.guards.iter().any(|k| k == name.as_str()) {
                self.problem(&g.at, format!("unknown guard {name:?}: the rules loaded with this workflow do not implement it"));
                continue;
            }
            out.push(GuardName::new(&name));
        }
        out
    }

    fn index_transitions(
        &mut self,
        transitions: &[TransitionDef],
    ) -> BTreeMap<(EventName, StateName), usize> {
        let mut index = BTreeMap::new();
        for (i, t) in transitions.iter().enumerate() {
            for f in &t.from {
                if let Some(first) = index.insert((t.event.clone(), f.clone()), i) {
                    let at = self.transition_at[i].clone();
                    let first_key = self.transition_at[first].key.clone();
                    self.problem(
                        &at,
                        format!(
                            "the event {:?} from {:?} is already declared by {first_key}; an event may lead to one place only",
                            t.event.as_str(),
                            f.as_str()
                        ),
                    );
                    index.insert((t.event.clone(), f.clone()), first);
                }
            }
        }
        index
    }

    fn system_may_fire(
        transitions: &[TransitionDef],
        event: &EventName,
        state: &StateName,
    ) -> bool {
        transitions
            .iter()
            .any(|t| &t.event == event && t.from.contains(state) && t.allows(&RoleName::system()))
    }

    fn check_timers(&mut self, states: &[StateDef], transitions: &[TransitionDef]) {
        for state in states {
            for timer in &state.timers {
                if Self::system_may_fire(transitions, &timer.event, &state.name) {
                    continue;
                }
                let at = self
                    .timer_event_at
                    .get(&(state.name.clone(), timer.name.clone()))
                    .cloned()
                    .unwrap_or_default();
                self.problem(
                    &at,
                    format!(
                        "the timer {:?} fires {:?}, but no transition accepts that event from {:?} with the role \"system\"",
                        timer.name.as_str(),
                        timer.event.as_str(),
                        state.name.as_str()
                    ),
                );
            }
        }
    }

    fn check_blocking_steps(&mut self, transitions: &[TransitionDef]) {
        for (i, t) in transitions.iter().enumerate() {
            let Some(step) = t.blocking_step() else {
                continue;
            };
            let Some(then) = &step.then else { continue };
            let Some(from) = t
                .from
                .iter()
                .find(|f| !Self::system_may_fire(transitions, then, t.target(f)))
            else {
                continue;
            };
            {
                let at = self.transition_at[i].clone();
                self.problem(
                    &at,
                    format!(
                        "the blocking step {:?} fires {:?} when confirmed, but no transition accepts that event from {:?} with the role \"system\"",
                        step.name.as_str(),
                        then.as_str(),
                        t.target(from).as_str()
                    ),
                );
            }
        }
    }

    fn check_graph(
        &mut self,
        initial: Option<&StateName>,
        states: &[StateDef],
        transitions: &[TransitionDef],
    ) {
        let state_at = |name: &StateName| {
            self.draft
                .states
                .iter()
                .find(|d| d.name.value == name.as_str())
                .map(|d| d.name.at.clone())
                .unwrap_or_default()
        };
        let terminals: Vec<&StateName> = states
            .iter()
            .filter(|s| s.terminal)
            .map(|s| &s.name)
            .collect();
        let mut found = Vec::new();
        if let Some(initial) = initial {
            let reachable = reachable_from(initial, transitions);
            for s in states.iter().filter(|s| !reachable.contains(&s.name)) {
                found.push(Problem::new(
                    &state_at(&s.name),
                    format!(
                        "the state {:?} is unreachable: no transition leads to it from {:?}",
                        s.name.as_str(),
                        initial.as_str()
                    ),
                ));
            }
            if !terminals.is_empty() && !terminals.iter().any(|t| reachable.contains(*t)) {
                found.push(Problem::new(
                    &self.draft.root,
                    format!(
                        "no terminal state can be reached from the initial state {:?}",
                        initial.as_str()
                    ),
                ));
            }
        }
        if !terminals.is_empty() {
            for s in states.iter().filter(|s| !s.terminal) {
                let onward = reachable_from(&s.name, transitions);
                if !terminals.iter().any(|t| onward.contains(*t)) {
                    found.push(Problem::new(
                        &state_at(&s.name),
                        format!(
                            "an instance in {:?} could never finish: no terminal state can be reached from it",
                            s.name.as_str()
                        ),
                    ));
                }
            }
        }
        self.problems.extend(found);
    }
}

/// States reachable from `start` (including it) by following transitions.
fn reachable_from(start: &StateName, transitions: &[TransitionDef]) -> BTreeSet<StateName> {
    let mut seen = BTreeSet::from([start.clone()]);
    let mut queue = VecDeque::from([start.clone()]);
    while let Some(s) = queue.pop_front() {
        for t in transitions.iter().filter(|t| t.from.contains(&s)) {
            let next = t.target(&s).clone();
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }
    seen
}
