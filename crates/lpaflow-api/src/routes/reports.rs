//! `GET /v1/reports/fees`: the fee report (`lpaflow_lpa::fee_report`) of the LPAs whose fee date is in a range,
//! by month, from
//! `LpaService::fee_report`; [`fee_report`] reads the range and checks the role, for this route and the
//! console's page.
//!
//! The range is `from` and `to` (`YYYY-MM-DD`, both included), or neither: then the current month and the
//! [`DEFAULT_MONTHS`]` - 1` before it, whole, by the business clock's local date (the rules' zone, UK time).

use crate::auth::Caller;
use crate::extract::Query;
use crate::problem::{FieldProblem, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use lpaflow_lpa::fee_report::{FeeFigures, FeeReport, MonthFigures, RangeError, ReportRange};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Months in the default range.
pub const DEFAULT_MONTHS: u32 = 12;
pub use lpaflow_app::reports::READERS;

/// The range of fee dates.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct FeeReportQuery {
    /// The first fee date counted, `YYYY-MM-DD`; give `to` with it. Without both: the current month and the 11
    /// before it.
    pub from: Option<String>,
    /// The last fee date counted, `YYYY-MM-DD`, at most 120 months after `from`'s month.
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

/// 400 `invalid_query` naming every parameter in trouble.
fn invalid(problems: Vec<FieldProblem>) -> Problem {
    let names: Vec<&str> = problems
        .iter()
        .map(|p| p.pointer.trim_start_matches('/'))
        .collect();
    let detail = format!("check the query parameters {}", names.join(" and "));
    Problem::new(StatusCode::BAD_REQUEST, "invalid_query", detail).with_errors(problems)
}

fn date(name: &str, raw: Option<&str>, problems: &mut Vec<FieldProblem>) -> Option<NaiveDate> {
    let raw = raw?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            problems.push(FieldProblem::new(
                format!("/{name}"),
                format!("{name} must be a date YYYY-MM-DD, not {raw:?}"),
            ));
            None
        }
    }
}

/// The range the query asks for (the default one when it names neither end), `today` being the business clock's UK local date.
pub fn range_of(q: &FeeReportQuery, today: NaiveDate) -> Result<ReportRange, Problem> {
    if q.from.is_none() && q.to.is_none() {
        return Ok(ReportRange::last_months(today, DEFAULT_MONTHS));
    }
    let mut problems = Vec::new();
    for (name, other, value) in [("from", "to", &q.from), ("to", "from", &q.to)] {
        if value.is_none() {
            problems.push(FieldProblem::new(
                format!("/{name}"),
                format!("{name} is required with {other} (or leave both out for the last {DEFAULT_MONTHS} months)"),
            ));
        }
    }
    let from = date("from", q.from.as_deref(), &mut problems);
    let to = date("to", q.to.as_deref(), &mut problems);
    let (Some(from), Some(to), true) = (from, to, problems.is_empty()) else {
        return Err(invalid(problems));
    };
    ReportRange::new(from, to).map_err(|e| {
        let at = match e {
            RangeError::Reversed { .. } => "/from",
            RangeError::TooLong { .. } => "/to",
        };
        invalid(vec![FieldProblem::new(at, e.to_string())])
    })
}

/// The fee report for `caller` over the range `q` names: the role check, the range, then the service.
pub async fn fee_report(
    state: &AppState,
    caller: &Caller,
    q: &FeeReportQuery,
) -> Result<FeeReport, Problem> {
    caller.require(READERS, "read the fee report")?;
    let range = range_of(q, state.lpas.today())?;
    state
        .lpas
        .fee_report(range)
        .await
        .map_err(|e| crate::errors::problem(e, ""))
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
