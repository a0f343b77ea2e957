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
//! Heartbeats use the wall clock of each process (as leases do): the processes' clocks must agree to well
//! within the bound (NTP).

use crate::Engine;
use lpaflow_store::NodeIdentity;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
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
}

impl Liveness {
    /// Liveness with the bound of `options`, alive now (just registered).
    pub fn new(options: &LivenessOptions) -> Self {
        Self::for_node("", options)
    }

    /// Liveness of the process `node_id`, in a new incarnation.
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
        }
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
        at.saturating_duration_since(last) + FRESH_MARGIN < self.dead_after
    }
}

fn new_incarnation() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Beats until cancelled.
pub(crate) async fn run(engine: Engine, options: LivenessOptions, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(options.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing_since: Option<Instant> = None;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let started = Instant::now();
        match beat_once(&engine, &options).await {
            Ok(()) => {
                if let Some(since) = failing_since.take() {
                    tracing::info!(node = %engine.node_id(), after_s = since.elapsed().as_secs(), "heartbeats work again");
                }
                if let Some(l) = engine.liveness() {
                    l.beat(started);
                }
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

/// One beat: touch this node's row (register again if another process took it over) and take over the dead.
async fn beat_once(engine: &Engine, options: &LivenessOptions) -> Result<(), lpaflow_store::Error> {
    let store = &engine.inner.store;
    let node = engine.node_id();
    let Some(liveness) = engine.liveness() else {
        return Ok(());
    };
    let now = crate::delivery::wall_now();
    let beat = store.heartbeat(&liveness.identity(), now).await?;
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
        store.register_node(&liveness.identity(), now).await?;
        alive += 1;
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
    Ok(())
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
    fn a_takeover_starts_a_new_generation() {
        let l = Liveness::new(&LivenessOptions::default());
        let before = l.generation();
        l.taken_over();
        assert_ne!(l.generation(), before);
    }
}
