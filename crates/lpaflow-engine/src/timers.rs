//! The timer loop: fires due timers as `system` events, each in the same commit that consumes the timer, so a
//! timer fires exactly once, including one that fell due while no engine was running. A timer whose event is
//! not accepted now (the instance awaits a blocking step) is put off; one that can never be accepted in the
//! instance's state is dropped.

use crate::commands::Attached;
use crate::{Engine, Error};
use chrono::TimeDelta;
use lpaflow_core::{Command, EventName, Rejection};
use lpaflow_store::{ClaimedTimer, Fenced};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Timer loop settings.
#[derive(Clone, Copy, Debug)]
pub struct TimerOptions {
    /// Run the loop in this process.
    pub enabled: bool,
    /// How often to look for due timers when nothing wakes the loop.
    pub poll_ms: u64,
    /// Most timers claimed at once.
    pub batch: u32,
    /// How long a claim is held.
    pub lease_ms: u64,
    /// How long a timer whose event is not accepted yet is put off.
    pub defer_ms: u64,
}

impl Default for TimerOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            poll_ms: 1000,
            batch: 64,
            lease_ms: 30_000,
            defer_ms: 30_000,
        }
    }
}

pub(crate) async fn run(engine: Engine, cancel: CancellationToken) {
    let options = engine.inner.timer_options;
    loop {
        let fired = match engine.fire_due_timers().await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "firing due timers failed; will retry");
                0
            }
        };
        if fired as u32 >= options.batch {
            continue;
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = engine.inner.timers_changed.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(options.poll_ms)) => {}
        }
    }
}

impl Engine {
    /// Claims and fires every timer due now (at most one batch). Returns how many were claimed.
    pub async fn fire_due_timers(&self) -> Result<usize, Error> {
        let options = self.inner.timer_options;
        let now = self.inner.clock.now();
        let lease_until = now + TimeDelta::milliseconds(options.lease_ms as i64);
        let timers = self
            .inner
            .store
            .claim_timers(&self.inner.node_id, options.batch, lease_until, now)
            .await?;
        let n = timers.len();
        futures::future::join_all(timers.into_iter().map(|t| self.fire_timer(t))).await;
        Ok(n)
    }

    async fn fire_timer(&self, t: ClaimedTimer) {
        let command = Command::system(EventName::new(&t.event), &format!("timer:{}", t.name))
            .with_payload(t.payload.clone());
        let attached = Attached {
            consume_timer: Some(Fenced {
                key: t.name.clone(),
                fence: t.fence,
            }),
            complete_step: None,
            idempotency: None,
        };
        let result = self.fire_attached(&t.uid, command, attached).await;
        let store = &self.inner.store;
        let outcome = match result {
            Ok(_) => Ok("fired"),
            Err(Error::Rejected(Rejection::AwaitingSync { .. })) => {
                let until = self.inner.clock.now()
                    + TimeDelta::milliseconds(self.inner.timer_options.defer_ms as i64);
                store
                    .defer_timer(&t.uid, &t.name, t.fence, until)
                    .await
                    .map(|_| "deferred")
            }
            Err(Error::Rejected(r)) => {
                tracing::info!(uid = %t.uid, timer = %t.name, event = %t.event, code = r.code(), "timer event not accepted; dropping the timer");
                store
                    .drop_timer(&t.uid, &t.name, t.fence)
                    .await
                    .map(|_| "dropped")
            }
            Err(Error::NotFound(_)) => store
                .drop_timer(&t.uid, &t.name, t.fence)
                .await
                .map(|_| "dropped"),
            Err(e) => {
                tracing::warn!(uid = %t.uid, timer = %t.name, error = %e, "firing a timer failed; it will be retried when its lease ends");
                Ok("failed")
            }
        };
        match outcome {
            Ok(result) => {
                metrics::counter!("lpaflow_timers_total", "result" => result).increment(1)
            }
            Err(e) => {
                tracing::warn!(uid = %t.uid, timer = %t.name, error = %e, "recording a timer's outcome failed")
            }
        }
    }
}
