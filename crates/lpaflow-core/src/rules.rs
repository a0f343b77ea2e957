//! The seam between the generic interpreter and a domain (such as LPAs): named guards, actions and step
//! payloads. Core calls them by name and knows nothing of what they check.

use crate::decision::TimerSet;
use crate::instance::Instance;
use crate::names::{
    ActionName, Actor, EventName, GuardName, RoleName, StateName, StepName, TimerName,
};
use crate::reading::Reading;
use crate::zone::BusinessZone;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// The names a domain implements, so that a definition naming anything else is refused when it is loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Roles that may appear in `roles` (the `system` role is always known).
    pub roles: BTreeSet<RoleName>,
    /// Guard names.
    pub guards: BTreeSet<GuardName>,
    /// Action names.
    pub actions: BTreeSet<ActionName>,
    /// Step names.
    pub steps: BTreeSet<StepName>,
}

impl Catalog {
    /// A catalog from lists of names.
    pub fn new(roles: &[&str], guards: &[&str], actions: &[&str], steps: &[&str]) -> Self {
        Self {
            roles: roles.iter().map(RoleName::new).collect(),
            guards: guards.iter().map(GuardName::new).collect(),
            actions: actions.iter().map(ActionName::new).collect(),
            steps: steps.iter().map(StepName::new).collect(),
        }
    }

    /// True if `role` may be named in a definition.
    pub fn knows_role(&self, role: &str) -> bool {
        role == crate::names::SYSTEM_ROLE || self.roles.iter().any(|r| r == role)
    }
}

/// What a guard or action sees: the instance before the command, the command, the target state and `now`.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The instance as it is before the command.
    pub instance: &'a Instance,
    /// The rules' reading of `instance.data`, shared by every rule of the decision ([`Reading`]).
    pub reading: &'a Reading,
    /// The event being fired (`create` for creation).
    pub event: &'a EventName,
    /// Who fires it.
    pub actor: &'a Actor,
    /// In which role.
    pub role: &'a RoleName,
    /// The command's payload.
    pub payload: &'a Value,
    /// The state the instance will be in if the command is accepted.
    pub to: &'a StateName,
    /// The decision's time (from the injected clock, truncated to microseconds).
    pub now: DateTime<Utc>,
    /// The zone whose calendar the rules speak of ([`Rules::zone`]).
    pub zone: BusinessZone,
}

impl Context<'_> {
    /// The local date of `now` in the business zone: the day the rules say this happened on.
    pub fn today(&self) -> chrono::NaiveDate {
        self.zone.date_of(self.now)
    }

    /// The local date of an instant in the business zone.
    pub fn date_of(&self, at: DateTime<Utc>) -> chrono::NaiveDate {
        self.zone.date_of(at)
    }
}

/// One condition that is not met, named so a caller can act on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unmet {
    /// Stable, machine-readable code, e.g. `missing_signature`.
    pub code: String,
    /// A plain sentence for people.
    pub detail: String,
    /// The guard (or action) that reported it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Unmet {
    /// An unmet condition with a code and a sentence.
    pub fn new(code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            detail: detail.into(),
            source: None,
        }
    }
}

/// A problem with a command's payload, located by JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PayloadProblem {
    /// JSON pointer into the payload (`/donor/dateOfBirth`), empty for the whole payload.
    pub pointer: String,
    /// What is wrong.
    pub detail: String,
}

impl PayloadProblem {
    /// A problem at `pointer`.
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// What an action computed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActionOutcome {
    /// The instance's whole new data (shared, see [`crate::Instance::data`]).
    pub data: crate::data::Data,
    /// Timers to set beyond the state's own (e.g. deadlines computed from dates).
    pub set_timers: Vec<TimerSet>,
    /// Timers to cancel.
    pub cancel_timers: Vec<TimerName>,
    /// The rules' reading of `data` if they have it at hand (the typed value they produced it from), so
    /// that nothing after the action reads it back from JSON; empty otherwise.
    pub reading: Reading,
}

