//! The delivery loop of one engine process. It claims as many due steps as it has free slots (one when the
//! breaker is half-open, none while it is open or a maintenance window is in force), delivers each on its own
//! task and records the outcome. A blocking step's confirmation event, or a handler's report, is committed in
//! the same transaction as the step's completion.

use super::handoff::HandedOff;
use super::hourly::MinuteCounts;
use super::{
    Attempt, Backoff, Breaker, BreakerState, ClaimedStep, DeliveryOptions, DeliveryStatus, Report,
    StepHandler,
};
use crate::commands::Attached;
use crate::{Engine, Error};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use lpaflow_core::{Command, EventName};
use lpaflow_store::{Fenced, MaintenanceWindow, StepFinish, StepOutcome, StepRow};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

const MAINTENANCE_REFRESH: Duration = Duration::from_secs(1);
const SUSPEND_SWEEP: Duration = Duration::from_secs(1);
/// How often an outcome that could not be recorded is retried.
const RECORD_RETRY: Duration = Duration::from_millis(500);
const RECORD_RETRY_DELAY: TimeDelta = TimeDelta::milliseconds(500);
/// Recording stops this long before the lease expires, so it never races another holder.
const RECORD_MARGIN: TimeDelta = TimeDelta::seconds(2);
/// Claiming stops this long before a planned window starts, so that no request is still travelling to the
/// external system when the window begins.
const MAINTENANCE_LEAD: TimeDelta = TimeDelta::seconds(1);

/// Shared between the loop, its tasks and status readers.
pub(crate) struct DeliveryState {
    pub(crate) options: DeliveryOptions,
    pub(crate) breaker: Mutex<Breaker>,
    pub(crate) backoff: Backoff,
    pub(crate) maintenance: Mutex<Option<MaintenanceWindow>>,
    /// Delivery slots of this process: a delivery runs holding one.
    pub(crate) slots: Arc<Semaphore>,
    /// Steps delivered per minute over the last hour.
    delivered: Mutex<MinuteCounts>,
    handoff: mpsc::UnboundedSender<HandedOff>,
    handed_off: Mutex<Option<mpsc::UnboundedReceiver<HandedOff>>>,
    /// Rounds in which the loop asked the store for steps to claim.
    pub(crate) claim_rounds: AtomicU64,
    /// Maintenance windows planned or cancelled through this process so far ([`Engine::maintenance_changed`]).
    windows_changed: AtomicU64,
    /// How many of those the windows in force (`maintenance`) were last read after.
    windows_read: AtomicU64,
}

impl DeliveryState {
    pub(crate) fn new(options: DeliveryOptions) -> Self {
        let (handoff, handed_off) = mpsc::unbounded_channel();
        Self {
            breaker: Mutex::new(Breaker::new(options.breaker, Instant::now())),
            backoff: Backoff::new(options.retry, options.seed),
            maintenance: Mutex::new(None),
            slots: Arc::new(Semaphore::new(options.concurrency.max(1))),
            delivered: Mutex::new(MinuteCounts::default()),
            handoff,
            handed_off: Mutex::new(Some(handed_off)),
            claim_rounds: AtomicU64::new(0),
            windows_changed: AtomicU64::new(0),
            windows_read: AtomicU64::new(0),
            options,
        }
    }

    /// Whether a delivery of `step` could start at once: the breaker is closed, no maintenance window is in
    /// force and a handler knows the step.
    pub(crate) fn can_start_now(&self, step: &str) -> bool {
        self.breaker().state(Instant::now()) == BreakerState::Closed
            && !self.windows_unread()
            && self
                .maintenance
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_none()
            && self.handler(step).is_some()
    }

    /// A window was planned or cancelled here and the loop has not read the windows since: nothing is handed
    /// over meanwhile (the window may have started), the loop's next round claims what waits.
    fn windows_unread(&self) -> bool {
        self.windows_changed.load(Ordering::Acquire) != self.windows_read.load(Ordering::Acquire)
    }

    /// Counts a window planned or cancelled through this process (see [`Engine::maintenance_changed`]).
    pub(crate) fn note_windows_changed(&self) {
        self.windows_changed.fetch_add(1, Ordering::AcqRel);
    }

