//! The fee report page: the figures of `GET /v1/reports/fees` (through the same service function, so the same
//! role check, range rules and defaults apply) as a table with a month per row and a bar chart of refunds
//! avoided against refunds still due, with a GET form to change the range. Amounts show in pounds; the page
//! holds no personal data.

use super::fee_chart;
use super::layout::{self, Nav, error_summary, page, pounds, sentence};
use super::session::Session;
use crate::Context;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lpaflow_app::reports::DEFAULT_MONTHS;
use lpaflow_http::problem::Problem;
use lpaflow_lpa::application::FeeType;
use lpaflow_lpa::fee_report::{FeeFigures, FeeReport, Tally};
use maud::{Markup, html};
use serde::Deserialize;

/// `?from=&to=` as the form sends them (an empty field means "not given").
#[derive(Debug, Default, Deserialize)]
pub(super) struct RangeParams {
    from: Option<String>,
    to: Option<String>,
}

fn given(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `GET /console/reports/fees`.
pub(super) async fn show(
    State(state): State<Context>,
    session: Session,
    Query(params): Query<RangeParams>,
) -> Response {
    let (from, to) = (given(params.from.as_ref()), given(params.to.as_ref()));
    let report = state
        .lpas
        .fee_report_for(&session.caller, from.as_deref(), to.as_deref())
        .await
        .map_err(Problem::from);
    match report {
        Ok(r) => {
            let form = range_form(&r.from.to_string(), &r.to.to_string(), None);
            respond(&session, StatusCode::OK, form, Some(&r))
        }
        Err(p) if p.status == StatusCode::BAD_REQUEST.as_u16() => {
            let form = range_form(
                from.as_deref().unwrap_or(""),
                to.as_deref().unwrap_or(""),
                Some(&p),
            );
            respond(&session, StatusCode::BAD_REQUEST, form, None)
        }
        Err(p) => layout::problem_page(Some(&session), &p),
    }
}

fn respond(session: &Session, status: StatusCode, form: Markup, r: Option<&FeeReport>) -> Response {
    let body = html! {
        h1 { "Fee report" }
        p { "LPAs by the month their application was received (the fee date): full fees, reductions by the fee type that applies, refunds avoided because a reduction was decided before the donor overpaid, refunds still due, and payments net of refunds paid out." }
        (form)
        @if let Some(r) = r { (report(r)) }
    };
    layout::respond(
        status,
        page("Fee report", Some(session), Nav::Reports, body),
    )
}

/// The range form, with the problems of a refused range next to their fields.
fn range_form(from: &str, to: &str, problem: Option<&Problem>) -> Markup {
    let error_of = |name: &str| {
        problem.and_then(|p| {
            p.errors
                .iter()
                .find(|e| e.pointer.trim_start_matches('/') == name)
                .map(|e| sentence(&e.detail))
        })
    };
    let summary: Vec<(String, Option<String>)> = problem
        .map(|p| {
            p.errors
                .iter()
                .map(|e| {
                    (
                        sentence(&e.detail),
                        Some(e.pointer.trim_start_matches('/').to_owned()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    html! {
        @if !summary.is_empty() { (error_summary("There is a problem", &summary)) }
        form.range-form method="get" action="/console/reports/fees" novalidate {
            p.hint id="range-hint" { "Dates as YYYY-MM-DD, both included. Leave both empty for the current month and the " (DEFAULT_MONTHS - 1) " before it." }
            div.range-fields {
                @for (name, label, value) in [("from", "From", from), ("to", "To", to)] {
                    @let error = error_of(name);
                    div class=(if error.is_some() { "form-group form-group-error" } else { "form-group" }) {
                        label.label for=(name) { (label) }
                        @if let Some(e) = &error { p.error-message id={ (name) "-error" } { span.visually-hidden { "Error: " } (e) } }
                        input.input.input-medium type="date" id=(name) name=(name) value=(value)
                            aria-describedby=(if error.is_some() { format!("range-hint {name}-error") } else { "range-hint".to_owned() });
                    }
                }
            }
            button.button type="submit" { "Show report" }
        }
    }
}

/// A column heading for reductions of `fee_type`.
fn reduction_label(fee_type: FeeType) -> &'static str {
    match fee_type {
        FeeType::FullFee => "Full fee",
        FeeType::HalfFee => "Half fee reductions",
        FeeType::NoFee => "Exemptions (no fee)",
        FeeType::HardshipFee => "Hardship waivers",
        FeeType::RepeatApplicationFee => "Repeat application reductions",
    }
}

fn money(t: Tally) -> Markup {
    html! { (pounds(t.pence)) " " span.count { "(" (t.count) ")" } }
}

fn cells(f: &FeeFigures) -> Markup {
    html! {
        td.num { (f.lpas) }
        td.num { (pounds(f.full_fees_pence)) }
        @for (_, t) in f.reductions.iter() { td.num { (money(t)) } }
        td.num { (money(f.refunds_avoided)) }
        td.num { (money(f.refunds_due)) }
        td.num { (pounds(f.paid_pence)) }
    }
}

fn report(r: &FeeReport) -> Markup {
    let t = &r.total;
    html! {
        section.section aria-labelledby="chart-heading" {
            h2 id="chart-heading" { "Refunds avoided and still due" }
            ul.chart-legend {
                li { span.swatch.swatch-avoided {} "Refunds avoided" }
                li { span.swatch.swatch-due {} "Refunds still due" }
            }
            div.graph-wrap role="region" aria-label="Chart of refunds by month (scrolls sideways)" tabindex="0" {
                (fee_chart::svg(&r.months, t.refunds_avoided, t.refunds_due))
            }
        }
        @if r.unreadable_ledgers > 0 {
            div.notice { p { (r.unreadable_ledgers) " LPAs have a fee ledger that could not be read; they are not counted." } }
        }
        div.table-wrap role="region" aria-labelledby="fee-table-caption" tabindex="0" {
            table.table.report-table {
                caption.table-caption id="fee-table-caption" { "Fees by month, " (r.from) " to " (r.to) " (amounts in pounds, LPAs in brackets)" }
                thead { tr {
                    th scope="col" { "Month" }
                    th scope="col" { "LPAs" }
                    th scope="col" { "Full fees" }
                    @for (ty, _) in t.reductions.iter() { th scope="col" { (reduction_label(ty)) } }
                    th scope="col" { "Refunds avoided" }
                    th scope="col" { "Refunds still due" }
                    th scope="col" { "Payments (net)" }
                } }
                tbody {
                    @for m in &r.months { tr { th scope="row" { (m.month.first_day().format("%B %Y")) } (cells(&m.figures)) } }
                }
                tfoot { tr { th scope="row" { "Total" } (cells(t)) } }
            }
        }
    }
}
