//! The fee report, pure: `shared/DOMAIN.md` section 4 asks lpaflow to report, in total, the refunds avoided
//! because eligibility was decided early and the refunds still due; this module adds up the per-LPA ledgers
//! by month for that.
//!
//! - LPAs are grouped by the month of their ledger's `feeDate` (the day the application was received); only
//!   those whose `feeDate` is in the report's [`ReportRange`] (both ends included) count. Every month of the
//!   range is listed, with zeros when no LPA falls in it, so a table or chart has no gaps.
//! - Every figure is derived from the ledger's facts with [`fees::amounts`], never read from the stored
//!   `amounts` (which could predate a change of the rules).
//! - [`FeeReportBuilder`] takes the instances' data one at a time, so a caller can page through any number of
//!   LPAs holding only the figures. A ledger that cannot be read is counted as unreadable, never dropped
//!   silently.
//! - [`refund_increments`] reads the same two refund figures from one history entry's changes, for counters
//!   that only go up.

use crate::application::FeeType;
use crate::fees::{self, FeeAmounts, FeeLedger, RefundTotals};
use chrono::{Datelike, NaiveDate};
use lpaflow_core::Change;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use strum::IntoEnumIterator;

/// The most months one report covers (ten years): it bounds the report's size.
pub const MAX_REPORT_MONTHS: u32 = 120;

/// Where the derived refund figures live in an LPA's data.
pub const REFUND_AVOIDED_POINTER: &str = "/fee/amounts/refundAvoidedPence";
/// See [`REFUND_AVOIDED_POINTER`].
pub const REFUND_DUE_POINTER: &str = "/fee/amounts/refundDuePence";

/// A calendar month, serialized `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    /// 1 to 12.
    month: u32,
}

impl Month {
    /// The month `date` is in.
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Its last day.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// The month after it.
    pub fn next(self) -> Self {
        self.plus(1)
    }

    /// `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> Self {
        let index = self.year * 12 + self.month as i32 - 1 + n;
        Self {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    /// Months from `self` to `later`, both included (0 when `later` is earlier).
    fn span_to(self, later: Month) -> u32 {
        let months = (later.year - self.year) * 12 + later.month as i32 - self.month as i32 + 1;
        months.max(0) as u32
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why dates do not make a report's range.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// `from` is after `to`.
    #[error("from ({from}) is after to ({to})")]
    Reversed {
        /// The first day asked for.
        from: NaiveDate,
        /// The last day asked for.
        to: NaiveDate,
    },
    /// The range spans more than [`MAX_REPORT_MONTHS`] months.
    #[error("the range spans {months} months; a report covers at most {MAX_REPORT_MONTHS}")]
    TooLong {
        /// Months the range touches.
        months: u32,
    },
}

/// The days a report covers, `from` to `to` inclusive; at most [`MAX_REPORT_MONTHS`] months.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportRange {
    from: NaiveDate,
    to: NaiveDate,
}

impl ReportRange {
    /// The range `from..=to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, RangeError> {
        if from > to {
            return Err(RangeError::Reversed { from, to });
        }
        let months = Month::of(from).span_to(Month::of(to));
        if months > MAX_REPORT_MONTHS {
            return Err(RangeError::TooLong { months });
        }
        Ok(Self { from, to })
    }

    /// The `months` whole calendar months ending with the one `today` is in (at least one, at most
    /// [`MAX_REPORT_MONTHS`]): the first day of the earliest to the last day of `today`'s month.
    pub fn last_months(today: NaiveDate, months: u32) -> Self {
        let months = months.clamp(1, MAX_REPORT_MONTHS);
        let current = Month::of(today);
        Self {
            from: current.plus(1 - months as i32).first_day(),
            to: current.last_day(),
        }
    }

    /// The first day.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// The last day.
    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// Whether `date` is in the range.
    pub fn contains(&self, date: NaiveDate) -> bool {
        (self.from..=self.to).contains(&date)
    }

    /// Every month the range touches, in order.
    pub fn months(&self) -> impl Iterator<Item = Month> {
        let first = Month::of(self.from);
        (0..first.span_to(Month::of(self.to))).map(move |i| first.plus(i as i32))
    }
}

