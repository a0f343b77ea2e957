//! The OPG simulator: the real LPA Store (`shared/lpa-store/`, the store's Go handlers at a pinned commit)
//! imitated rule by rule over its own SQLite database, so that lpaflow's client is tested against the store's
//! behaviour and not against its own idea of it. The rules are ported from the store's Go code
//! ([`rules`]), request bodies are decoded as Go decodes them ([`go_json`]), tokens are checked as the store
//! checks them ([`auth`]) and, when given a key pair, AWS signatures as API Gateway checks them ([`sigv4`]).
//! Around that: a change log keyed as DynamoDB keys it, fault injection set at runtime (`PUT
//! /__admin/faults`), stats that count duplicate writes, and the workload stub protocol. `lpaflow opg-sim`
//! runs it alone; `lpaflow serve` embeds it when no OPG URL is given. `docs/opg-api.md`, "The simulator",
//! lists every rule's Go source and every known difference from the real store.

mod admin;
pub mod auth;
mod duplicates;
mod faults;
pub mod go_json;
mod http;
pub mod requests;
mod routes;
pub mod rules;
mod server;
pub mod sigv4;
mod state;
mod stats;
mod store;
mod stub;
mod write_faults;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use auth::{ISSUERS, JWT_HEADER};
pub use faults::{Faults, FaultsPatch, LATENCY_MS_MAX, Maintenance};
pub use routes::BATCH_UIDS_MAX;
pub use sigv4::{AwsVerification, DEFAULT_REGION};
pub use state::SimulatorState;
pub use stats::StatsSnapshot;

use lpaflow_lpa::lpa_store::FieldError;

/// Largest request body accepted: a Lambda's synchronous payload limit (6 MB), which a paper LPA's scanned
/// images count against. A larger body is answered 413 by the simulator (API Gateway would refuse it too).
pub const BODY_BYTES_MAX: usize = 6 * 1024 * 1024;

/// Simulator settings, resolved by the CLI.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatorConfig {
    pub db_path: PathBuf,
    pub jwt_secret: String,
    /// Faults at start (CLI flags); changed later through `PUT /__admin/faults` or [`SimulatorHandle`].
    pub faults: Faults,
    /// How long the timeout fault holds a request before dropping it (longer than any client timeout).
    pub timeout_hold_ms: u64,
    /// `Retry-After` of an outage 503.
    pub outage_retry_after_s: u64,
    /// `Retry-After` of a throttled 429.
    pub throttle_retry_after_s: u64,
    /// Start the stub protocol offline (the Python stub's `OPG_OFFLINE=1`).
    pub stub_offline: bool,
    /// SQLite connections in the pool (readers; writes are serialised anyway).
    pub db_connections_max: u32,
    /// When set, every `/lpas...` request must carry an AWS Signature V4 from this key pair (API Gateway's
    /// `AWS_IAM`, service `execute-api`); `None` checks none.
    pub aws: Option<AwsVerification>,
}

impl SimulatorConfig {
    /// No faults, no AWS signatures; 30 s timeout hold; `Retry-After` 5 s (outage) and 1 s (throttle); 4 connections.
    pub fn new(db_path: impl Into<PathBuf>, jwt_secret: impl Into<String>) -> Self {
        Self {
            db_path: db_path.into(),
            jwt_secret: jwt_secret.into(),
            faults: Faults::default(),
            timeout_hold_ms: 30_000,
            outage_retry_after_s: 5,
            throttle_retry_after_s: 1,
            stub_offline: false,
            db_connections_max: 4,
            aws: None,
        }
    }
}

/// Why the simulator could not start or change its settings.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("invalid fault settings: {}", .0.iter().map(|e| format!("{} {}", e.source, e.detail)).collect::<Vec<_>>().join("; "))]
    Faults(Vec<FieldError>),
    #[error("could not read the listener's address")]
    Listener(#[source] std::io::Error),
    #[error("the server task failed")]
    Join(#[source] tokio::task::JoinError),
}

/// The simulator's routes, for `oneshot` tests (faults that drop connections need [`start`]).
pub fn router(state: Arc<SimulatorState>) -> Router {
    Router::new()
        .route("/lpas/{uid}", put(routes::create).get(routes::get))
        .route("/lpas", post(routes::post_lpas))
        .route(
            "/lpas/{uid}/updates",
            post(routes::update).get(routes::updates),
        )
        .route("/health-check", get(routes::health))
        .route(
            "/__admin/faults",
            get(admin::get_faults).put(admin::put_faults),
        )
        .route("/__admin/stats", get(admin::stats))
        .route("/__admin/reset", post(admin::reset))
        .route("/admin/offline", post(stub::offline))
        .route("/admin/online", post(stub::online))
        .route("/admin/reset", post(stub::reset))
        .route("/admin/stats", get(stub::stats))
        .route("/admin/counts", get(stub::counts))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::count,
        ))
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .with_state(state)
}

/// A running simulator.
pub struct SimulatorHandle {
    addr: SocketAddr,
    state: Arc<SimulatorState>,
    task: JoinHandle<()>,
}

/// Opens the database and serves on `listener` until [`SimulatorHandle::shutdown`].
pub async fn start(
    config: SimulatorConfig,
    listener: TcpListener,
) -> Result<SimulatorHandle, Error> {
    let addr = listener.local_addr().map_err(Error::Listener)?;
    let state = SimulatorState::open(&config).await?;
    let task = tokio::spawn(server::serve(
        listener,
        router(state.clone()),
        state.shutdown.clone(),
    ));
    tracing::info!(%addr, "OPG simulator listening");
    match &config.aws {
        Some(aws) => tracing::info!(
            access_key_id = %aws.access_key_id,
            region = %aws.region,
            "OPG simulator verifies AWS Signature V4 on every LPA route"
        ),
        None => tracing::info!("OPG simulator does not check AWS signatures (no key pair given)"),
    }
    Ok(SimulatorHandle { addr, state, task })
}

impl SimulatorHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, for [`crate::OpgClientConfig::base_url`].
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> &Arc<SimulatorState> {
        &self.state
    }

    pub fn faults(&self) -> Faults {
        self.state.faults()
    }

    /// Replaces every fault setting (and reseeds the dice).
    pub fn set_faults(&self, faults: Faults) -> Result<(), Error> {
        self.state.set_faults(faults).map_err(Error::Faults)
    }

    /// Changes the given settings only, like `PUT /__admin/faults`.
    pub fn patch_faults(&self, patch: &FaultsPatch) -> Result<Faults, Error> {
        self.state.patch_faults(patch).map_err(Error::Faults)
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.state.stats()
    }

    /// Stops accepting, releases held requests, waits for open connections (bounded), closes the database.
    pub async fn shutdown(self) -> Result<(), Error> {
        self.state.shutdown.cancel();
        let joined = self.task.await;
        self.state.store.close().await;
        joined.map_err(Error::Join)
    }
}
