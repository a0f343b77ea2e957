//! lpaflow-lpa: the Lasting Power of Attorney domain, pure (no IO, no clock but `ctx.now`, no randomness).
//!
//! [`LpaRules`] implements [`lpaflow_core::Rules`] for every guard and action `workflows/lpa.toml` may name
//! ([`catalog`]) and builds the OPG step payloads of `docs/opg-api.md`. It is how progressive approval works:
//! the application is validated on every create and change, the safeguarding rules and the fee assessment
//! re-run on every change, so problems and discounts are known while the LPA is still being made.
//!
//! # Instance data
//!
//! `Instance::data` is one JSON object ([`data::LpaData`]; the full layout with examples is in
//! `docs/lpa-data.md`):
//!
//! | key | what |
//! |---|---|
//! | `application` | the application in the LPA Store's camelCase shape, as sent (every actor gets a generated `uid`) |
//! | `attorneys` | uid -> `{status: active\|inactive\|removed, steppedInAt?, optedOutAt?}` (the store's statuses) |
//! | `trustCorporations` | uid -> the same record, for trust corporations |
//! | `submittedAt` | when `submit` was accepted (for checks and fees) |
//! | `opgCreate` | `{at, statuses}`: when the donor's signature enqueued the create, and the attorneys' and trust corporations' statuses it sent; OPG steps are declined before it |
//! | `findings` | `[{id, rule, subject, severity, status, detail, detectedAt, resolvedBy?, resolvedAt?, decision?, differences?}]` (validation, safeguarding, deadline and sync findings) |
//! | `notRelated` | the donor's not-related confirmation with the last names it covers |
//! | `fee` | the ledger: `feeDate`, `claimedType`, `assessedType`, `assessedAt`, `previousApplication`, `evidence`, `decision`, `payments`, `amounts` |
//! | `identity` | `{donor?, certificateProvider?}` each `{type, checkedAt, recordedAt, recordedBy}` |
//! | `signatures` | `{donor?, certificateProvider?, attorneys: {uid: ...}, trustCorporations?: {uid: ...}}` each `{signedAt, confirmedNotBankrupt?, witnessed..., mobile?, contactLanguagePreference?, recordedAt, recordedBy}` (trust corporations: their signatories) |
//! | `certificateProviderOptOut` | `{at, by}` |
//! | `objections` | `[{id, detail, receivedAt, recordedBy, status: open\|dismissed\|upheld, decision?}]` |
//! | `deadlines` | `[{name, subject, startsOn, lastDay, metOn?}]` |
//! | `waitingPeriod` | `{startedAt, endsAt, elapsedAt?}` |
//! | `registration` | `{requestedAt, registeredAt?}` |
//! | `statusChanges` | `[{status, event, at, by, reason?}]` every change of LPA Store status |
//!
//! # Map
//!
//! [`validation`] reads the application into [`application`]'s typed view; [`safeguarding`] holds the rules
//! and [`findings`] their reconciliation; [`fees`] the ledger and [`fee_report`] the monthly totals of many
//! ledgers; [`deadlines`] the signing windows; [`guards`] and [`actions`] the names of `lpa.toml`; [`document`]
//! and [`steps`] what OPG receives; [`explain`] the view of one LPA; [`payloads`] what each action reads from a
//! payload (the console's forms).

pub mod actions;
pub mod application;
pub mod assignment;
mod casework;
pub mod catalog;
pub mod data;
pub mod dates;
pub mod deadlines;
pub mod document;
mod drafting;
pub mod error;
pub mod explain;
mod fee_actions;
pub mod fee_report;
pub mod fees;
mod fields;
pub mod findable;
pub mod findings;
pub mod guards;
pub mod labels;
pub mod lpa_store;
pub mod objections;
pub mod paper;
pub mod payloads;
pub mod personal;
pub mod rule_dates;
pub mod safeguarding;
mod signing;
pub mod states;
pub mod steps;
pub mod trust_corporations;
pub mod validation;
mod validation_people;

pub use casework::SyncProblemKind;
pub use catalog::catalog;
pub use data::LpaData;
pub use drafting::{actor_uid, attorney_uid};
pub use error::Error;
pub use explain::{Explanation, explain, explain_with_data};
pub use fees::{RefundTotals, refund_totals};
pub use payloads::{Field, FieldKind, payload_fields};
pub use signing::attorneys_to_sign;

