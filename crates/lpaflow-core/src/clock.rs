//! Injected time. Everything that decides takes `now` from a [`Clock`], so tests control time and a
//! development server can move it forward.

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Mutex;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests), or the wall clock plus an offset that only grows
/// (`serve --dev-clock`).
#[derive(Debug)]
pub struct ManualClock {
    inner: Mutex<ManualState>,
}

#[derive(Debug)]
enum ManualState {
    Fixed(DateTime<Utc>),
    Offset(TimeDelta),
}

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self {
            inner: Mutex::new(ManualState::Fixed(at)),
        }
    }

    /// The wall clock, which [`ManualClock::advance`] moves forward.
    pub fn offset_from_system() -> Self {
        Self {
            inner: Mutex::new(ManualState::Offset(TimeDelta::zero())),
        }
    }

    /// Moves the clock forward by `by` (never backward: negative values are ignored).
    pub fn advance(&self, by: TimeDelta) {
        if by <= TimeDelta::zero() {
            return;
        }
        let mut state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *state {
            ManualState::Fixed(at) => *at += by,
            ManualState::Offset(off) => *off += by,
        }
    }

    /// Sets a fixed clock to `at` (ignored for offset clocks, which only move forward).
    pub fn set(&self, at: DateTime<Utc>) {
        let mut state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let ManualState::Fixed(current) = &mut *state {
            *current = at;
        }
    }

    /// How far an offset clock is ahead of the wall clock (zero for fixed clocks).
    pub fn offset(&self) -> TimeDelta {
        match &*self.inner.lock().unwrap_or_else(|p| p.into_inner()) {
            ManualState::Fixed(_) => TimeDelta::zero(),
            ManualState::Offset(off) => *off,
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        match &*self.inner.lock().unwrap_or_else(|p| p.into_inner()) {
            ManualState::Fixed(at) => *at,
            ManualState::Offset(off) => Utc::now() + *off,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_forward() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).expect("valid");
        let clock = ManualClock::fixed(start);
        clock.advance(TimeDelta::days(28));
        clock.advance(TimeDelta::days(-5));
        assert_eq!(clock.now(), start + TimeDelta::days(28));
    }

    #[test]
    fn offset_clock_runs_ahead_of_the_wall_clock() {
        let clock = ManualClock::offset_from_system();
        clock.advance(TimeDelta::days(1));
        assert!(clock.now() > Utc::now() + TimeDelta::hours(23));
        assert_eq!(clock.offset(), TimeDelta::days(1));
    }
}
