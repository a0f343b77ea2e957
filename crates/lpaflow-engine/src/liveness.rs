//! Liveness of engine processes sharing one database (issue 19).
//!
//! Every process registers itself in `nodes` and beats once a second. A beat also takes over every process
//! whose last beat is older than the bound (`dead_after`, 3 s by default): its step leases are released as
//! after a restart (ambiguous, so each step is read back before any re-send) and its timer leases freed, so its
//! work resumes within seconds instead of after its 30 s leases expire.
//!
//! A process that was only paused (a stopped VM, a long GC-like stall, SIGSTOP) must not act on what it held:
//! its late outcomes are refused by the fences, and before it sends anything it cannot take back it checks
//! [`Liveness::fresh`]: its own last successful beat must be younger than the bound less a margin, or another
//! process may already have taken its work over. Waking up, its next beat finds its row gone; it logs that it
//! was taken over and registers again.
//!
//! Heartbeats are stamped with each process's wall clock (as leases are), so whether a process is overdue
//! depends on two clocks agreeing. That is checked, not assumed: every beat reads the database's clock (the one
//! clock all processes share) and a process whose own clock is more than [`CLOCK_TOLERANCE`] from it counts as
//! not live (it sends nothing it cannot take back) and takes nobody over, until they agree again. Two
//! processes that each agree with the database are within twice the tolerance of each other, less than the
//! [`FRESH_MARGIN`] by which a process stops acting before others may take it over.

use crate::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use lpaflow_store::{NodeIdentity, Takeover};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How often a process beats, and when another one counts as dead.
#[derive(Clone, Debug)]
pub struct LivenessOptions {
    /// Between two beats.
    pub heartbeat: Duration,
    /// A process whose last beat is older than this is taken over.
    pub dead_after: Duration,
    /// Where this process can be reached, shown with it (diagnostics only).
    pub address: Option<String>,
}

impl Default for LivenessOptions {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(1),
            dead_after: Duration::from_secs(3),
            address: None,
        }
    }
}

/// Kept clear of the bound: a beat that is this close to being too old no longer vouches for the process.
const FRESH_MARGIN: Duration = Duration::from_millis(500);

/// How far a process's clock may be from the database's. Twice this must stay below [`FRESH_MARGIN`].
pub(crate) const CLOCK_TOLERANCE: TimeDelta = TimeDelta::milliseconds(200);

/// What one reading of the database's clock says of this process's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClockVerdict {
    /// The reading took too long to tell (a slow database): the previous verdict stands.
    Unchanged,
    /// Within the tolerance, as before.
    Agrees { skew_ms: i64 },
    /// Beyond it, as before.
    Disagrees { skew_ms: i64 },
    /// Within the tolerance again.
    NowAgrees { skew_ms: i64 },
    /// Beyond it, newly.
    NowDisagrees { skew_ms: i64 },
}

/// This process's view of its own liveness.
#[derive(Debug)]
pub struct Liveness {
    epoch: Instant,
    /// Milliseconds since `epoch` of the last successful beat (or registration).
    last_beat_ms: AtomicU64,
    dead_after: Duration,
    /// Bumped each time a beat finds this process taken over: claims made before belong to another now,
    /// whatever the beats say afterwards.
    generation: AtomicU64,
    /// Who this process beats as (a new incarnation after each takeover).
    identity: Mutex<NodeIdentity>,
    /// Whether this process's clock agreed with the database's at the last conclusive reading (false before
    /// the first).
    clock_agrees: AtomicBool,
    /// Whether the last beat found no other live process (false before the first beat).
    alone: AtomicBool,
}

impl Liveness {
    /// Liveness with the bound of `options`, alive now (just registered), its clock taken as agreeing (for a
    /// handler tested outside an engine, which has no database clock to check against).
    pub fn new(options: &LivenessOptions) -> Self {
        let l = Self::for_node("", options);
        l.clock_agrees.store(true, Ordering::SeqCst);
        l
    }

