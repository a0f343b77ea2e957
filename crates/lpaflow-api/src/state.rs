//! What every handler shares: the LPA service, the authenticator, the configuration, the metrics handle.

use crate::auth::{Authenticator, Caller};
use crate::problem::Problem;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lpaflow_app::LpaService;
use lpaflow_core::ManualClock;
use std::sync::Arc;
use std::time::Duration;

/// API settings (validated by the CLI).
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Largest request body (bytes); larger ones are 413.
    pub body_limit_bytes: usize,
    /// How long an `Idempotency-Key` is remembered.
    pub idempotency_ttl: Duration,
    /// How long a reservation whose request neither committed nor answered blocks retries before it is taken
    /// over (its holder died before committing).
    pub idempotency_lock_timeout: Duration,
    /// Development mode (`serve --dev`): development tokens exist and the console offers them.
    pub dev: bool,
    /// The development clock (`serve --dev-clock`), which `POST /v1/dev/clock` moves forward.
    pub dev_clock: Option<Arc<ManualClock>>,
    /// Longest time a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Peers whose `X-Forwarded-*` headers are believed (`serve --trusted-proxy`).
    pub trusted_proxies: crate::proxy::TrustedProxies,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: 1024 * 1024,
            idempotency_ttl: Duration::from_secs(24 * 3600),
            idempotency_lock_timeout: Duration::from_secs(60),
            dev: false,
            dev_clock: None,
            request_timeout: Duration::from_secs(30),
            trusted_proxies: crate::proxy::TrustedProxies::default(),
        }
    }
}

/// Shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) lpas: LpaService,
    pub(crate) auth: Arc<Authenticator>,
    pub(crate) config: Arc<ApiConfig>,
    pub(crate) metrics: metrics_exporter_prometheus::PrometheusHandle,
}

impl AppState {
    /// State over the LPA service, verifying tokens with `auth`.
    pub fn new(lpas: LpaService, auth: Authenticator, config: ApiConfig) -> Self {
        Self {
            lpas,
            auth: Arc::new(auth),
            config: Arc::new(config),
            metrics: crate::metrics::handle(),
        }
    }

    /// The LPA use cases.
    pub fn lpas(&self) -> &LpaService {
        &self.lpas
    }

    /// The authenticator.
    pub fn auth(&self) -> &Authenticator {
        &self.auth
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let caller = state.auth.verify_parts(parts).map_err(Problem::from)?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}
