//! The pure interpreter: given a definition, its rules, an instance, a command and `now`, decide. No IO, no
//! clock, no randomness: the same inputs always give the same [`Decision`] or [`Rejection`].
//!
//! Checks run in a fixed order so that a caller always learns the most fundamental problem first: unknown
//! event, role (for the event anywhere: authorization before preconditions, so a role that may not act learns
//! nothing of the instance), stale revision, terminal state, event not accepted in this state, role
//! for this state's transition, awaiting a blocking step, guards (every unmet condition), then the action
//! (payload problems or refusals).

use crate::command::Command;
use crate::data::Data;
use crate::decision::{Decision, Effects, HistoryEntry, StepEffect, TimerSet, truncate_to_micros};
use crate::definition::{Delivery, StepDef, TransitionDef, WorkflowDef};
use crate::instance::{Awaiting, Instance};
use crate::names::{EventName, InstanceId, RoleName, StateName, TimerName};
use crate::reading::Reading;
use crate::rejection::Rejection;
use crate::rules::{ActionError, ActionOutcome, Context, Rules, Unmet};
use crate::validate::CREATE_EVENT;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Decides a command on an existing instance.
pub fn decide(
    def: &WorkflowDef,
    rules: &dyn Rules,
    instance: &Instance,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
    decide_read(def, rules, instance, &Reading::new(), command, now)
}

/// [`decide`] with the rules' reading of `instance.data` so far (shared with whoever made it, such as the
/// labels of the instance as read from the store, or the decision that produced it).
pub fn decide_read(
    def: &WorkflowDef,
    rules: &dyn Rules,
    instance: &Instance,
    reading: &Reading,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
    let now = truncate_to_micros(now);
    if &instance.workflow != def.reference() {
        return Err(Rejection::DefinitionMismatch {
            pinned: instance.workflow.to_string(),
            given: def.reference().to_string(),
        });
    }
    let transition = admissible_transition(def, instance, command)?;
    let ctx = Context {
        instance,
        reading,
        event: &command.event,
        actor: &command.actor,
        role: &command.role,
        payload: &command.payload,
        to: transition.target(&instance.state),
        now,
        zone: rules.zone(),
    };
    let unmet = unmet_guards(rules, &transition.guards, &ctx);
    if !unmet.is_empty() {
        return Err(Rejection::GuardFailed {
            event: command.event.clone(),
            unmet,
        });
    }
    let outcome = run_action(
        rules,
        transition.action.as_ref(),
        &ctx,
        (&|| instance.data.clone(), reading),
    )?;
    Ok(build_decision(
        def,
        rules,
        &ctx,
        Some(transition),
        &transition.steps,
        outcome,
    ))
}

/// Decides the creation of instance `id` (the command's event must be `create`; its payload is the data).
pub fn decide_create(
    def: &WorkflowDef,
    rules: &dyn Rules,
    id: InstanceId,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
    let now = truncate_to_micros(now);
    if command.event != CREATE_EVENT {
        return Err(Rejection::UnknownEvent {
            event: command.event.clone(),
        });
    }
    let create = def.create();
    if !create.roles.contains(&command.role) {
        return Err(Rejection::RoleNotAllowed {
            event: command.event.clone(),
            role: command.role.clone(),
            allowed: create.roles.clone(),
        });
    }
    let unborn = Instance::unborn(id, def.reference().clone(), def.initial().clone(), now);
    let unborn_reading = Reading::new();
    let ctx = Context {
        instance: &unborn,
        reading: &unborn_reading,
        event: &command.event,
        actor: &command.actor,
        role: &command.role,
        payload: &command.payload,
        to: def.initial(),
        now,
        zone: rules.zone(),
    };
    let outcome = run_action(
        rules,
        create.action.as_ref(),
        &ctx,
        (&|| Data::from(command.payload.clone()), &Reading::new()),
    )?;
    Ok(build_decision(
        def,
        rules,
        &ctx,
        None,
        &create.steps,
        outcome,
    ))
}