    /// Liveness of the process `node_id`, in a new incarnation, its clock not yet checked: not live until a
    /// reading of the database's clock shows it agrees.
    pub fn for_node(node_id: &str, options: &LivenessOptions) -> Self {
        Self {
            epoch: Instant::now(),
            last_beat_ms: AtomicU64::new(0),
            dead_after: options.dead_after,
            generation: AtomicU64::new(0),
            identity: Mutex::new(NodeIdentity {
                node_id: node_id.to_owned(),
                incarnation: new_incarnation(),
                address: options.address.clone(),
                dead_after: options.dead_after,
            }),
            clock_agrees: AtomicBool::new(false),
            alone: AtomicBool::new(false),
        }
    }

    /// Whether the last beat found no other live process: only then do commands start from the instances this
    /// process kept (`cache.rs`); with others committing, most kept instances would be old, and each old one
    /// costs a refused commit, which makes its whole group-commit batch run again.
    pub fn alone(&self) -> bool {
        self.alone.load(Ordering::SeqCst)
    }

    /// Records how many processes (this one included) the last beat found alive.
    fn saw_alive(&self, processes: u64) {
        self.alone.store(processes <= 1, Ordering::SeqCst);
    }

    /// Who this process beats as now.
    pub fn identity(&self) -> NodeIdentity {
        self.identity
            .lock()
            .map_or_else(|p| p.into_inner().clone(), |i| i.clone())
    }

    /// The current generation: claims made under another one were taken over.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Records that another process took this one over (or a restart under the same id replaced it): claims
    /// made so far are void, and it registers again as a new incarnation.
    pub(crate) fn taken_over(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        match self.identity.lock() {
            Ok(mut i) => i.incarnation = new_incarnation(),
            Err(p) => p.into_inner().incarnation = new_incarnation(),
        }
    }

