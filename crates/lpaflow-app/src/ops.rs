//! Operations: the OPG database as lpaflow sees it (breaker, maintenance, backlog), the readiness of this
//! process (database, OPG, the engine processes sharing the database) and the figures `/metrics` refreshes on
//! each scrape. Planned maintenance windows are in `maintenance.rs`.

use crate::service::LpaService;
use chrono::{DateTime, Utc};
use lpaflow_engine::delivery::BreakerState;
use lpaflow_engine::{DeliveryStatus, Error};
use lpaflow_store::{Backlog, Failure, MaintenanceWindow, NodeRow};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The OPG database as lpaflow sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpgStatus {
    /// `up`, `down` (breaker open or probing), `maintenance`, or `not_configured` (this process delivers nothing).
    pub opg: String,
    /// `closed`, `open` or `half_open`.
    pub breaker: String,
    /// Seconds since the breaker last changed state.
    pub breaker_since_seconds: f64,
    /// When OPG stopped answering, while it has not answered since (this process's view).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub down_since: Option<DateTime<Utc>>,
    /// OPG's recent outages as this process saw them, newest first: `startedAt`, `endedAt` (absent while it
    /// lasts), `lastError`.
    #[schema(value_type = Vec<Object>)]
    pub outages: Vec<lpaflow_engine::delivery::Outage>,
    /// Steps this process delivered in the last hour: `total` and `perMinute` (60 counts, oldest first).
    #[schema(value_type = Object)]
    pub delivered_last_hour: lpaflow_engine::delivery::LastHour,
    /// The maintenance window in force.
    #[schema(value_type = Option<Object>)]
    pub maintenance: Option<MaintenanceWindow>,
    /// Steps not yet confirmed.
    pub pending_steps: u64,
    /// Steps refused for good.
    pub failed_steps: u64,
    /// Age of the oldest unconfirmed step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_pending_seconds: Option<i64>,
    /// Steps by status.
    #[schema(value_type = Object)]
    pub by_status: Value,
}

/// Why this process cannot serve.
#[derive(Clone, Debug)]
pub enum NotReady {
    /// The database does not answer.
    Unreachable,
    /// The database answers reads but refuses writes (`unreachable`, `read_only`, `full`) since `since`.
    Writes {
        /// Which failure.
        failure: Failure,
        /// Since when.
        since: DateTime<Utc>,
    },
    /// The backlog cannot be read.
    Failing,
}

/// Why the service is degraded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Degraded {
    /// A planned maintenance window is in force.
    OpgMaintenance,
    /// OPG refuses lpaflow's credentials.
    OpgCredentialsRefused,
    /// OPG does not answer.
    OpgUnavailable,
}

/// An engine process sharing the database.
#[derive(Clone, Debug)]
pub struct NodeView {
    /// The row.
    pub node: NodeRow,
    /// Milliseconds since its last heartbeat (by this process's wall clock).
    pub heartbeat_age_ms: i64,
    /// Whether it is this process.
    pub is_self: bool,
}

/// A process ready to serve.
#[derive(Clone, Debug)]
pub struct Ready {
    /// The OPG word (`up`, `down`, `maintenance`, `not_configured`).
    pub opg: &'static str,
    /// The breaker word.
    pub breaker: &'static str,
    /// Steps not yet confirmed.
    pub pending_steps: u64,
    /// Age of the oldest unconfirmed step (0 when none).
    pub oldest_pending_seconds: i64,
    /// The engine processes.
    pub nodes: Vec<NodeView>,
    /// Set when OPG is down or in maintenance, with OPG's last error when it is down.
    pub degraded: Option<(Degraded, Option<Value>)>,
}

impl LpaService {
    /// OPG as this process's delivery sees it: (`opg` word, breaker word, the delivery status).
    pub fn opg_word(&self) -> (&'static str, &'static str, DeliveryStatus) {
        let d = self.engine.delivery_status();
        let word = if !d.enabled {
            "not_configured"
        } else if d.maintenance.is_some() {
            "maintenance"
        } else if d.breaker == BreakerState::Closed {
            "up"
        } else {
            "down"
        };
        (word, d.breaker.into(), d)
    }

    /// The LPAs waiting longest for OPG (their oldest step not yet confirmed first), at most `limit`.
    pub async fn waiting_for_opg(
        &self,
        limit: u32,
    ) -> Result<Vec<lpaflow_store::WaitingInstance>, Error> {
        Ok(self.store.waiting_instances(limit).await?)
    }

    /// The OPG status and backlog.
    pub async fn opg_status(&self) -> Result<OpgStatus, Error> {
        let backlog = self.store.backlog().await?;
        Ok(self.status_of(&backlog))
    }

    fn status_of(&self, backlog: &Backlog) -> OpgStatus {
        let (word, breaker, d) = self.opg_word();
        OpgStatus {
            opg: word.to_owned(),
            breaker: breaker.to_owned(),
            breaker_since_seconds: d.breaker_since_seconds,
            down_since: d
                .outages
                .first()
                .filter(|o| o.ended_at.is_none())
                .map(|o| o.started_at),
            outages: d.outages,
            delivered_last_hour: d.delivered_last_hour,
            maintenance: d.maintenance,
            pending_steps: backlog.open(),
            failed_steps: backlog.by_status.get("failed").copied().unwrap_or(0),
            oldest_pending_seconds: backlog.oldest_open_at.map(waited_seconds),
            by_status: serde_json::to_value(&backlog.by_status).unwrap_or(Value::Null),
        }
    }

