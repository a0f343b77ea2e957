//! Planned OPG maintenance windows: no step is sent to OPG inside one. Planning or cancelling a window wakes the
//! delivery so it takes effect at once; times are kept to the microsecond, as both databases keep them.

use crate::service::LpaService;
use chrono::{DateTime, SubsecRound, Utc};
use lpaflow_core::PayloadProblem;
use lpaflow_core::text::{TextKind, refused_char};
use lpaflow_engine::Error;
use lpaflow_store::MaintenanceWindow;
use serde_json::{Map, Value};

impl LpaService {
    /// Plans a maintenance window from `from` to `to` (stored to the microsecond, as both databases keep
    /// times) and wakes the delivery so it takes effect now.
    pub async fn add_maintenance(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        reason: &str,
        actor: &str,
    ) -> Result<MaintenanceWindow, Error> {
        let (from, to) = (from.trunc_subsecs(6), to.trunc_subsecs(6));
        let now = self.now().trunc_subsecs(6);
        let w = self
            .store
            .add_maintenance(from, to, reason, actor, now)
            .await?;
        self.engine.maintenance_changed();
        tracing::info!(window = w.id, actor = %actor, "OPG maintenance window planned");
        Ok(w)
    }

    /// Windows not yet over, soonest first.
    pub async fn maintenance_windows(&self) -> Result<Vec<MaintenanceWindow>, Error> {
        Ok(self.store.maintenance_windows(self.now()).await?)
    }

    /// Cancels window `id`; `false` when there is none.
    pub async fn remove_maintenance(&self, id: i64) -> Result<bool, Error> {
        let removed = self.store.remove_maintenance(id).await?;
        if removed {
            self.engine.maintenance_changed();
        }
        Ok(removed)
    }
}

/// A maintenance window to plan.
#[derive(Clone, Debug)]
pub struct WindowRequest {
    /// Start.
    pub from: DateTime<Utc>,
    /// End, after `from`.
    pub to: DateTime<Utc>,
    /// Why (shown to people).
    pub reason: String,
}

/// A maintenance window asked for: `{from, to, reason}` (RFC 3339 times, `from` before `to`, a reason of 1 to
/// 500 characters); every problem at once.
pub fn read_window(body: &Map<String, Value>) -> Result<WindowRequest, Vec<PayloadProblem>> {
    let mut problems = Vec::new();
    for key in body
        .keys()
        .filter(|k| !["from", "to", "reason"].contains(&k.as_str()))
    {
        problems.push(PayloadProblem::new(
            format!("/{key}"),
            "is not a field of a maintenance window (from, to, reason)",
        ));
    }
    let mut time = |key: &str| match body.get(key) {
        Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(t.to_utc()),
            Err(_) => {
                problems.push(PayloadProblem::new(
                    format!("/{key}"),
                    "must be an RFC 3339 time such as 2026-12-01T22:00:00Z",
                ));
                None
            }
        },
        _ => {
            problems.push(PayloadProblem::new(
                format!("/{key}"),
                "is required (an RFC 3339 time)",
            ));
            None
        }
    };
    let (from, to) = (time("from"), time("to"));
    let reason = match body.get("reason") {
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 500 => {
            match refused_char(s.trim(), TextKind::Free) {
                None => Some(s.trim().to_owned()),
                Some(why) => {
                    problems.push(PayloadProblem::new("/reason", why));
                    None
                }
            }
        }
        _ => {
            problems.push(PayloadProblem::new(
                "/reason",
                "is required: 1 to 500 characters",
            ));
            None
        }
    };
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        problems.push(PayloadProblem::new("/to", "must be after `from`"));
    }
    match (from, to, reason) {
        (Some(from), Some(to), Some(reason)) if problems.is_empty() => {
            Ok(WindowRequest { from, to, reason })
        }
        _ => Err(problems),
    }
}