/// Every check that does not need the rules: the transition the command would take, or why it may not.
pub fn admissible_transition<'d>(
    def: &'d WorkflowDef,
    instance: &Instance,
    command: &Command,
) -> Result<&'d TransitionDef, Rejection> {
    let event = &command.event;
    if !def.knows_event(event) {
        return Err(Rejection::UnknownEvent {
            event: event.clone(),
        });
    }
    if !def.transitions_for(event).any(|t| t.allows(&command.role)) {
        return Err(role_refusal(
            def.transitions_for(event),
            event,
            &command.role,
        ));
    }
    if let Some(expected) = command.expected_revision
        && expected != instance.revision
    {
        return Err(Rejection::StaleRevision {
            expected,
            actual: instance.revision,
        });
    }
    let state = def
        .state(&instance.state)
        .ok_or_else(|| Rejection::UnknownState {
            state: instance.state.clone(),
        })?;
    if state.terminal {
        return Err(Rejection::Terminal {
            state: instance.state.clone(),
        });
    }
    let Some(transition) = def.transition(event, &instance.state) else {
        return Err(Rejection::NotAllowedInState {
            event: event.clone(),
            state: instance.state.clone(),
            allowed_from: def
                .transitions_for(event)
                .flat_map(|t| t.from.iter().cloned())
                .collect(),
        });
    };
    if !transition.allows(&command.role) {
        return Err(role_refusal(
            std::iter::once(transition),
            event,
            &command.role,
        ));
    }
    if let Some(awaiting) = &instance.awaiting {
        let is_confirmation = &awaiting.event == event && command.role.is_system();
        if !is_confirmation && !transition.while_awaiting_sync {
            return Err(Rejection::AwaitingSync {
                event: event.clone(),
                awaiting: awaiting.clone(),
            });
        }
    }
    Ok(transition)
}

fn role_refusal<'d>(
    transitions: impl Iterator<Item = &'d TransitionDef>,
    event: &EventName,
    role: &RoleName,
) -> Rejection {
    let mut allowed: Vec<RoleName> = Vec::new();
    for r in transitions.flat_map(|t| t.roles.iter()) {
        if !allowed.contains(r) {
            allowed.push(r.clone());
        }
    }
    Rejection::RoleNotAllowed {
        event: event.clone(),
        role: role.clone(),
        allowed,
    }
}

/// Every unmet condition of every guard, each tagged with the guard that reported it.
pub fn unmet_guards(
    rules: &dyn Rules,
    guards: &[crate::names::GuardName],
    ctx: &Context<'_>,
) -> Vec<Unmet> {
    let mut unmet = Vec::new();
    for guard in guards {
        for mut u in rules.check_guard(guard, ctx) {
            u.source.get_or_insert_with(|| guard.to_string());
            unmet.push(u);
        }
    }
    unmet
}

fn run_action(
    rules: &dyn Rules,
    action: Option<&crate::names::ActionName>,
    ctx: &Context<'_>,
    (unchanged, reading): (&dyn Fn() -> Data, &Reading),
) -> Result<ActionOutcome, Rejection> {
    // Without an action the data stays as it is, and so does the reading of it: `unchanged` gives the
    // instance's own data (shared, not copied) or, for a creation, the payload (copied only then: an action
    // builds its own).
    let Some(action) = action else {
        return Ok(ActionOutcome {
            data: unchanged(),
            reading: reading.clone(),
            ..ActionOutcome::default()
        });
    };
    rules.apply_action(action, ctx).map_err(|e| match e {
        ActionError::Invalid(problems) => Rejection::InvalidPayload {
            event: ctx.event.clone(),
            problems,
        },
        ActionError::Refused(unmet) => Rejection::GuardFailed {
            event: ctx.event.clone(),
            unmet: unmet
                .into_iter()
                .map(|mut u| {
                    u.source.get_or_insert_with(|| action.to_string());
                    u
                })
                .collect(),
        },
    })
}