/// Why an action refused a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionError {
    /// The payload is not valid: every problem, each with its pointer.
    Invalid(Vec<PayloadProblem>),
    /// The payload is valid but the instance cannot take it now (e.g. "cannot sign again").
    Refused(Vec<Unmet>),
}

/// The domain's implementation of the names in its [`Catalog`]. Implementations must be pure: the same
/// context gives the same answer (the clock arrives in [`Context::now`]).
pub trait Rules: Send + Sync {
    /// The names this implementation knows.
    fn catalog(&self) -> Catalog;

    /// The zone whose local dates the rules and day-aligned timers use (UTC unless the rules say otherwise).
    fn zone(&self) -> BusinessZone {
        BusinessZone::UTC
    }

    /// Which rules decide, as recorded in every history entry (hash format 3, after the interpreter's own
    /// version): a name, the version of their behaviour and the zone, e.g. `lpaflow-lpa/2@Europe/London`.
    /// `audit verify --replay` replays an entry only with rules of exactly this version, so an implementation
    /// must change its version whenever a guard, an action, a step payload's presence or a timer decides
    /// differently for the same input. The default says the rules keep no version (never replayable).
    fn version(&self) -> String {
        format!("unversioned@{}", self.zone())
    }

    /// The conditions of `guard` that `ctx` does not meet (empty: the guard passes).
    fn check_guard(&self, guard: &GuardName, ctx: &Context<'_>) -> Vec<Unmet>;

    /// Computes the new data for `ctx`'s command.
    fn apply_action(
        &self,
        action: &ActionName,
        ctx: &Context<'_>,
    ) -> Result<ActionOutcome, ActionError>;

    /// The payload stored with an outbox step, given the data after the transition (and the reading of it),
    /// or `None` when the step
    /// has nothing to do for this instance (e.g. an update toward a system that does not hold the record yet);
    /// a declined step is not enqueued. The default is the command's payload together with the new data.
    fn step_payload(
        &self,
        step: &StepName,
        ctx: &Context<'_>,
        data_after: &crate::data::Data,
        reading_after: &Reading,
    ) -> Option<Value> {
        let _ = (step, reading_after);
        Some(serde_json::json!({ "event": ctx.event, "payload": ctx.payload, "data": data_after }))
    }

    /// Labels that index an instance for lists (e.g. `finding:open`, `fee:decision_needed`), given the
    /// reading of its data. The store keeps them in step with the instance; the default is none.
    fn labels(&self, instance: &Instance, reading: &Reading) -> Vec<String> {
        let _ = (instance, reading);
        Vec::new()
    }

    /// The title lists sort by and the terms searches find an instance by ([`crate::search`]), given the
    /// reading of its data. The store keeps them in step with the instance; the default is neither.
    fn findable(&self, instance: &Instance, reading: &Reading) -> crate::search::Findable {
        let _ = (instance, reading);
        crate::search::Findable::default()
    }
}

/// Rules for workflows that name no guards, actions or steps beyond those listed (guards always pass;
/// actions merge the payload into the data as a JSON merge patch). Useful for generic workflows and tests.
#[derive(Clone, Debug, Default)]
pub struct PlainRules {
    catalog: Catalog,
}

impl PlainRules {
    /// Plain rules that accept the names in `catalog`.
    pub fn new(catalog: Catalog) -> Self {
        Self { catalog }
    }
}

impl Rules for PlainRules {
    fn catalog(&self) -> Catalog {
        self.catalog.clone()
    }

    fn version(&self) -> String {
        format!("plain/1@{}", self.zone())
    }

    fn check_guard(&self, _guard: &GuardName, _ctx: &Context<'_>) -> Vec<Unmet> {
        Vec::new()
    }

    fn apply_action(
        &self,
        _action: &ActionName,
        ctx: &Context<'_>,
    ) -> Result<ActionOutcome, ActionError> {
        let mut data = ctx.instance.data.clone();
        data.merge_patch(ctx.payload);
        Ok(ActionOutcome {
            data,
            ..ActionOutcome::default()
        })
    }
}