    /// Passes a step leased with its commit to the loop (dropped if the loop has stopped: the lease is then
    /// released at shutdown or expires).
    pub(crate) fn hand_off(&self, step: HandedOff) {
        let _ = self.handoff.send(step);
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn delivered(&self) -> std::sync::MutexGuard<'_, MinuteCounts> {
        self.delivered.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn status(&self) -> DeliveryStatus {
        let now = Instant::now();
        let b = self.breaker();
        DeliveryStatus {
            enabled: true,
            breaker: b.state(now),
            breaker_since_seconds: now.duration_since(b.changed_at()).as_secs_f64(),
            last_unavailable: b.last_unavailable().cloned(),
            outages: b.outages(),
            delivered_last_hour: self.delivered().last_hour(wall_now()),
            maintenance: self
                .maintenance
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }

    fn handler(&self, step: &str) -> Option<Arc<dyn StepHandler>> {
        self.options
            .handlers
            .iter()
            .filter(|(prefix, _)| step.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, h)| h.clone())
    }
}

/// Bookkeeping of the loop itself.
struct Loop {
    engine: Engine,
    state: Arc<DeliveryState>,
    slots: Arc<Semaphore>,
    handed_off: mpsc::UnboundedReceiver<HandedOff>,
    /// Deliveries under way; each says whether a step may have become claimable when it was recorded.
    tasks: JoinSet<ClaimAfter>,
    /// The last round may have left claimable steps for want of a free slot (or did not look): a delivery
    /// that frees its slot is a reason to claim again.
    backlog: bool,
    marked_suspended: bool,
    last_sweep: Option<Instant>,
    /// Windows not yet over, as last read from the store (re-read every [`MAINTENANCE_REFRESH`]); which one is
    /// in force is decided on every round against the clock, so a window starts on time between two reads.
    windows: Vec<MaintenanceWindow>,
    last_maintenance_check: Option<Instant>,
}

pub(crate) async fn run(engine: Engine, state: Arc<DeliveryState>, cancel: CancellationToken) {
    let Some(handed_off) = state
        .handed_off
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
    else {
        tracing::error!("step delivery loop started twice; the second one stops");
        return;
    };
    let mut l = Loop {
        engine,
        slots: state.slots.clone(),
        state,
        handed_off,
        tasks: JoinSet::new(),
        backlog: false,
        marked_suspended: false,
        last_sweep: None,
        windows: Vec::new(),
        last_maintenance_check: None,
    };
    // The loop asks the store for steps only when some may be claimable: at start, when a commit enqueued a
    // step it did not hand over, when a delivery may have unblocked its instance's next step or freed a slot
    // a waiting step needs, when a retry it recorded falls due, at a known maintenance window's lead and end,
    // and every `poll_ms` (leases of other processes expiring). A step handed over with its commit, or a
    // delivery that changed nothing claimable, costs no round: in `bench workload` those were two rounds a
    // workflow, each a write transaction that found nothing (issue 18).
    let mut claim_at = tokio::time::Instant::now();
    while !cancel.is_cancelled() {
        while let Some(done) = l.tasks.try_join_next() {
            l.claim_after(done, &mut claim_at);
        }
        while let Ok(h) = l.handed_off.try_recv() {
            l.start(h);
        }
        if tokio::time::Instant::now() >= claim_at {
            let pause = match l.tick().await {
                Ok(pause) => pause,
                Err(e) => {
                    tracing::warn!(error = %e, "step delivery loop failed; retrying");
                    l.backlog = true;
                    Some(Duration::from_millis(l.state.options.poll_ms))
                }
            };
            claim_at =
                tokio::time::Instant::now() + pause.unwrap_or_default().min(l.until_window_edge());
            if pause.is_none() {
                continue;
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = l.engine.inner.steps_enqueued.notified() => claim_at = tokio::time::Instant::now(),
            h = l.handed_off.recv() => {
                if let Some(h) = h {
                    l.start(h);
                }
            }
            Some(done) = l.tasks.join_next(), if !l.tasks.is_empty() => {
                l.claim_after(done, &mut claim_at);
            }
            _ = tokio::time::sleep_until(claim_at) => {}
        }
    }
    // Let deliveries in flight finish and record their outcome (bounded by the lease time anyway).
    let drain = Duration::from_millis(l.state.options.lease_ms.min(10_000));
    let _ = tokio::time::timeout(drain, async {
        while l.tasks.join_next().await.is_some() {}
    })
    .await;
}

impl Loop {
    /// One round; `Some(pause)` to wait before the next.
    async fn tick(&mut self) -> Result<Option<Duration>, Error> {
        let store = self.engine.inner.store.clone();
        self.backlog = false;
        if let Some(window) = self.refresh_maintenance().await? {
            self.mark_suspended().await?;
            let left = (window.ends_at - wall_now()).to_std().unwrap_or_default();
            return Ok(Some(left.min(MAINTENANCE_REFRESH)));
        }
        let permit = self.state.breaker().permit(Instant::now());
        let wanted = match permit {
            super::breaker::Permit::Wait(until) => {
                self.mark_suspended().await?;
                return Ok(Some(
                    until
                        .saturating_duration_since(Instant::now())
                        .max(Duration::from_millis(10)),
                ));
            }
            super::breaker::Permit::Probe => 1,
            super::breaker::Permit::All => {
                if self.marked_suspended {
                    store.resume_suspended(wall_now()).await?;
                    self.marked_suspended = false;
                }
                self.slots.available_permits()
            }
        };
        if wanted == 0 {
            self.backlog = true;
            return Ok(Some(Duration::from_millis(self.state.options.poll_ms)));
        }
        let now = wall_now();
        let lease_until = now + TimeDelta::milliseconds(self.state.options.lease_ms as i64);
        self.state.claim_rounds.fetch_add(1, Ordering::Relaxed);
        let claimed = store
            .claim_steps(&self.engine.inner.node_id, wanted as u32, lease_until, now)
            .await;
        let probe_sent = matches!(&claimed, Ok(steps) if !steps.is_empty());
        if permit == super::breaker::Permit::Probe && !probe_sent {
            // The probe permit was taken but no probe goes out (nothing due, or the claim itself failed, which
            // says nothing about the OPG system): free it, or the breaker would wait for it forever.
            self.state.breaker().on_probe_inconclusive();
        }
        let claimed = claimed?;
        if claimed.is_empty() {
            return Ok(Some(Duration::from_millis(self.state.options.poll_ms)));
        }
        let full = claimed.len() == wanted;
        self.backlog = full;
        for step in claimed {
            let Some(slot) = self.next_free_slot().await else {
                break;
            };
            self.start(HandedOff { step, slot });
        }
        Ok(if full && permit == super::breaker::Permit::All {
            None
        } else {
            Some(Duration::from_millis(self.state.options.poll_ms))
        })
    }

    /// Waits for a free delivery slot for a claimed step. Meanwhile steps handed off with their commits are
    /// started: they hold slots of their own, and only this loop starts them, so waiting without starting
    /// them could wait forever. The semaphore is fair: a freed slot goes to this waiting loop before any
    /// commit can reserve it, so claimed steps are not starved by new commands.
    async fn next_free_slot(&mut self) -> Option<OwnedSemaphorePermit> {
        loop {
            let next = tokio::select! {
                slot = self.slots.clone().acquire_owned() => Ok(slot.ok()),
                Some(h) = self.handed_off.recv() => Err(h),
            };
            match next {
                Ok(slot) => return slot,
                Err(handed_off) => self.start(handed_off),
            }
        }
    }

    /// Starts delivering a leased step in the slot it holds.
    fn start(&mut self, h: HandedOff) {
        let engine = self.engine.clone();
        let state = self.state.clone();
        self.tasks.spawn(async move {
            let claim_after = deliver_one(&engine, &state, h.step).await;
            drop(h.slot);
            claim_after
        });
    }

    /// Brings `claim_at` forward to when a finished delivery makes a round worth it: now if its instance may
    /// have a next step it unblocked, or if the slot it freed may be wanted by a step the last round left; when
    /// its retry falls due; not at all when it does not (the loop's own schedule stands). A delivery that
    /// panicked says nothing: now.
    fn claim_after(
        &self,
        done: Result<ClaimAfter, tokio::task::JoinError>,
        claim_at: &mut tokio::time::Instant,
    ) {
        if done.is_err() {
            // A delivery that panicked reported nothing to the breaker: if it was the probe, the breaker would
            // wait for it forever. Freeing the permit at worst lets a second probe go while another is out.
            self.state.breaker().on_probe_inconclusive();
        }
        let at = match done.unwrap_or(ClaimAfter::Now) {
            _ if self.backlog => tokio::time::Instant::now(),
            ClaimAfter::Now => tokio::time::Instant::now(),
            ClaimAfter::At(due) => due,
            ClaimAfter::Nothing => return,
        };
        *claim_at = (*claim_at).min(at);
    }

    /// How long until a known maintenance window's lead starts or the window ends (`Duration::MAX` without
    /// one): a round updates the window in force, which also decides whether a command may hand its step over
    /// (`DeliveryState::can_start_now`), so rounds must not wait past those instants however long `poll_ms` is.
    fn until_window_edge(&self) -> Duration {
        let now = wall_now();
        self.windows
            .iter()
            .flat_map(|w| [w.starts_at - MAINTENANCE_LEAD, w.ends_at])
            .filter(|edge| *edge > now)
            .filter_map(|edge| (edge - now).to_std().ok())
            .fold(Duration::MAX, Duration::min)
    }

    async fn refresh_maintenance(&mut self) -> Result<Option<MaintenanceWindow>, Error> {
        // Windows planned in this process are read at once; those of other processes within a second, which
        // `MAINTENANCE_LEAD` covers.
        let changes = self.state.windows_changed.load(Ordering::Acquire);
        let due = self.state.windows_unread()
            || self
                .last_maintenance_check
                .is_none_or(|t| t.elapsed() >= MAINTENANCE_REFRESH);
        let now = wall_now();
        if due {
            self.windows = self.engine.inner.store.maintenance_windows(now).await?;
            self.last_maintenance_check = Some(Instant::now());
        }
        let active = self
            .windows
            .iter()
            .find(|w| w.starts_at - MAINTENANCE_LEAD <= now && now < w.ends_at)
            .cloned();
        {
            let mut current = self
                .state
                .maintenance
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if current.as_ref().map(|w| w.id) != active.as_ref().map(|w| w.id) {
                match &active {
                    Some(w) => tracing::info!(
                        window = w.id,
                        "OPG maintenance window started: delivery suspended"
                    ),
                    None => tracing::info!("OPG maintenance window over: delivery resumes"),
                }
            }
            *current = active;
        }
        if due {
            // Only now that the window in force is set may commands hand their steps over again.
            self.state.windows_read.store(changes, Ordering::Release);
        }
        let active = self
            .state
            .maintenance
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if active.is_none()
            && self.marked_suspended
            && self.state.breaker().state(Instant::now()) == BreakerState::Closed
        {
            self.engine.inner.store.resume_suspended(wall_now()).await?;
            self.marked_suspended = false;
        }
        Ok(active)
    }

    /// Shows waiting steps as `suspended` (again every second, to catch steps enqueued meanwhile).
    async fn mark_suspended(&mut self) -> Result<(), Error> {
        if self.last_sweep.is_none_or(|t| t.elapsed() >= SUSPEND_SWEEP) {
            self.engine.inner.store.suspend_ready_steps().await?;
            self.marked_suspended = true;
            self.last_sweep = Some(Instant::now());
        }
        Ok(())
    }
}

/// Delivery runs on the wall clock, never on the engine's business clock: leases, retry times and
/// maintenance windows are about the real OPG system, and a development clock moved forward by days must
/// not expire the leases of deliveries in flight (which would deliver them twice).
pub(crate) fn wall_now() -> DateTime<Utc> {
    // Microseconds: what the store keeps.
    Utc::now().trunc_subsecs(6)
}

/// What a recorded delivery says about the next claim round.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ClaimAfter {
    /// A step may have become claimable (the one after it, unblocked; or the outcome is not known).
    Now,
    /// The step itself is due again then (a retry or a deferral), and nothing else was unblocked.
    At(tokio::time::Instant),
    /// A completion that found no later step of its instance waiting.
    Nothing,
}

impl ClaimAfter {
    /// A retry or deferral due at `next` (wall clock).
    fn at(next: DateTime<Utc>) -> Self {
        let wait = (next - wall_now()).to_std().unwrap_or_default();
        Self::At(tokio::time::Instant::now() + wait)
    }
}

async fn deliver_one(engine: &Engine, state: &DeliveryState, step: StepRow) -> ClaimAfter {
    let attempt = match state.handler(step.step.as_str()) {
        Some(h) => {
            h.deliver(&ClaimedStep::new(&step, engine.liveness().cloned()))
                .await
        }
        None => Attempt::Failed {
            error: json!({"code": "no_handler", "detail": format!("no handler for step {}", step.step)}),
            report: None,
        },
    };
    let label: &'static str = match &attempt {
        Attempt::Done { .. } => "done",
        Attempt::Retry {
            unavailable: true, ..
        } => "unavailable",
        Attempt::Retry { .. } => "retry",
        Attempt::Deferred { .. } => "deferred",
        Attempt::Failed { .. } => "failed",
    };
    metrics::counter!("lpaflow_step_attempts_total", "result" => label).increment(1);
    state.breaker().on_attempt(&attempt, Instant::now());
    record_while_leased(engine, state, &step, attempt).await
}

