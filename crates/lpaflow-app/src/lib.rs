//! lpaflow-app: the LPA use cases, in one room. The HTTP API and the web console are adapters over
//! [`LpaService`]: they parse input, call one service method and render its answer; neither reaches the engine
//! or the store. Here live the policies that are the product's and not HTTP's: creating with a generated
//! reference, the `If-Match` policy, the read model of an LPA for a role (the rules run once per read), the
//! queues, history and verification, the decisions on failed OPG steps, maintenance windows, the OPG status,
//! the fee report, idempotency reservations, reconciliation with the LPA Store, and the wiring that starts the
//! engine with the LPA rules and the OPG handler ([`wiring`]).
//!
//! The crate re-exports the value types of its interface (rows, statuses, errors, outcomes) so that adapters
//! name them through it; it never hands out the [`lpaflow_engine::Engine`] or the [`lpaflow_store::Store`].

pub mod audit;
pub mod caller;
pub mod idempotency;
pub mod log_proofs;
pub mod maintenance;
pub mod ops;
pub mod page;
mod permissions;
pub mod queues;
pub mod reconcile;
pub mod refunds;
pub mod replay;
pub mod reports;
pub mod reveals;
pub mod schema;
mod service;
pub mod sessions;
pub mod steps;
pub mod uid;
pub mod view;
pub mod wiring;
pub mod workflows;

pub use caller::{Caller, Forbidden, Role};
pub use service::{FireError, LpaService, ServiceSettings};
pub use wiring::{LpaEngine, OpgDelivery, WorkflowSource};

pub use lpaflow_engine::delivery::{BreakerState, LastHour, Outage};
pub use lpaflow_engine::{DeliveryStatus, Error, Outcome};
pub use lpaflow_store::{
    Backlog, Error as StoreError, Failure, IdempotencyMark, InstanceSummary, ListQuery, ListSort,
    MAX_PAGE, MaintenanceWindow, Page, Reservation, StepRow, StepStatus, StoredInstance,
    SyncStatus, TimerRow, VerifyReport, WaitingInstance,
};
