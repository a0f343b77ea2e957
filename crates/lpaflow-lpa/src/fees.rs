//! Fees, discounts and refunds (`shared/DOMAIN.md` section 4), in integer pence.
//!
//! The band is assessed as soon as the application carries fee data, so a reduction can be decided before the
//! donor pays: that is the point of progressive approval. The ledger keeps the facts (claim, band, evidence,
//! the caseworker's decision with its time, payments and refunds paid out as negative payments) and amounts
//! derived from them by one pure function ([`amounts`]), so `balance = cost - payments - reductions` always
//! holds. A reduction decided before anything beyond the discounted amount was paid avoids a refund; one
//! decided after overpayment leaves a refund due ([`RefundTotals`]).

use crate::application::{FeeClaim, FeeType, PreviousApplication};
use crate::dates::within_months;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The day the fee rose from £82 to £92.
pub const FEE_RISE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2025, 9, 19) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
/// The full fee from [`FEE_RISE_DATE`].
pub const FULL_FEE_PENCE: i64 = 9200;
/// The full fee before [`FEE_RISE_DATE`].
pub const FULL_FEE_BEFORE_RISE_PENCE: i64 = 8200;
/// A remission (half fee) needs a gross annual income under this.
pub const HALF_FEE_INCOME_LIMIT_PENCE: i64 = 1_200_000;
/// A repeat application is one made within this many calendar months of the earlier one (the same day three
/// months on is inside, the day after is outside; a month's end clamps: 30 November runs to 28 February).
pub const REPEAT_WINDOW_MONTHS: u32 = 3;
/// The largest single payment or refund accepted.
pub const PAYMENT_MAX_PENCE: i64 = 1_000_000;

/// The full fee for an application made on `on`.
pub fn full_fee_pence(on: NaiveDate) -> i64 {
    if on >= FEE_RISE_DATE {
        FULL_FEE_PENCE
    } else {
        FULL_FEE_BEFORE_RISE_PENCE
    }
}

/// What `fee_type` costs for an application made on `on`. A repeat application costs half of what the earlier
/// one cost on its own date (nothing if it was exempt or waived; half the current full fee if unknown).
pub fn cost_pence(fee_type: FeeType, on: NaiveDate, previous: Option<&PreviousApplication>) -> i64 {
    match fee_type {
        FeeType::FullFee => full_fee_pence(on),
        FeeType::HalfFee => full_fee_pence(on) / 2,
        FeeType::NoFee | FeeType::HardshipFee => 0,
        FeeType::RepeatApplicationFee => match previous.and_then(|p| p.fee.zip(p.date)) {
            Some((FeeType::RepeatApplicationFee, _)) | None => full_fee_pence(on) / 2,
            Some((earlier, date)) => cost_pence(earlier, date, None) / 2,
        },
    }
}

/// The band the claim's data supports for an application made on `on` (benefit, then income, then a repeat
/// within [`REPEAT_WINDOW_MONTHS`] of the earlier application, otherwise the full fee). Hardship is a
/// caseworker's judgement, never assessed.
pub fn assess_band(claim: &FeeClaim, on: NaiveDate) -> FeeType {
    let repeat = claim
        .previous_application
        .as_ref()
        .and_then(|p| p.date)
        .is_some_and(|d| within_months(d, on, REPEAT_WINDOW_MONTHS));
    if claim.receives_means_tested_benefit == Some(true) {
        FeeType::NoFee
    } else if claim
        .gross_annual_income_pence
        .is_some_and(|i| i < HALF_FEE_INCOME_LIMIT_PENCE)
    {
        FeeType::HalfFee
    } else if repeat {
        FeeType::RepeatApplicationFee
    } else {
        FeeType::FullFee
    }
}

/// Evidence for a claimed reduction.
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
    strum::VariantNames,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum EvidenceKind {
    /// Proof of income (remission).
    Income,
    /// Proof of a means-tested benefit (exemption).
    Benefit,
    /// The earlier application (repeat application).
    PreviousApplication,
    /// Circumstances for a hardship waiver.
    Hardship,
}

/// One piece of evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeEvidence {
    /// What it proves.
    pub kind: EvidenceKind,
    /// A document reference (never the document itself).
    pub reference: String,
    /// When it was recorded.
    pub provided_at: DateTime<Utc>,
    /// Who recorded it.
    pub provided_by: String,
    /// When the OPG received it, if that is earlier than it was recorded.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub received_at: Option<DateTime<Utc>>,
}