/// How many LPAs, and how much.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    /// LPAs.
    pub count: u64,
    /// Pence, over those LPAs.
    pub pence: i64,
}

impl Tally {
    fn add(&mut self, pence: i64) {
        self.count += 1;
        self.pence += pence;
    }

    /// Counts an LPA only when `pence` is positive.
    fn add_positive(&mut self, pence: i64) {
        if pence > 0 {
            self.add(pence);
        }
    }
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Self) {
        self.count += o.count;
        self.pence += o.pence;
    }
}

/// Reductions by effective fee type: one [`Tally`] for every type but `FullFee`, serialized as an object keyed
/// by the type's own serde name (`HalfFee`, `NoFee`, ...), so a new type appears without a change here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reductions(Vec<(FeeType, Tally)>);

impl Default for Reductions {
    fn default() -> Self {
        Self(
            FeeType::iter()
                .filter(|t| *t != FeeType::FullFee)
                .map(|t| (t, Tally::default()))
                .collect(),
        )
    }
}

impl Reductions {
    /// The tally of `fee_type` (zero for `FullFee`, which is no reduction).
    pub fn get(&self, fee_type: FeeType) -> Tally {
        self.0
            .iter()
            .find(|(t, _)| *t == fee_type)
            .map_or_else(Tally::default, |(_, tally)| *tally)
    }

    /// Every reduced type with its tally, in the enum's order.
    pub fn iter(&self) -> impl Iterator<Item = (FeeType, Tally)> + '_ {
        self.0.iter().copied()
    }

    fn entry(&mut self, fee_type: FeeType) -> Option<&mut Tally> {
        self.0
            .iter_mut()
            .find(|(t, _)| *t == fee_type)
            .map(|(_, tally)| tally)
    }
}

impl std::ops::AddAssign<&Reductions> for Reductions {
    fn add_assign(&mut self, o: &Reductions) {
        for (t, tally) in o.iter() {
            if let Some(mine) = self.entry(t) {
                *mine += tally;
            }
        }
    }
}

impl Serialize for Reductions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (t, tally) in &self.0 {
            map.serialize_entry(t, tally)?;
        }
        map.end()
    }
}

/// The figures of a set of LPAs (one month, or the whole range).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeFigures {
    /// LPAs counted.
    pub lpas: u64,
    /// The sum of their full fees.
    pub full_fees_pence: i64,
    /// Reductions by effective type (the approved type, or the claimed one while undecided).
    pub reductions: Reductions,
    /// The part of `reductions` claimed and not decided yet.
    pub reductions_pending: Tally,
    /// LPAs whose reduction was decided before they overpaid, and the refunds that avoided.
    pub refunds_avoided: Tally,
    /// LPAs owed a refund not paid out yet, and how much.
    pub refunds_due: Tally,
    /// Payments received net of refunds paid out.
    pub paid_pence: i64,
}

impl FeeFigures {
    /// Adds one LPA's amounts.
    fn add(&mut self, a: &FeeAmounts) {
        self.lpas += 1;
        self.full_fees_pence += a.full_cost_pence;
        let effective = a.effective_type.unwrap_or(FeeType::FullFee);
        if let Some(tally) = self.reductions.entry(effective) {
            tally.add(a.reduction_pence);
            if a.reduction_pending {
                self.reductions_pending.add(a.reduction_pence);
            }
        }
        self.refunds_avoided.add_positive(a.refund_avoided_pence);
        self.refunds_due.add_positive(a.refund_due_pence);
        self.paid_pence += a.paid_pence;
    }
}

impl std::ops::AddAssign<&FeeFigures> for FeeFigures {
    fn add_assign(&mut self, o: &FeeFigures) {
        self.lpas += o.lpas;
        self.full_fees_pence += o.full_fees_pence;
        self.reductions += &o.reductions;
        self.reductions_pending += o.reductions_pending;
        self.refunds_avoided += o.refunds_avoided;
        self.refunds_due += o.refunds_due;
        self.paid_pence += o.paid_pence;
    }
}