/// Records a delivery's outcome, retrying while the database is unreachable and the lease still holds: the
/// delivery already happened, and giving up would leave the step to its lease expiry (a wait, then a
/// redelivery marked ambiguous). Every retry is fenced, so one that finds the outcome already recorded (its
/// first try committed but the reply was lost) changes nothing.
async fn record_while_leased(
    engine: &Engine,
    state: &DeliveryState,
    step: &StepRow,
    attempt: Attempt,
) -> ClaimAfter {
    let give_up = step
        .lease_until
        .map_or_else(wall_now, |until| until - RECORD_MARGIN);
    loop {
        match record(engine, state, step, attempt.clone()).await {
            Ok(claim_after) => return claim_after,
            Err(Error::Store(e)) if wall_now() + RECORD_RETRY_DELAY < give_up => {
                tracing::warn!(uid = %step.uid, step_id = step.id, error = %e, "recording a step's outcome failed; retrying while the lease holds");
                tokio::time::sleep(RECORD_RETRY).await;
            }
            Err(e) => {
                tracing::warn!(uid = %step.uid, step_id = step.id, error = %e, "recording a step's outcome failed; its lease will expire and it will be retried");
                return ClaimAfter::Now;
            }
        }
    }
}

fn finish(step: &StepRow, outcome: StepOutcome) -> StepFinish {
    StepFinish {
        step: Fenced {
            key: step.id,
            fence: step.fence,
        },
        uid: step.uid.clone(),
        outcome,
        at: wall_now(),
    }
}

