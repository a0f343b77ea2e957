//! lpaflow-core: the pure heart of lpaflow.
//!
//! A workflow is data ([`WorkflowDef`], built only by [`validate`]); an instance moves only through
//! [`decide`] / [`decide_create`], which return a [`Decision`] (new instance, one history entry, effects) or a
//! typed [`Rejection`]. Domain knowledge (guards, actions, step payloads) arrives through the [`Rules`] trait.
//! This crate does no IO: no files, no network, no database, no async runtime, no wall clock except behind
//! [`Clock`]. The runtime persists a decision in one transaction and only then carries out its effects.

pub mod checkpoint;
pub mod clock;
pub mod command;
pub mod data;
pub mod decision;
pub mod definition;
pub mod draft;
pub mod duration;
pub mod graph;
pub mod history;
pub mod instance;
pub mod interpreter;
pub mod json;
pub mod log;
pub mod merkle;
pub mod names;
pub mod proof;
pub mod reading;
pub mod rejection;
pub mod replay;
pub mod rules;
pub mod search;
pub mod text;
pub mod validate;
pub mod zone;

pub use clock::{Clock, ManualClock, SystemClock};
pub use command::Command;
pub use data::Data;
pub use decision::{Change, Decision, Effects, HistoryEntry, StepEffect, TimerSet};
pub use definition::{
    CreateDef, Delivery, StateDef, StepDef, TimerDef, TransitionDef, WorkflowDef, WorkflowRef,
};
pub use draft::{At, Draft, Location, Problem};
pub use instance::{Awaiting, Instance};
pub use interpreter::{
    decide, decide_chain, decide_chain_read, decide_create, decide_create_chain, decide_read,
};
pub use names::{
    ActionName, Actor, EventName, GuardName, InstanceId, RoleName, StateName, StepName, TimerName,
};
pub use reading::Reading;
pub use rejection::Rejection;
pub use rules::{
    ActionError, ActionOutcome, Catalog, Context, PayloadProblem, PlainRules, Rules, Unmet,
};
pub use search::{Findable, SearchTerm};
pub use validate::{CREATE_EVENT, validate};
pub use zone::BusinessZone;