/// A caseworker's decision on a claimed reduction.
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
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FeeOutcome {
    /// A reduction is approved (its type may differ from the claimed one).
    Approved,
    /// The reduction is declined: the full fee is due.
    Declined,
}

/// The decision, with what had been paid when it was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeDecision {
    /// Approved or declined.
    pub outcome: FeeOutcome,
    /// The type now due (`FullFee` when declined).
    pub approved_type: FeeType,
    /// When it was decided.
    pub decided_at: DateTime<Utc>,
    /// Who decided.
    pub decided_by: String,
    /// Why, in the caseworker's words.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// Payments net of refunds when it was decided.
    pub paid_before_pence: i64,
    /// The full fee less the approved type's cost.
    pub reduction_pence: i64,
    /// The part of the reduction that needed no refund because it was decided before that much was paid.
    pub refund_avoided_pence: i64,
    /// The overpayment the decision revealed: a refund due because it came after payment.
    pub refund_due_at_decision_pence: i64,
}

/// A payment (positive) or a refund paid out (negative).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// Pence; negative for a refund paid out.
    pub amount_pence: i64,
    /// When it was paid.
    pub paid_at: DateTime<Utc>,
    /// The payment reference, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reference: Option<String>,
    /// Who recorded it.
    pub recorded_by: String,
    /// When the OPG received it (a cheque with a paper application), if given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub received_at: Option<DateTime<Utc>>,
}

/// Amounts derived from the ledger's facts by [`amounts`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeAmounts {
    /// The fee type the amounts use: the approved one, else the claimed one, else `FullFee`.
    pub effective_type: Option<FeeType>,
    /// The full fee on the fee date.
    pub full_cost_pence: i64,
    /// The full fee less the effective type's cost.
    pub reduction_pence: i64,
    /// True while a claimed reduction waits for a caseworker's decision.
    pub reduction_pending: bool,
    /// Payments net of refunds paid out.
    pub paid_pence: i64,
    /// `full_cost - reduction - paid`: due if positive, to refund if negative.
    pub balance_pence: i64,
    /// What is left to pay (never negative).
    pub due_pence: i64,
    /// A refund owed and not yet paid out (only once the reduction is decided).
    pub refund_due_pence: i64,
    /// The refund the decision avoided by coming early.
    pub refund_avoided_pence: i64,
}

/// The fee ledger of one LPA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeLedger {
    /// The date amounts are taken on (a UK local date): the day the OPG received the application, else the day
    /// it was keyed in.
    pub fee_date: NaiveDate,
    /// The day the application was keyed in (created in lpaflow).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub keyed_on: Option<NaiveDate>,
    /// The day the OPG received the application (`application.receivedAt`), if known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub received_on: Option<NaiveDate>,
    /// What the donor claims (`None` while the application has no fee data).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub claimed_type: Option<FeeType>,
    /// The band the data supports.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub assessed_type: Option<FeeType>,
    /// When the band was last assessed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub assessed_at: Option<DateTime<Utc>>,
    /// The earlier application, for a repeat application's cost.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub previous_application: Option<PreviousApplication>,
    /// Evidence for the claim.
    #[serde(default)]
    pub evidence: Vec<FeeEvidence>,
    /// The caseworker's decision.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decision: Option<FeeDecision>,
    /// Payments and refunds paid out, in order.
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// Derived amounts (recomputed on every change).
    #[serde(default)]
    pub amounts: FeeAmounts,
}

impl FeeLedger {
    /// An empty ledger for an application keyed in on `keyed_on`.
    pub fn new(keyed_on: NaiveDate) -> Self {
        Self {
            fee_date: keyed_on,
            keyed_on: Some(keyed_on),
            received_on: None,
            claimed_type: None,
            assessed_type: None,
            assessed_at: None,
            previous_application: None,
            evidence: Vec::new(),
            decision: None,
            payments: Vec::new(),
            amounts: FeeAmounts::default(),
        }
    }

    /// Takes the receipt date, the claim and its band from the application (at `now`) and recomputes the
    /// amounts. The band is assessed on the fee date, so a repeat application is measured from the day it was
    /// received.
    pub fn refresh(
        &mut self,
        claim: Option<&FeeClaim>,
        received_on: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) {
        // Ledgers written before receipt dates existed took the keyed-in date as their fee date.
        let keyed_on = *self.keyed_on.get_or_insert(self.fee_date);
        self.received_on = received_on;
        self.fee_date = received_on.unwrap_or(keyed_on);
        self.claimed_type = claim.and_then(|c| c.claimed_type);
        self.previous_application = claim.and_then(|c| c.previous_application.clone());
        let on = self.fee_date;
        let band = claim.map(|c| assess_band(c, on));
        if band != self.assessed_type || self.assessed_at.is_none() && band.is_some() {
            self.assessed_at = band.map(|_| now);
        }
        self.assessed_type = band;
        self.amounts = amounts(self);
    }