use lpaflow_core::replay::RulesOf;
use lpaflow_core::{
    ActionError, ActionName, ActionOutcome, BusinessZone, Catalog, Context, GuardName, Instance,
    Reading, Rules, StepName, Unmet,
};
use serde_json::Value;

/// The version of what the LPA rules decide, recorded in every history entry ([`Rules::version`]). Increase it
/// in the same change as any guard, action or timer that decides differently for the same input (a refusal that
/// becomes an acceptance, a changed fee, a new data field an action writes), and as any change to whether a
/// step is enqueued (`step_payload` returning `Some` or `None` decides whether a blocking step makes the LPA
/// wait, which the history records); a step payload's content alone does not count. `audit verify --replay`
/// replays an entry only with the version that decided it, so history decided by older rules is counted "not
/// replayable by this build" instead of being mistaken for tampering.
pub const RULES_VERSION: u32 = 2;

/// What [`LpaRules::version`] starts with.
const RULES_NAME: &str = "lpaflow-lpa";

/// The LPA rules: every guard, action and OPG step payload `workflows/lpa.toml` names.
#[derive(Clone, Copy, Debug)]
pub struct LpaRules {
    zone: BusinessZone,
}

impl LpaRules {
    /// The rules with calendar dates taken in `zone` (the OPG's is Europe/London).
    pub fn new(zone: BusinessZone) -> Self {
        Self { zone }
    }

    /// The rules that decided as `version` says (`lpaflow-lpa/1@Europe/London`) in a deployment whose zone is
    /// `zone`: these rules for [`RULES_VERSION`] in that zone, retired for an earlier version, unknown for
    /// anything else (a version never released, another zone: no lpaflow of this deployment wrote it).
    pub fn of_version(version: &str, zone: BusinessZone) -> RulesOf {
        let Some((number, named_zone)) = version
            .strip_prefix(&format!("{RULES_NAME}/"))
            .and_then(|rest| rest.split_once('@'))
        else {
            return RulesOf::Unknown;
        };
        match number.parse::<u32>() {
            Ok(n) if named_zone != zone.name() || n == 0 || n > RULES_VERSION => RulesOf::Unknown,
            Ok(RULES_VERSION) => RulesOf::Rules(Box::new(Self::new(zone))),
            Ok(_) => RulesOf::Retired,
            Err(_) => RulesOf::Unknown,
        }
    }
}

impl Default for LpaRules {
    /// The rules in UK local time (Europe/London), as the OPG works (`shared/DOMAIN.md` section 5).
    fn default() -> Self {
        Self::new(BusinessZone::LONDON)
    }
}

impl Rules for LpaRules {
    fn catalog(&self) -> Catalog {
        catalog::catalog()
    }

    fn zone(&self) -> BusinessZone {
        self.zone
    }

    fn version(&self) -> String {
        format!("{RULES_NAME}/{RULES_VERSION}@{}", self.zone)
    }

    fn check_guard(&self, guard: &GuardName, ctx: &Context<'_>) -> Vec<Unmet> {
        match guard.as_str().parse::<guards::Guard>() {
            Ok(g) => guards::check(g, ctx),
            Err(_) => vec![Unmet::new(
                "unknown_guard",
                format!("the LPA rules have no guard {guard}"),
            )],
        }
    }

    fn apply_action(
        &self,
        action: &ActionName,
        ctx: &Context<'_>,
    ) -> Result<ActionOutcome, ActionError> {
        match action.as_str().parse::<actions::Action>() {
            Ok(a) => actions::apply(a, ctx),
            Err(_) => Err(ActionError::Refused(vec![Unmet::new(
                "unknown_action",
                format!("the LPA rules have no action {action}"),
            )])),
        }
    }

    fn labels(&self, instance: &Instance, reading: &Reading) -> Vec<String> {
        labels::labels(instance, reading)
    }

    fn findable(&self, instance: &Instance, _reading: &Reading) -> lpaflow_core::Findable {
        // Read from the application's JSON as it is (no typed reading needed).
        findable::findable(instance)
    }

    fn step_payload(
        &self,
        step: &StepName,
        ctx: &Context<'_>,
        data_after: &lpaflow_core::Data,
        reading_after: &Reading,
    ) -> Option<Value> {
        steps::step_payload(step, ctx, data_after, reading_after)
    }
}
