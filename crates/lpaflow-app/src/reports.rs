//! The fee report (`lpaflow_lpa::fee_report`) of the LPAs whose fee date is in a range, by month. The LPAs are
//! read [`PAGE`] at a time, so a report holds one page and the figures whatever the number of LPAs.

use crate::caller::Role;
use crate::service::LpaService;
use chrono::NaiveDate;
use lpaflow_core::InstanceId;
use lpaflow_engine::Error;
use lpaflow_lpa::fee_report::{FeeReport, FeeReportBuilder, ReportRange};

/// Who may read the fee report.
pub const READERS: &[Role] = &[Role::Caseworker, Role::Auditor, Role::Admin];

/// Instances read from the store at a time.
pub const PAGE: u32 = 500;

impl LpaService {
    /// Today by the business clock, in the rules' zone (UK local date).
    pub fn today(&self) -> NaiveDate {
        self.zone().date_of(self.now())
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