/// One month's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: Month,
    /// Its LPAs' figures.
    #[serde(flatten)]
    pub figures: FeeFigures,
}

/// The report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeReport {
    /// The first day of fee dates counted.
    pub from: NaiveDate,
    /// The last day of fee dates counted.
    pub to: NaiveDate,
    /// Every month of the range, in order.
    pub months: Vec<MonthFigures>,
    /// The whole range.
    pub total: FeeFigures,
    /// Instances whose data holds no readable fee ledger (not counted anywhere else).
    pub unreadable_ledgers: u64,
}

/// Adds LPAs up into a [`FeeReport`], one instance's data at a time.
#[derive(Clone, Debug)]
pub struct FeeReportBuilder {
    range: ReportRange,
    months: BTreeMap<Month, FeeFigures>,
    unreadable: u64,
}

impl FeeReportBuilder {
    /// An empty report over `range`.
    pub fn new(range: ReportRange) -> Self {
        Self {
            range,
            months: range.months().map(|m| (m, FeeFigures::default())).collect(),
            unreadable: 0,
        }
    }

    /// Adds the LPA whose instance data is `data` (its `fee` ledger), if its fee date is in the range.
    pub fn add_data(&mut self, data: &Value) {
        match data.get("fee").map(FeeLedger::deserialize) {
            Some(Ok(ledger)) => self.add_ledger(&ledger),
            Some(Err(_)) | None => self.unreadable += 1,
        }
    }

    /// Adds one ledger, if its fee date is in the range.
    pub fn add_ledger(&mut self, ledger: &FeeLedger) {
        if !self.range.contains(ledger.fee_date) {
            return;
        }
        self.months
            .entry(Month::of(ledger.fee_date))
            .or_default()
            .add(&fees::amounts(ledger));
    }

    /// The report.
    pub fn finish(self) -> FeeReport {
        let mut total = FeeFigures::default();
        let months = self
            .months
            .into_iter()
            .map(|(month, figures)| {
                total += &figures;
                MonthFigures { month, figures }
            })
            .collect();
        FeeReport {
            from: self.range.from,
            to: self.range.to,
            months,
            total,
            unreadable_ledgers: self.unreadable,
        }
    }
}

/// How much the LPA's refund figures rose in one history entry of `event` (`changes` as
/// `lpaflow_core::json::diff` makes them): the increase of [`REFUND_AVOIDED_POINTER`] and
/// [`REFUND_DUE_POINTER`], never negative. A change may replace a parent of those values whole (the ledger
/// appears as one `/fee` value at creation, the whole data as `""`), so each change is read at the rest of the
/// pointer below it; an absent value counts 0.
///
/// Only the fee's own events count ([`COUNTED_EVENTS`]): a refund is avoided by a decision, and becomes due
/// at a decision or a payment. The figures also move with a claim left pending again or a receipt date
/// changed back and forth; counting those rises would count the same refund again each time.
pub fn refund_increments(event: &str, changes: &[Change]) -> RefundTotals {
    if !COUNTED_EVENTS.contains(&event) {
        return RefundTotals::default();
    }
    RefundTotals {
        refund_avoided_pence: increase(changes, REFUND_AVOIDED_POINTER),
        refund_due_pence: increase(changes, REFUND_DUE_POINTER),
    }
}

/// The events whose refund rises the counters count.
pub const COUNTED_EVENTS: &[&str] = &["decide_fee", "record_payment"];

fn increase(changes: &[Change], target: &str) -> i64 {
    changes
        .iter()
        .filter_map(|c| {
            let rest = below(target, &c.pointer)?;
            let at = |v: &Option<Value>| {
                v.as_ref()
                    .and_then(|v| v.pointer(rest))
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
            };
            Some((at(&c.new) - at(&c.old)).max(0))
        })
        .sum()
}

/// The rest of `target` below `pointer` when `pointer` is `target` or one of its parents.
fn below<'a>(target: &'a str, pointer: &str) -> Option<&'a str> {
    let rest = target.strip_prefix(pointer)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

#[cfg(test)]
#[path = "fee_report_tests.rs"]
mod tests;
