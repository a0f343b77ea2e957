//! lpaflow-opg: everything lpaflow needs to talk to the OPG database (the LPA Store in front of Sirius), and a
//! simulator of it that misbehaves on request.
//!
//! The contract is `docs/opg-api.md`; this crate is one of its three parties (with the step payloads built by
//! `lpaflow-lpa`). The OPG API has no idempotency key: a repeated create or signature is refused. So the client
//! classifies every failure as retryable (nothing was applied), ambiguous (the write may have been applied) or
//! fatal, and [`deliver`] reads the LPA back after an ambiguous attempt before it sends again.
//!
//! - [`client`]: the HTTP client (JWT per request, timeouts, error classes).
//! - [`deliver()`]: the step delivery protocol the engine's step workers call.
//! - [`pacing`]: at most one write per LPA per second (the store's reads are eventually consistent).
//! - [`compare`]: pure read-back comparison ("did this step take effect?").
//! - [`reconcile`]: local state against OPG for every LPA (`lpaflow reconcile`): differences and safe repairs.
//! - [`simulator`]: the same API over its own SQLite store, with fault injection, stats and the workload
//!   stub protocol of `shared/bench/opg_stub.py`.
//!
//! This crate reads no environment variables and no files except the simulator's database at the path it is
//! given: the CLI resolves `LPAFLOW_OPG_JWT_SECRET` and falls back to [`DEV_JWT_SECRET`].

pub mod client;
pub mod compare;
pub mod deliver;
pub mod handler;
pub mod jwt;
pub mod pacing;
pub mod reconcile;
pub mod simulator;
pub mod step;
pub mod uid;

pub use client::{OpgClient, OpgClientConfig, OpgError, Read};
pub use compare::{AppliedState, Difference, applied_state};
pub use deliver::{DeliveryOutcome, ReadBack, deliver, deliver_claimed};
pub use handler::{OpgStepHandler, SYNC_PROBLEM_EVENT};
pub use jwt::DEV_JWT_SECRET;
pub use lpaflow_lpa::lpa_store::{
    Change, ChangeLogEntry, FieldError, LpaStatus, Problem, Update, UpdateType,
};
pub use pacing::{WRITE_GAP, WritePacing};
pub use simulator::{
    Faults, FaultsPatch, Maintenance, SimulatorConfig, SimulatorHandle, StatsSnapshot,
};
pub use step::{Step, StepError};
