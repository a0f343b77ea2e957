//! The fee report (`lpaflow_lpa::fee_report`) of the LPAs whose fee date is in a range, by month. The LPAs are
//! read [`PAGE`] at a time, so a report holds one page and the figures whatever the number of LPAs.
//!
//! The range is `from` and `to` (`YYYY-MM-DD`, both included), or neither: then the current month and the
//! [`DEFAULT_MONTHS`]` - 1` before it, whole, by the business clock's local date (the rules' zone, UK time).

use crate::caller::{Caller, Forbidden, Role};
use crate::service::LpaService;
use chrono::NaiveDate;
use lpaflow_core::{InstanceId, PayloadProblem};
use lpaflow_engine::Error;
use lpaflow_lpa::fee_report::{FeeReport, FeeReportBuilder, RangeError, ReportRange};

/// Who may read the fee report.
pub const READERS: &[Role] = &[Role::Caseworker, Role::Auditor, Role::Admin];

/// Months in the default range.
pub const DEFAULT_MONTHS: u32 = 12;

/// Why a fee report was not made.
#[derive(Debug)]
pub enum ReportError {
    /// The caller's role may not read it.
    Forbidden(Forbidden),
    /// The range asked for is not one (each problem names `/from` or `/to`).
    Range(Vec<PayloadProblem>),
    /// The store failed.
    Engine(Error),
}

/// Instances read from the store at a time.
pub const PAGE: u32 = 500;

impl LpaService {
    /// Today by the business clock, in the rules' zone (UK local date).
    pub fn today(&self) -> NaiveDate {
        self.zone().date_of(self.now())
    }

    /// The fee report `caller` asks for, over the range `from`..=`to` (`YYYY-MM-DD`; neither: the default).
    pub async fn fee_report_for(
        &self,
        caller: &Caller,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<FeeReport, ReportError> {
        caller
            .require(READERS, "read the fee report")
            .map_err(ReportError::Forbidden)?;
        let range = range(from, to, self.today()).map_err(ReportError::Range)?;
        self.fee_report(range).await.map_err(ReportError::Engine)
    }

    /// The fee report over `range`, from every LPA of the configured workflow.
    pub async fn fee_report(&self, range: ReportRange) -> Result<FeeReport, Error> {
        let workflow = &self.settings.lpa_workflow;
        let mut report = FeeReportBuilder::new(range);
        let mut after: Option<InstanceId> = None;
        loop {
            let page = self
                .store
                .instances_data(workflow, after.as_ref(), PAGE)
                .await?;
            let last = page.len() < PAGE as usize;
            for (_, data) in &page {
                report.add_data(data);
            }
            after = page.into_iter().last().map(|(uid, _)| uid);
            if last {
                break;
            }
        }
        let report = report.finish();
        if report.unreadable_ledgers > 0 {
            tracing::warn!(
                unreadable = report.unreadable_ledgers,
                "fee report: some LPAs' fee ledgers could not be read"
            );
        }
        Ok(report)
    }
}

fn date(name: &str, raw: Option<&str>, problems: &mut Vec<PayloadProblem>) -> Option<NaiveDate> {
    let raw = raw?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            problems.push(PayloadProblem::new(
                format!("/{name}"),
                format!("{name} must be a date YYYY-MM-DD, not {raw:?}"),
            ));
            None
        }
    }
}

/// The range `from` and `to` name (the default one when they name neither end), `today` being the business
/// clock's UK local date; every problem at once.
pub fn range(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<ReportRange, Vec<PayloadProblem>> {
    if from.is_none() && to.is_none() {
        return Ok(ReportRange::last_months(today, DEFAULT_MONTHS));
    }
    let mut problems = Vec::new();
    for (name, other, value) in [("from", "to", from), ("to", "from", to)] {
        if value.is_none() {
            problems.push(PayloadProblem::new(
                format!("/{name}"),
                format!("{name} is required with {other} (or leave both out for the last {DEFAULT_MONTHS} months)"),
            ));
        }
    }
    let from = date("from", from, &mut problems);
    let to = date("to", to, &mut problems);
    let (Some(from), Some(to), true) = (from, to, problems.is_empty()) else {
        return Err(problems);
    };
    ReportRange::new(from, to).map_err(|e| {
        let at = match e {
            RangeError::Reversed { .. } => "/from",
            RangeError::TooLong { .. } => "/to",
        };
        vec![PayloadProblem::new(at, e.to_string())]
    })
}
