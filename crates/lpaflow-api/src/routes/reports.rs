//! `GET /v1/reports/fees`: the fee report (`lpaflow_lpa::fee_report`) of the LPAs whose fee date is in a range,
//! by month (`LpaService::fee_report_for`: the role, the range and its default, the figures).

use crate::auth::Caller;
use crate::extract::Query;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use lpaflow_lpa::fee_report::{FeeFigures, FeeReport, MonthFigures};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use lpaflow_app::reports::{DEFAULT_MONTHS, READERS};

/// The range of fee dates.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct FeeReportQuery {
    /// The first fee date counted, `YYYY-MM-DD`; give `to` with it. Without both: the current month and the 11
    /// before it.
    #[param(format = Date)]
    pub from: Option<String>,
    /// The last fee date counted, `YYYY-MM-DD`, at most 120 months after `from`'s month.
    #[param(format = Date)]
    pub to: Option<String>,
}

/// The fee report.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeeReportView {
    /// The first fee date counted.
    pub from: NaiveDate,
    /// The last fee date counted.
    pub to: NaiveDate,
    /// Every month of the range in order: `month` (`YYYY-MM`) and the figures of `total`.
    #[schema(value_type = Vec<Object>)]
    pub months: Vec<MonthFigures>,
    /// The whole range: `lpas`, `fullFeesPence`, `reductions` by effective fee type (`HalfFee`, `NoFee`,
    /// `HardshipFee`, `RepeatApplicationFee`, each `{count, pence}`), `reductionsPending`, `refundsAvoided`,
    /// `refundsDue` (`{count, pence}`: LPAs with a positive amount), `paidPence` (net of refunds paid out).
    #[schema(value_type = Object)]
    pub total: FeeFigures,
    /// LPAs whose fee ledger could not be read (counted nowhere else).
    pub unreadable_ledgers: u64,
}

impl From<FeeReport> for FeeReportView {
    fn from(r: FeeReport) -> Self {
        Self {
            from: r.from,
            to: r.to,
            months: r.months,
            total: r.total,
            unreadable_ledgers: r.unreadable_ledgers,
        }
    }
}

/// The fee report for `caller` over the range `q` names.
pub async fn fee_report(
    state: &AppState,
    caller: &Caller,
    q: &FeeReportQuery,
) -> Result<FeeReport, Problem> {
    Ok(state
        .lpas
        .fee_report_for(caller, q.from.as_deref(), q.to.as_deref())
        .await?)
}

/// The fee report by month of fee date (the day the application was received).
#[utoipa::path(get, path = "/v1/reports/fees", operation_id = "getFeeReport", tag = "reports", params(FeeReportQuery),
    responses(
        (status = 200, description = "Per month and in total: LPAs, full fees, reductions by effective fee type, refunds avoided and still due, payments net of refunds", body = FeeReportView),
        (status = 400, description = "`invalid_query`: a missing, malformed or reversed date, or a range of more than 120 months; `errors` names each parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: caseworkers, auditors and admins only", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn fees(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<FeeReportQuery>,
) -> Result<Json<FeeReportView>, Problem> {
    Ok(Json(fee_report(&state, &caller, &q).await?.into()))
}