    /// True if the donor claims a reduction.
    pub fn reduction_claimed(&self) -> bool {
        self.claimed_type.is_some_and(|t| t != FeeType::FullFee)
    }

    /// What `fee_type` costs for this LPA.
    pub fn cost_of(&self, fee_type: FeeType) -> i64 {
        cost_pence(fee_type, self.fee_date, self.previous_application.as_ref())
    }

    /// Payments net of refunds paid out.
    pub fn paid_pence(&self) -> i64 {
        self.payments.iter().map(|p| p.amount_pence).sum()
    }

    /// Records a decision taken at `now` by `by`, with what had been paid by then.
    pub fn decide(
        &mut self,
        outcome: FeeOutcome,
        approved_type: FeeType,
        reason: Option<String>,
        by: &str,
        now: DateTime<Utc>,
    ) {
        let full = full_fee_pence(self.fee_date);
        let cost = self.cost_of(approved_type);
        let reduction = full - cost;
        let paid = self.paid_pence();
        let overpaid = (paid - cost).clamp(0, reduction.max(0));
        self.decision = Some(FeeDecision {
            outcome,
            approved_type,
            decided_at: now,
            decided_by: by.to_owned(),
            reason,
            paid_before_pence: paid,
            reduction_pence: reduction,
            refund_avoided_pence: (reduction - overpaid).max(0),
            refund_due_at_decision_pence: overpaid,
        });
        self.amounts = amounts(self);
    }

    /// Any claimed reduction is decided and nothing is left to pay.
    pub fn settled(&self) -> bool {
        !self.amounts.reduction_pending && self.amounts.balance_pence <= 0
    }
}

/// The amounts of a ledger, from its facts alone.
pub fn amounts(ledger: &FeeLedger) -> FeeAmounts {
    let effective = ledger
        .decision
        .as_ref()
        .map(|d| d.approved_type)
        .or(ledger.claimed_type)
        .unwrap_or(FeeType::FullFee);
    let full = full_fee_pence(ledger.fee_date);
    let reduction = full - ledger.cost_of(effective);
    let paid = ledger.paid_pence();
    let balance = full - reduction - paid;
    let pending = ledger.reduction_claimed() && ledger.decision.is_none();
    FeeAmounts {
        effective_type: Some(effective),
        full_cost_pence: full,
        reduction_pence: reduction,
        reduction_pending: pending,
        paid_pence: paid,
        balance_pence: balance,
        due_pence: balance.max(0),
        refund_due_pence: if pending { 0 } else { (-balance).max(0) },
        refund_avoided_pence: ledger
            .decision
            .as_ref()
            .map_or(0, |d| still_avoided(d, paid - (full - reduction))),
    }
}

/// The refund a decision avoided, less what later payments overpaid beyond the overpayment the decision
/// already found (a cheque that arrives after an early decision makes that refund due after all): a refund is
/// never both avoided and due.
fn still_avoided(decision: &FeeDecision, overpaid_now: i64) -> i64 {
    let overpaid_since = (overpaid_now.max(0) - decision.refund_due_at_decision_pence).max(0);
    (decision.refund_avoided_pence - overpaid_since).max(0)
}

/// What one LPA contributes to the refund report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundTotals {
    /// Refunds that were not needed because the reduction was decided before overpayment.
    pub refund_avoided_pence: i64,
    /// Refunds owed and not yet paid out.
    pub refund_due_pence: i64,
}

impl std::ops::Add for RefundTotals {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            refund_avoided_pence: self.refund_avoided_pence + o.refund_avoided_pence,
            refund_due_pence: self.refund_due_pence + o.refund_due_pence,
        }
    }
}

/// The refund figures of one instance's data (zero when it has no ledger or cannot be read).
pub fn refund_totals(data: &lpaflow_core::Data) -> RefundTotals {
    let Some(ledger) = data.get("fee").and_then(|f| FeeLedger::deserialize(f).ok()) else {
        return RefundTotals::default();
    };
    let a = amounts(&ledger);
    RefundTotals {
        refund_avoided_pence: a.refund_avoided_pence,
        refund_due_pence: a.refund_due_pence,
    }
}

#[cfg(test)]
#[path = "fees_tests.rs"]
mod tests;