fn build_decision(
    def: &WorkflowDef,
    rules: &dyn Rules,
    ctx: &Context<'_>,
    transition: Option<&TransitionDef>,
    steps: &[StepDef],
    outcome: ActionOutcome,
) -> Decision {
    let before = ctx.instance;
    let from = transition.map(|_| before.state.clone());
    let to = ctx.to.clone();
    let entering = from.as_ref() != Some(&to);
    let mut effects = Effects {
        steps: steps
            .iter()
            .filter_map(|s| {
                let payload = rules.step_payload(&s.name, ctx, &outcome.data, &outcome.reading)?;
                Some(StepEffect {
                    name: s.name.clone(),
                    delivery: s.delivery,
                    then: s.then.clone(),
                    payload,
                })
            })
            .collect(),
        ..Effects::default()
    };
    if entering {
        if let Some(old) = from.as_ref().and_then(|f| def.state(f)) {
            effects
                .cancel_timers
                .extend(old.timers.iter().map(|t| t.name.clone()));
        }
        if let Some(new) = def.state(&to) {
            effects
                .set_timers
                .extend(new.timers.iter().map(|t| TimerSet {
                    name: t.name.clone(),
                    fire_at: t.due_at(ctx.now, ctx.zone),
                    event: t.event.clone(),
                    payload: Value::Object(serde_json::Map::new()),
                }));
        }
    }
    effects.cancel_timers.extend(outcome.cancel_timers);
    effects.set_timers.extend(outcome.set_timers);
    dedupe_timers(&mut effects);

    let awaiting = next_awaiting(def, before, ctx, &effects.steps, &to);
    let instance = Instance {
        id: before.id.clone(),
        workflow: before.workflow.clone(),
        state: to.clone(),
        revision: before.revision + 1,
        data: outcome.data,
        awaiting,
        created_at: before.created_at,
        updated_at: ctx.now,
    };
    if instance.awaiting.is_none() {
        effects.follow_ups =
            passing_automatic_events(def, rules, &instance, &outcome.reading, ctx.now);
    }
    let entry = HistoryEntry {
        seq: instance.revision,
        at: ctx.now,
        actor: ctx.actor.clone(),
        role: ctx.role.clone(),
        event: ctx.event.clone(),
        from,
        to,
        payload: ctx.payload.clone(),
        changes: before.data.changes_to(&instance.data),
        workflow: before.workflow.clone(),
        rules: Some(crate::replay::recorded_version(rules)),
        binding: None,
    };
    Decision {
        instance,
        entry,
        effects,
        reading: outcome.reading,
    }
}

/// A timer both cancelled and set is replaced; a timer set twice keeps the last setting.
fn dedupe_timers(effects: &mut Effects) {
    let mut kept: Vec<TimerSet> = Vec::new();
    for t in effects.set_timers.drain(..) {
        kept.retain(|k| k.name != t.name);
        kept.push(t);
    }
    effects.set_timers = kept;
    let set_names: Vec<TimerName> = effects.set_timers.iter().map(|t| t.name.clone()).collect();
    let mut cancels: Vec<TimerName> = Vec::new();
    for c in effects.cancel_timers.drain(..) {
        if !cancels.contains(&c) && !set_names.contains(&c) {
            cancels.push(c);
        }
    }
    effects.cancel_timers = cancels;
}

/// The instance waits if this transition enqueued a blocking step; it stops waiting when the awaited event
/// arrives from the engine, or when it reaches a terminal state.
fn next_awaiting(
    def: &WorkflowDef,
    before: &Instance,
    ctx: &Context<'_>,
    enqueued: &[StepEffect],
    to: &StateName,
) -> Option<Awaiting> {
    if def.state(to).is_some_and(|s| s.terminal) {
        return None;
    }
    if let Some(step) = enqueued.iter().find(|s| s.delivery == Delivery::Blocking)
        && let Some(event) = &step.then
    {
        return Some(Awaiting {
            step: step.name.clone(),
            event: event.clone(),
            since: ctx.now,
        });
    }
    match &before.awaiting {
        Some(a) if &a.event == ctx.event && ctx.role.is_system() => None,
        other => other.clone(),
    }
}

