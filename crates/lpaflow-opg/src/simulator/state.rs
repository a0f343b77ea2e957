//! The simulator's shared state: store, verifiers (JWT, optional AWS signatures), fault settings and dice, stats, the stub protocol's counters and the
//! shutdown signal that also ends requests held by the timeout fault.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tokio_util::sync::CancellationToken;

use lpaflow_lpa::lpa_store::FieldError;

use crate::simulator::auth::JwtVerifier;
use crate::simulator::faults::{Dice, Faults, FaultsPatch, RetryAfter};
use crate::simulator::sigv4::AwsVerification;
use crate::simulator::stats::{Stats, StatsSnapshot};
use crate::simulator::store::Store;
use crate::simulator::stub::StubState;
use crate::simulator::{Error, SimulatorConfig};

/// Shared by every handler; build it with [`SimulatorState::open`] to call [`crate::simulator::router`].
pub struct SimulatorState {
    pub(crate) store: Store,
    pub(crate) verifier: JwtVerifier,
    pub(crate) aws: Option<AwsVerification>,
    faults: RwLock<Faults>,
    dice: Mutex<Dice>,
    pub(crate) stats: Stats,
    pub(crate) stub: StubState,
    pub(crate) shutdown: CancellationToken,
    pub(crate) retry_after: RetryAfter,
    pub(crate) timeout_hold_ms: u64,
}

impl SimulatorState {
    /// Opens (or creates) the database and loads the persisted counters.
    pub async fn open(config: &SimulatorConfig) -> Result<Arc<Self>, Error> {
        config.faults.validate().map_err(Error::Faults)?;
        let store = Store::open(&config.db_path, config.db_connections_max).await?;
        let (writes, duplicates) = store.load_stats().await?;
        Ok(Arc::new(Self {
            store,
            verifier: JwtVerifier::new(&config.jwt_secret),
            aws: config.aws.clone(),
            faults: RwLock::new(config.faults.clone()),
            dice: Mutex::new(Dice::new(config.faults.seed)),
            stats: Stats::new(writes, duplicates),
            stub: StubState::new(config.stub_offline),
            shutdown: CancellationToken::new(),
            retry_after: RetryAfter {
                outage_s: config.outage_retry_after_s,
                throttle_s: config.throttle_retry_after_s,
            },
            timeout_hold_ms: config.timeout_hold_ms,
        }))
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces every setting and reseeds the dice from `faults.seed`.
    pub fn set_faults(&self, faults: Faults) -> Result<(), Vec<FieldError>> {
        faults.validate()?;
        let seed = faults.seed;
        *self.faults.write().unwrap_or_else(PoisonError::into_inner) = faults;
        *self.dice() = Dice::new(seed);
        Ok(())
    }

    /// Applies a patch (omitted keys keep their value); reseeds when the patch has a `seed`.
    pub fn patch_faults(&self, patch: &FaultsPatch) -> Result<Faults, Vec<FieldError>> {
        let mut guard = self.faults.write().unwrap_or_else(PoisonError::into_inner);
        let next = guard.patched(patch);
        next.validate()?;
        *guard = next.clone();
        drop(guard);
        if let Some(seed) = patch.seed {
            *self.dice() = Dice::new(seed);
        }
        Ok(next)
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    pub(crate) fn dice(&self) -> std::sync::MutexGuard<'_, Dice> {
        self.dice.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