async fn record(
    engine: &Engine,
    state: &DeliveryState,
    step: &StepRow,
    attempt: Attempt,
) -> Result<ClaimAfter, Error> {
    let store = &engine.inner.store;
    match attempt {
        Attempt::Done { result, report } => {
            let claim_after = complete(engine, step, result, report).await?;
            state.delivered().record(wall_now());
            Ok(claim_after)
        }
        Attempt::Retry {
            error,
            retry_after,
            ambiguous,
            unavailable,
        } => {
            let breaker_closed = state.breaker().state(Instant::now()) == BreakerState::Closed;
            // A suspended step waits for the breaker, whose rounds come on their own: `Now` lets the loop see it
            // opened at once, as before.
            let (outcome, after) = if unavailable && !breaker_closed {
                (StepOutcome::Suspended { error, ambiguous }, ClaimAfter::Now)
            } else if !unavailable && state.backoff.exhausted(step.attempts + 1) {
                let error = json!({"code": "attempts_exhausted", "detail": format!("gave up after {} attempts", step.attempts + 1), "last": error});
                let failed = StepOutcome::Failed {
                    error: error.clone(),
                };
                if !finish_once(engine, step, failed).await? {
                    return Ok(ClaimAfter::Now);
                }
                // The handler speaks for its domain: the engine composes no report of its own.
                let report = state.handler(step.step.as_str()).and_then(|h| {
                    h.gave_up(&ClaimedStep::new(step, engine.liveness().cloned()), &error)
                });
                report_failure(engine, step, report).await?;
                return Ok(ClaimAfter::Now);
            } else {
                let delay = state.backoff.delay(step.attempts, retry_after);
                let next = wall_now() + TimeDelta::from_std(delay).unwrap_or(TimeDelta::zero());
                // An unavailable system is not the step's fault: it does not use up the step's attempts.
                let retry = StepOutcome::Retry {
                    next_attempt_at: next,
                    error,
                    ambiguous,
                    count_attempt: !unavailable,
                };
                (retry, ClaimAfter::at(next))
            };
            store.finish_steps(vec![finish(step, outcome)]).await?;
            Ok(after)
        }
        Attempt::Deferred { retry_after } => {
            let next = wall_now() + TimeDelta::from_std(retry_after).unwrap_or(TimeDelta::zero());
            let outcome = StepOutcome::Retry {
                next_attempt_at: next,
                error: step.last_error.clone().unwrap_or(Value::Null),
                ambiguous: step.ambiguous,
                count_attempt: false,
            };
            store.finish_steps(vec![finish(step, outcome)]).await?;
            Ok(ClaimAfter::at(next))
        }
        Attempt::Failed { error, report } => {
            let failed = StepOutcome::Failed {
                error: error.clone(),
            };
            if !finish_once(engine, step, failed).await? {
                return Ok(ClaimAfter::Now);
            }
            report_failure(engine, step, report).await?;
            Ok(ClaimAfter::Now)
        }
    }
}

