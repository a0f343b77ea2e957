//! What an operator needs during and after an OPG outage: since when OPG has not answered and its last error,
//! the LPAs waiting longest (linked), the recent outages, and how many steps this process delivered minute by
//! minute over the last hour (kept by the engine whether or not the page is open, so the drain after an outage
//! shows).

use super::layout::{duration, time_el};
use chrono::Utc;
use lpaflow_app::WaitingInstance;
use lpaflow_app::ops::OpgStatus;
use maud::{Markup, html};
use serde_json::Value;

/// LPAs listed as waiting.
pub(super) const WAITING_SHOWN: u32 = 20;

/// A handler's error in a sentence: its `detail` or `code` when it has one.
fn error_words(e: &Value) -> String {
    e.get("detail")
        .or_else(|| e.get("code"))
        .and_then(Value::as_str)
        .map_or_else(|| e.to_string(), str::to_owned)
}

/// "Down since …, last error …" while OPG does not answer.
pub(super) fn down_since(status: &OpgStatus) -> Markup {
    let current = status.outages.first().filter(|o| o.ended_at.is_none());
    html! {
        @if let Some(o) = current {
            p { strong { "Not answering since " (time_el(&o.started_at)) } " (" (duration(Utc::now() - o.started_at)) ")." }
            @if let Some(e) = &o.last_error { p { "Last error: " q { (error_words(e)) } } }
        }
    }
}

/// Steps delivered by this process: the last hour, the last five minutes.
pub(super) fn delivery_panel(status: &OpgStatus) -> Markup {
    let hour = &status.delivered_last_hour;
    let last_five: u64 = hour.per_minute.iter().rev().take(5).sum();
    let peak = hour.per_minute.iter().copied().max().unwrap_or(0).max(1);
    html! {
        div.panel {
            h2.heading-small { "Delivered" }
            p.big { (hour.total) @if hour.total == 1 { " step" } @else { " steps" } " in the last hour" }
            p { (last_five) " in the last five minutes (" (format!("{:.1}", last_five as f64 / 5.0)) " a minute)." }
            div.sparkline role="img" aria-label={ "Steps delivered per minute over the last hour, most recent on the right; the most in a minute: " (peak) } {
                @for n in &hour.per_minute {
                    span style={ "height:" (n * 100 / peak) "%" } {}
                }
            }
            p.hint { "By this process, counted whether or not this page is open." }
        }
    }
}

/// The LPAs waiting longest for OPG, each linked to its page.
pub(super) fn waiting_table(waiting: &[WaitingInstance], pending_steps: u64) -> Markup {
    html! {
        @if !waiting.is_empty() {
            table.table {
                caption.table-caption { "LPAs waiting for OPG, longest first (" (waiting.len()) " shown; " (pending_steps) " steps waiting in all)" }
                thead { tr { th scope="col" { "LPA" } th scope="col" { "Steps waiting" } th scope="col" { "Waiting since" } } }
                tbody { @for w in waiting { tr {
                    td { a href={ "/console/lpas/" (w.uid) } { (w.uid) } }
                    td { (w.open_steps) }
                    td { (time_el(&w.oldest_at)) }
                } } }
            }
        }
    }
}

/// OPG's recent outages as this process saw them.
pub(super) fn outages_table(status: &OpgStatus) -> Markup {
    html! {
        @if status.outages.is_empty() {
            p.hint { "No OPG outage since this process started." }
        } @else {
            table.table {
                caption.table-caption { "OPG outages seen by this process, newest first" }
                thead { tr { th scope="col" { "From" } th scope="col" { "To" } th scope="col" { "Lasted" } th scope="col" { "Last error" } } }
                tbody { @for o in &status.outages { tr {
                    td { (time_el(&o.started_at)) }
                    td { @match &o.ended_at { Some(t) => { (time_el(t)) } None => { strong { "still down" } } } }
                    td { (duration(o.ended_at.unwrap_or_else(Utc::now) - o.started_at)) }
                    td { @match &o.last_error { Some(e) => { (error_words(e)) } None => { "none given" } } }
                } } }
            }
        }
    }
}