    /// Records a successful beat at `at`.
    fn beat(&self, at: Instant) {
        let ms = u64::try_from(at.duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX);
        self.last_beat_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// True while no other process can have taken this one over: its last successful beat is younger than the
    /// bound less a margin.
    pub fn fresh(&self) -> bool {
        self.fresh_at(Instant::now())
    }

    fn fresh_at(&self, at: Instant) -> bool {
        let last = self.epoch + Duration::from_millis(self.last_beat_ms.load(Ordering::Relaxed));
        self.clock_agrees() && at.saturating_duration_since(last) + FRESH_MARGIN < self.dead_after
    }

    /// Whether this process's clock agreed with the database's at the last conclusive reading.
    pub fn clock_agrees(&self) -> bool {
        self.clock_agrees.load(Ordering::SeqCst)
    }

    /// Checks this process's clock against `database`, the database's clock read between `before` and
    /// `after` (this process's clock). The reading is conclusive when the whole interval is within the
    /// tolerance of it, or the whole interval is beyond it.
    pub(crate) fn check_clock(
        &self,
        before: DateTime<Utc>,
        after: DateTime<Utc>,
        database: DateTime<Utc>,
    ) -> ClockVerdict {
        let half = (after - before) / 2;
        let skew = database - (before + half);
        let skew_ms = skew.num_milliseconds();
        let agrees = if skew.abs() + half <= CLOCK_TOLERANCE {
            true
        } else if skew.abs() - half > CLOCK_TOLERANCE {
            false
        } else {
            return ClockVerdict::Unchanged;
        };
        match (self.clock_agrees.swap(agrees, Ordering::SeqCst), agrees) {
            (true, true) => ClockVerdict::Agrees { skew_ms },
            (false, false) => ClockVerdict::Disagrees { skew_ms },
            (false, true) => ClockVerdict::NowAgrees { skew_ms },
            (true, false) => ClockVerdict::NowDisagrees { skew_ms },
        }
    }
}

fn new_incarnation() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Beats until cancelled: once a heartbeat interval, and again the moment another process becomes overdue
/// (so a dead one is taken over at the bound, not up to an interval later).
pub(crate) async fn run(engine: Engine, options: LivenessOptions, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(options.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing_since: Option<Instant> = None;
    let mut next_overdue: Option<tokio::time::Instant> = None;
    loop {
        let overdue = async {
            match next_overdue {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
            () = overdue => {}
        }
        next_overdue = None;
        match beat_once(&engine, &options).await {
            Ok(deadline) => {
                if let Some(since) = failing_since.take() {
                    tracing::info!(node = %engine.node_id(), after_s = since.elapsed().as_secs(), "heartbeats work again");
                }
                next_overdue = deadline;
            }
            Err(e) => {
                if failing_since.is_none() {
                    tracing::warn!(node = %engine.node_id(), error = %e, "heartbeat failed; deliveries wait until one succeeds");
                    failing_since = Some(Instant::now());
                }
            }
        }
    }
}

/// Just past the moment another node becomes overdue (the store's test is strict).
const PAST_THE_BOUND: Duration = Duration::from_millis(20);

/// One beat: touch this node's row (register again if another process took it over) and take over the dead
/// (unless this process's clock disagrees with the database's). Returns when to beat again to take over the
/// next node that may die, if that comes before the next tick.
async fn beat_once(
    engine: &Engine,
    options: &LivenessOptions,
) -> Result<Option<tokio::time::Instant>, lpaflow_store::Error> {
    let store = &engine.inner.store;
    let node = engine.node_id();
    let Some(liveness) = engine.liveness() else {
        return Ok(None);
    };
    let mut started = Instant::now();
    // The clock first: this very beat may take others over only if this process's clock agrees now (a clock
    // stepped forward since the last beat would otherwise see live processes as silent).
    check_clock_against_database(store, node, liveness).await?;
    let mut now = crate::delivery::wall_now();
    let takeover = if liveness.clock_agrees() {
        Takeover::Allowed
    } else {
        Takeover::Withheld
    };
    let beat = store
        .heartbeat_with(&liveness.identity(), now, takeover)
        .await?;
    let verdict = liveness.check_clock(now, crate::delivery::wall_now(), beat.database_now);
    report_clock(node, verdict);
    let mut alive = beat.alive;
    if !beat.registered {
        // Before registering again: every claim made so far is void from here on.
        liveness.taken_over();
        tracing::warn!(
            node = %node,
            dead_after_ms = options.dead_after.as_millis() as u64,
            "this process was taken over by another (its heartbeat was older than the bound): what it held is no longer its own; registering again"
        );
        metrics::counter!("lpaflow_node_taken_over_total").increment(1);
        // Stamped now, not when the (possibly stalled) beat began, or the new row would be overdue at once.
        started = Instant::now();
        now = crate::delivery::wall_now();
        store.register_node(&liveness.identity(), now).await?;
        alive += 1;
    }
    liveness.beat(started);
    liveness.saw_alive(alive);
    if alive > 1 {
        // Others commit too: what this process kept may be old by now, and stays unused until it is alone.
        engine.inner.cache.clear();
    }
    metrics::gauge!("lpaflow_nodes_alive").set(alive as f64);
    let (mut steps, mut timers) = (0, 0);
    for t in &beat.taken_over {
        tracing::warn!(
            node = %node,
            dead_node = %t.node_id,
            last_heartbeat = %t.heartbeat_at.to_rfc3339(),
            steps = t.steps,
            timers = t.timers,
            "took over a dead engine process: its leases are released (steps are read back before any re-send)"
        );
        metrics::counter!("lpaflow_node_takeovers_total").increment(1);
        steps += t.steps;
        timers += t.timers;
    }
    if steps > 0 {
        engine.wake_delivery();
    }
    if timers > 0 {
        engine.wake_timers();
    }
    Ok(beat
        .next_overdue_at
        .and_then(|at| (at - now).to_std().ok())
        .filter(|wait| *wait < options.heartbeat)
        .map(|wait| tokio::time::Instant::from_std(started) + wait + PAST_THE_BOUND))
}

/// Reads the database's clock and judges this process's against it (before registering, and before each beat).
pub(crate) async fn check_clock_against_database(
    store: &lpaflow_store::Store,
    node: &str,
    liveness: &Liveness,
) -> Result<(), lpaflow_store::Error> {
    let before = crate::delivery::wall_now();
    let database = store.database_now().await?;
    let verdict = liveness.check_clock(before, crate::delivery::wall_now(), database);
    report_clock(node, verdict);
    Ok(())
}

/// Logs a change of verdict on this process's clock and keeps the gauge current.
fn report_clock(node: &str, verdict: ClockVerdict) {
    match verdict {
        ClockVerdict::Unchanged => {}
        ClockVerdict::Agrees { skew_ms } | ClockVerdict::Disagrees { skew_ms } => {
            metrics::gauge!("lpaflow_clock_skew_seconds").set(skew_ms as f64 / 1000.0);
        }
        ClockVerdict::NowAgrees { skew_ms } => {
            metrics::gauge!("lpaflow_clock_skew_seconds").set(skew_ms as f64 / 1000.0);
            tracing::info!(node = %node, skew_ms, "this process's clock agrees with the database's again");
        }
        ClockVerdict::NowDisagrees { skew_ms } => {
            metrics::gauge!("lpaflow_clock_skew_seconds").set(skew_ms as f64 / 1000.0);
            tracing::error!(
                node = %node,
                skew_ms,
                tolerance_ms = CLOCK_TOLERANCE.num_milliseconds(),
                "this process's clock disagrees with the database's: until they agree it takes no process over and sends nothing it cannot take back (fix the host's time synchronisation)"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beat_vouches_for_the_process_until_the_bound_less_the_margin() {
        let l = Liveness::new(&LivenessOptions::default());
        let t0 = l.epoch;
        assert!(l.fresh_at(t0 + Duration::from_millis(2_400)));
        assert!(
            !l.fresh_at(t0 + Duration::from_millis(2_600)),
            "paused past the bound less the margin"
        );
        l.beat(t0 + Duration::from_secs(2));
        assert!(l.fresh_at(t0 + Duration::from_millis(4_400)));
        l.beat(t0 + Duration::from_secs(1));
        assert!(
            l.fresh_at(t0 + Duration::from_millis(4_400)),
            "an older beat finishing late does not win"
        );
    }

    #[test]
    fn a_clock_is_judged_against_the_databases_only_when_the_reading_is_conclusive() {
        let l = Liveness::new(&LivenessOptions::default());
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z")
            .unwrap()
            .to_utc();
        let ms = TimeDelta::milliseconds;
        assert_eq!(
            l.check_clock(t, t + ms(10), t + ms(105)),
            ClockVerdict::Agrees { skew_ms: 100 }
        );
        assert_eq!(
            l.check_clock(t, t + ms(10), t + ms(305)),
            ClockVerdict::NowDisagrees { skew_ms: 300 },
            "the database's clock 300 ms ahead"
        );
        assert!(!l.clock_agrees());
        assert!(
            !l.fresh_at(l.epoch),
            "a process whose clock disagrees vouches for nothing, however recent its beat"
        );
        assert_eq!(
            l.check_clock(t, t + ms(600), t + ms(300)),
            ClockVerdict::Unchanged,
            "a reading that took 600 ms cannot tell 0 from 300 ms of skew"
        );
        assert!(!l.clock_agrees());
        assert_eq!(
            l.check_clock(t, t + ms(10), t - ms(300)),
            ClockVerdict::Disagrees { skew_ms: -305 },
            "the database's clock behind"
        );
        assert_eq!(
            l.check_clock(t, t + ms(10), t),
            ClockVerdict::NowAgrees { skew_ms: -5 }
        );
        assert!(l.fresh_at(l.epoch));
    }

    #[test]
    fn two_clocks_within_the_tolerance_of_the_database_stay_within_the_fresh_margin() {
        assert!(
            (CLOCK_TOLERANCE * 2).to_std().unwrap() < FRESH_MARGIN,
            "a survivor's clock ahead and the dead one's behind must not shorten the bound past the margin"
        );
    }

    #[test]
    fn a_takeover_starts_a_new_generation() {
        let l = Liveness::new(&LivenessOptions::default());
        let before = l.generation();
        l.taken_over();
        assert_ne!(l.generation(), before);
    }
}