/// Automatic events whose transitions leave the instance's state and whose guards pass now.
pub fn passing_automatic_events(
    def: &WorkflowDef,
    rules: &dyn Rules,
    instance: &Instance,
    reading: &Reading,
    now: DateTime<Utc>,
) -> Vec<EventName> {
    let mut out = Vec::new();
    let system = RoleName::system();
    let actor = crate::names::Actor::new("system:automatic");
    let empty = Value::Object(serde_json::Map::new());
    for t in def.automatic_from(&instance.state) {
        let ctx = Context {
            instance,
            reading,
            event: &t.event,
            actor: &actor,
            role: &system,
            payload: &empty,
            to: t.target(&instance.state),
            now,
            zone: rules.zone(),
        };
        if unmet_guards(rules, &t.guards, &ctx).is_empty() {
            out.push(t.event.clone());
        }
    }
    out
}

/// The most automatic transitions one command may trigger (a guard against definitions that loop).
pub const MAX_FOLLOW_UPS: usize = 16;

/// Decides a command and then the automatic transitions it enables, in order. The runtime commits the whole
/// chain in one transaction, so an automatic transition is never lost between two commits. The first decision
/// is the command's; each later one is an automatic event fired as `system`.
pub fn decide_chain(
    def: &WorkflowDef,
    rules: &dyn Rules,
    instance: &Instance,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Vec<Decision>, Rejection> {
    decide_chain_read(def, rules, instance, &Reading::new(), command, now)
}

/// [`decide_chain`] with the rules' reading of `instance.data` so far (see [`decide_read`]).
pub fn decide_chain_read(
    def: &WorkflowDef,
    rules: &dyn Rules,
    instance: &Instance,
    reading: &Reading,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Vec<Decision>, Rejection> {
    let first = decide_read(def, rules, instance, reading, command, now)?;
    Ok(follow_ups(def, rules, first, now))
}

/// Decides a creation and the automatic transitions it enables (see [`decide_chain`]).
pub fn decide_create_chain(
    def: &WorkflowDef,
    rules: &dyn Rules,
    id: InstanceId,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Vec<Decision>, Rejection> {
    let first = decide_create(def, rules, id, command, now)?;
    Ok(follow_ups(def, rules, first, now))
}

/// Extends a decision with the automatic transitions that follow it: at each step, the first follow-up event
/// that is accepted is taken.
pub fn follow_ups(
    def: &WorkflowDef,
    rules: &dyn Rules,
    first: Decision,
    now: DateTime<Utc>,
) -> Vec<Decision> {
    let mut chain = vec![first];
    for _ in 0..MAX_FOLLOW_UPS {
        let Some(last) = chain.last() else { break };
        match next_follow_up(def, rules, last, now) {
            Some(d) => chain.push(d),
            None => break,
        }
    }
    chain
}

/// The actor of automatic transitions ([`follow_ups`]).
pub const AUTOMATIC_ACTOR: &str = "system:automatic";

/// The automatic transition the runtime takes right after `last`, in the same commit: the first of its
/// follow-up events that is accepted (fired as [`AUTOMATIC_ACTOR`]).
pub fn next_follow_up(
    def: &WorkflowDef,
    rules: &dyn Rules,
    last: &Decision,
    now: DateTime<Utc>,
) -> Option<Decision> {
    last.effects.follow_ups.iter().find_map(|event| {
        let command = Command::system(event.clone(), "automatic");
        decide_read(def, rules, &last.instance, &last.reading, &command, now).ok()
    })
}