/// Records a failed step; false when this holder's fence no longer applies, which after a retry of
/// [`record_while_leased`] means an earlier try already recorded it and may have fired its report too: the
/// report is then not fired again (a report lost to a failure is the lesser harm than one recorded twice).
async fn finish_once(engine: &Engine, step: &StepRow, outcome: StepOutcome) -> Result<bool, Error> {
    let applied = engine
        .inner
        .store
        .finish_steps(vec![finish(step, outcome)])
        .await?;
    Ok(applied.first().copied().unwrap_or(false))
}

/// Completes a step, atomically with its confirmation event (blocking steps) or its report; whether its
/// instance may have a later step that became claimable.
async fn complete(
    engine: &Engine,
    step: &StepRow,
    result: Value,
    report: Option<Report>,
) -> Result<ClaimAfter, Error> {
    let fenced = Fenced {
        key: step.id,
        fence: step.fence,
    };
    let mut events: Vec<Command> = Vec::new();
    if let Some(then) = &step.then_event {
        events.push(Command::system(
            EventName::new(then),
            &format!("step:{}", step.id),
        ));
    }
    if let Some(r) = report {
        events.push(Command::system(r.event, &format!("step:{}", step.id)).with_payload(r.payload));
    }
    let mut completed = false;
    let mut after = ClaimAfter::Now;
    for command in events {
        let attached = if completed {
            Attached::default()
        } else {
            Attached {
                complete_step: Some((fenced.clone(), result.clone())),
                ..Attached::default()
            }
        };
        match engine.fire_attached(&step.uid, command, attached).await {
            Ok(outcome) => {
                completed = true;
                // The instance's steps as the commit counted them, less those this event enqueued (its first
                // is queued or leased, as this step was the oldest open one: handed over, or the commit woke the
                // loop; the rest wait behind it): none left after this one means none was waiting behind it.
                let before_event = outcome
                    .stored
                    .steps_enqueued
                    .saturating_sub(outcome.step_ids.len() as u64);
                after = if before_event > step.seq {
                    ClaimAfter::Now
                } else {
                    ClaimAfter::Nothing
                };
            }
            Err(Error::Rejected(r)) => {
                tracing::info!(uid = %step.uid, step_id = step.id, code = r.code(), "event after a delivered step not accepted");
            }
            Err(e) => return Err(e),
        }
    }
    if !completed {
        engine
            .inner
            .store
            .finish_steps(vec![finish(step, StepOutcome::Done { result })])
            .await?;
    }
    Ok(after)
}

/// Records the handler's report of a step that failed for good on its instance (nothing without one).
async fn report_failure(
    engine: &Engine,
    step: &StepRow,
    report: Option<Report>,
) -> Result<(), Error> {
    let Some(r) = report else { return Ok(()) };
    match engine
        .fire(
            &step.uid,
            Command::system(r.event, &format!("step:{}", step.id)).with_payload(r.payload),
        )
        .await
    {
        Ok(_) | Err(Error::Rejected(_)) => Ok(()),
        Err(e) => Err(e),
    }
}