    /// Whether this process can serve, and how well.
    pub async fn readiness(&self) -> Result<Ready, NotReady> {
        if let Err(e) = self.store.ping().await {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            return Err(NotReady::Unreachable);
        }
        // A refused value (InvalidData) or an unclassified error says nothing about the database's health.
        if let Some(w) = self.store.write_failure()
            && matches!(
                w.failure,
                Failure::Unreachable | Failure::ReadOnly | Failure::Full
            )
        {
            return Err(NotReady::Writes {
                failure: w.failure,
                since: w.since,
            });
        }
        let (opg, breaker, delivery) = self.opg_word();
        let backlog = self.store.backlog().await.map_err(|e| {
            tracing::warn!(error = %e, "readiness: the backlog cannot be read");
            NotReady::Failing
        })?;
        let oldest_pending_seconds = backlog.oldest_open_at.map_or(0, waited_seconds);
        let degraded = match opg {
            "maintenance" => Some((Degraded::OpgMaintenance, None)),
            "down" => {
                let last = delivery.last_unavailable;
                let credentials = last
                    .as_ref()
                    .and_then(|e| e.get("class"))
                    .and_then(Value::as_str)
                    == Some("credentials");
                let why = if credentials {
                    Degraded::OpgCredentialsRefused
                } else {
                    Degraded::OpgUnavailable
                };
                Some((why, last))
            }
            _ => None,
        };
        Ok(Ready {
            opg,
            breaker,
            pending_steps: backlog.open(),
            oldest_pending_seconds,
            nodes: self.nodes_or_none().await,
            degraded,
        })
    }

    /// The engine processes sharing the database (empty, with a warning, when they cannot be read).
    async fn nodes_or_none(&self) -> Vec<NodeView> {
        match self.nodes().await {
            Ok(nodes) => nodes,
            Err(e) => {
                tracing::warn!(error = %e, "readiness: the engine processes cannot be read");
                Vec::new()
            }
        }
    }

    /// The engine processes sharing the database, with their heartbeat age by this process's wall clock.
    pub async fn nodes(&self) -> Result<Vec<NodeView>, Error> {
        let wall = Utc::now();
        let me = self.engine.node_id();
        Ok(self
            .store
            .nodes()
            .await?
            .into_iter()
            .map(|n| NodeView {
                heartbeat_age_ms: (wall - n.heartbeat_at).num_milliseconds().max(0),
                is_self: n.node_id == me,
                node: n,
            })
            .collect())
    }

    /// The outbox backlog by status.
    pub async fn backlog(&self) -> Result<Backlog, Error> {
        Ok(self.store.backlog().await?)
    }

    /// LPAs by (workflow, state).
    pub async fn count_by_state(&self) -> Result<Vec<(String, String, u64)>, Error> {
        Ok(self.store.count_by_state().await?)
    }

    /// The delivery status (breaker, maintenance, last error).
    pub fn delivery_status(&self) -> DeliveryStatus {
        self.engine.delivery_status()
    }

    /// Wakes the timers (after the development clock moved).
    pub fn wake_timers(&self) {
        self.engine.wake_timers();
    }
}

impl LpaService {
    /// Sets the gauges read from the database (outbox backlog by status, LPAs by state) and the breaker's,
    /// before a scrape. The engine sets the breaker gauge only when the breaker changes state, so a process
    /// whose OPG never failed would have no series at all (same values: 0 closed, 1 half-open, 2 open).
    pub async fn refresh_gauges(&self) {
        if let Ok(backlog) = self.store.backlog().await {
            for status in [
                "blocked",
                "queued",
                "suspended",
                "in_flight",
                "retrying",
                "failed",
            ] {
                let n = backlog.by_status.get(status).copied().unwrap_or(0);
                metrics::gauge!("lpaflow_outbox_backlog", "status" => status).set(n as f64);
            }
        }
        let delivery = self.engine.delivery_status();
        if delivery.enabled {
            let value = match delivery.breaker {
                BreakerState::Closed => 0.0,
                BreakerState::HalfOpen => 1.0,
                BreakerState::Open => 2.0,
            };
            metrics::gauge!("lpaflow_breaker_state").set(value);
        }
        if let Ok(counts) = self.store.count_by_state().await {
            for (workflow, s, n) in counts {
                metrics::gauge!("lpaflow_instances", "workflow" => workflow, "state" => s)
                    .set(n as f64);
            }
        }
    }
}

/// How long a step enqueued at `enqueued` has waited, in whole seconds. Steps are enqueued and delivered on the
/// wall clock (`Commit::enqueued_at`), whatever the business clock says: with the development clock moved 28
/// days on, a step enqueued a minute ago has waited a minute.
pub fn waited_seconds(enqueued: DateTime<Utc>) -> i64 {
    (Utc::now() - enqueued).num_seconds().max(0)
}
