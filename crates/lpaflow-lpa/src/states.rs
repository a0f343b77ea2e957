//! The states of `workflows/lpa.toml` as an enum, and the LPA Store status each maps to
//! (`shared/DOMAIN.md` section 1; the status type is the store's own, [`crate::lpa_store::LpaStatus`]). Rules that depend on where an LPA is (deadlines only run before the waiting
//! period; status changes sent to OPG) match on [`LpaState`], so a new state breaks the build where it matters.

use lpaflow_core::StateName;
use serde::{Deserialize, Serialize};

/// A state of the LPA workflow.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum LpaState {
    /// Application being drafted.
    Created,
    /// Submitted; blocking findings wait for a caseworker.
    Safeguarding,
    /// Fee band assessed; a claimed reduction waits for a decision.
    DiscountEligibility,
    /// Identity checks and signatures.
    Signing,
    /// The 28 days for objections.
    StatutoryWaitingPeriod,
    /// Registered by OPG.
    Registered,
    /// Cannot be registered.
    CannotRegister,
    /// Withdrawn by the donor.
    Withdrawn,
    /// Not to be registered (an upheld objection).
    DoNotRegister,
    /// Expired before registration.
    Expired,
    /// Registration cancelled.
    Cancelled,
}

pub use crate::lpa_store::LpaStatus;

impl LpaState {
    /// The state named `name`, if the LPA workflow has it.
    pub fn of(name: &StateName) -> Option<Self> {
        name.as_str().parse().ok()
    }

    /// The LPA Store status of an LPA in this state.
    pub fn store_status(self) -> LpaStatus {
        match self {
            LpaState::Created
            | LpaState::Safeguarding
            | LpaState::DiscountEligibility
            | LpaState::Signing => LpaStatus::InProgress,
            LpaState::StatutoryWaitingPeriod => LpaStatus::StatutoryWaitingPeriod,
            LpaState::Registered => LpaStatus::Registered,
            LpaState::CannotRegister => LpaStatus::CannotRegister,
            LpaState::Withdrawn => LpaStatus::Withdrawn,
            LpaState::DoNotRegister => LpaStatus::DoNotRegister,
            LpaState::Expired => LpaStatus::Expired,
            LpaState::Cancelled => LpaStatus::Cancelled,
        }
    }

    /// True while the LPA is being made, checked and signed: the signing deadlines run only then.
    pub fn before_waiting_period(self) -> bool {
        self.store_status() == LpaStatus::InProgress
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn every_state_round_trips_through_its_name() {
        for s in LpaState::iter() {
            assert_eq!(LpaState::of(&StateName::new(<&str>::from(s))), Some(s));
        }
        assert_eq!(LpaState::of(&StateName::new("nowhere")), None);
    }

    #[test]
    fn only_the_drafting_states_are_in_progress() {
        let in_progress: Vec<LpaState> = LpaState::iter()
            .filter(|s| s.before_waiting_period())
            .collect();
        assert_eq!(
            in_progress,
            [
                LpaState::Created,
                LpaState::Safeguarding,
                LpaState::DiscountEligibility,
                LpaState::Signing
            ]
        );
        assert_eq!(
            LpaState::StatutoryWaitingPeriod.store_status().to_string(),
            "statutory-waiting-period"
        );
    }
}
