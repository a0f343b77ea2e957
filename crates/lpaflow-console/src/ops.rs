//! The operations page: whether OPG is up, degraded, in maintenance or behind an open breaker; the outbox
//! backlog (size, age, by status) and the LPAs waiting longest; OPG's outages and this process's deliveries
//! over the last hour (`ops_outages.rs`); a live count of LPAs by state; and the
//! planned maintenance windows, which admins add and remove through the API's own handlers. The live part
//! refreshes every 5 seconds with htmx, and on reload without it.

use super::dev_outage;
use super::form_payload::parse_time;
use super::layout::{self, Nav, duration, error_summary, page, sentence, time_el, words};
use super::ops_outages;
use super::session::{CSRF_FIELD, CheckedForm, Session};
use crate::Context;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::TimeDelta;
use lpaflow_app::maintenance::read_window;
use lpaflow_app::ops::OpgStatus;
use lpaflow_http::auth::Role;
use lpaflow_http::errors;
use lpaflow_http::problem::{FieldProblem, Problem};
use maud::{Markup, html};
use serde_json::{Map, Value};

/// OPG's condition in one word, and in a sentence.
fn condition(s: &OpgStatus) -> (&'static str, &'static str) {
    let count = |k: &str| s.by_status.get(k).and_then(Value::as_u64).unwrap_or(0);
    match (s.opg.as_str(), s.breaker.as_str()) {
        ("not_configured", _) => (
            "Not configured",
            "This process does not deliver steps to OPG.",
        ),
        ("maintenance", _) => (
            "Maintenance",
            "A planned maintenance window is in force: steps wait and go after it ends.",
        ),
        ("down", "open") => (
            "Breaker open",
            "OPG stopped answering: steps wait, and delivery is tried again later.",
        ),
        ("down", _) => (
            "Degraded",
            "Delivery is being tried again after OPG stopped answering.",
        ),
        _ if count("retrying") > 0 || s.failed_steps > 0 => (
            "Degraded",
            "OPG answers, but some steps are being retried or have failed.",
        ),
        _ => ("Up", "OPG answers and steps are delivered."),
    }
}

async fn live_markup(state: &Context) -> Result<Markup, Problem> {
    let status = state
        .lpas
        .opg_status()
        .await
        .map_err(|e| errors::problem(e, ""))?;
    let waiting = state
        .lpas
        .waiting_for_opg(ops_outages::WAITING_SHOWN)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    let workflow = &state.lpas.settings().lpa_workflow;
    let counts = state
        .lpas
        .count_by_state()
        .await
        .map_err(|e| errors::problem(e, ""))?;
    let nodes = state
        .lpas
        .nodes()
        .await
        .map_err(|e| errors::problem(e, ""))?;
    let (word, sentence) = condition(&status);
    let by_status: Vec<(&String, &Value)> = status
        .by_status
        .as_object()
        .map(|o| o.iter().collect())
        .unwrap_or_default();
    Ok(html! {
        div.panels {
            div.panel {
                h2.heading-small { "OPG" }
                p.big { span class={ "tag tag-opg-" (word.to_lowercase().replace(' ', "-")) } { (word) } }
                p { (sentence) }
                (ops_outages::down_since(&status))
                p.hint { "Breaker " (words(&status.breaker)) " for " (duration(TimeDelta::seconds(status.breaker_since_seconds as i64))) "." }
                @if let Some(m) = &status.maintenance { p { "Maintenance until " (time_el(&m.ends_at)) ": " (m.reason) } }
            }
            div.panel {
                h2.heading-small { "Backlog" }
                p.big { (status.pending_steps) " steps waiting" }
                p { @match status.oldest_pending_seconds {
                    Some(s) => { "The oldest has waited " (duration(TimeDelta::seconds(s))) "." }
                    None => { "Nothing is waiting." } } }
                p { (status.failed_steps) " failed, waiting for a person." }
            }
            (ops_outages::delivery_panel(&status))
        }
        table.table {
            caption.table-caption { "Engine processes" }
            thead { tr { th scope="col" { "Process" } th scope="col" { "Address" } th scope="col" { "Started" } th scope="col" { "Last heartbeat" } } }
            tbody { @for n in &nodes { tr {
                td { (n.node.node_id) @if n.is_self { " (this one)" } }
                td { (n.node.address.as_deref().unwrap_or("not given")) }
                td { (time_el(&n.node.started_at)) }
                td { (format!("{:.1}", n.heartbeat_age_ms as f64 / 1000.0)) " seconds ago" }
            } } }
        }
        p.hint { "A process whose heartbeat is older than the takeover bound (3 seconds by default) is taken over by a live one: its work resumes there." }
        (ops_outages::waiting_table(&waiting, status.pending_steps))
        (ops_outages::outages_table(&status))
        div.two-columns {
            table.table {
                caption.table-caption { "LPAs by state" }
                thead { tr { th scope="col" { "State" } th scope="col" { "LPAs" } } }
                tbody {
                    @for (_, s, n) in counts.iter().filter(|(w, _, _)| w == workflow) { tr { td { (words(s)) } td { (n) } } }
                    tr { th scope="row" { "Total" } td { (counts.iter().filter(|(w, _, _)| w == workflow).map(|(_, _, n)| n).sum::<u64>()) } }
                }
            }
            table.table {
                caption.table-caption { "OPG steps by status" }
                thead { tr { th scope="col" { "Status" } th scope="col" { "Steps" } } }
                tbody {
                    @for (k, n) in &by_status { tr { td { (words(k)) } td { (n) } } }
                    @if by_status.is_empty() { tr { td colspan="2" { "No step is waiting or failed." } } }
                }
            }
        }
    })
}

/// `GET /console/ops`.
pub(super) async fn show(State(state): State<Context>, session: Session) -> Response {
    render(&state, &session, None, StatusCode::OK).await
}

/// A maintenance form refused, with what was entered.
struct Refused {
    values: Vec<(String, String)>,
    problem: Problem,
}

async fn render(
    state: &Context,
    session: &Session,
    refused: Option<Refused>,
    status: StatusCode,
) -> Response {
    let live = match live_markup(state).await {
        Ok(m) => m,
        Err(p) => return layout::problem_page(Some(session), &p),
    };
    let windows = match state.lpas.maintenance_windows().await {
        Ok(w) => w,
        Err(e) => return layout::problem_page(Some(session), &errors::problem(e, "")),
    };
    let admin = session.caller.role == Role::Admin;
    let value = |k: &str| {
        refused
            .as_ref()
            .and_then(|r| r.values.iter().find(|(n, _)| n == k))
            .map_or("", |(_, v)| v.as_str())
    };
    let error = |k: &str| {
        refused
            .as_ref()
            .and_then(|r| {
                r.problem
                    .errors
                    .iter()
                    .find(|e| e.pointer == format!("/{k}"))
            })
            .map(|e| sentence(&e.detail))
    };
    let csrf = session.csrf();
    let body = html! {
        @if let Some(r) = &refused {
            (error_summary("The window was not planned", &r.problem.errors.iter()
                .map(|e| (sentence(&format!("{} {}", e.pointer.trim_start_matches('/'), e.detail)), Some(format!("window-{}", e.pointer.trim_start_matches('/')))))
                .collect::<Vec<_>>()))
        }
        h1 { "Operations" }
        @if admin { p { a href="/console/sessions" { "Console sessions: who is signed in" } } }
        div id="live" hx-get="/console/ops/live" hx-trigger="every 5s" hx-swap="innerHTML" { (live) }
        p.hint { "This part updates every 5 seconds (reload the page if scripts are off)." }
        (dev_outage::section(state, session))
        section.section aria-labelledby="maintenance" {
            h2 id="maintenance" { "OPG maintenance windows" }
            @if windows.is_empty() { p { "No maintenance is planned." } } @else {
                table.table {
                    thead { tr { th scope="col" { "From" } th scope="col" { "To" } th scope="col" { "Reason" } th scope="col" { "Planned by" }
                        @if admin { th scope="col" { "Remove" } } } }
                    tbody { @for w in &windows { tr {
                        td { (time_el(&w.starts_at)) } td { (time_el(&w.ends_at)) } td { (w.reason) } td { (w.created_by) }
                        @if admin { td { form method="post" action={ "/console/ops/maintenance/" (w.id) "/remove" } {
                            input type="hidden" name=(CSRF_FIELD) value=(csrf);
                            button.button.button-secondary.button-small type="submit" { "Remove window " (w.id) }
                        } } }
                    } } }
                }
            }
            @if admin {
                h3.heading-small { "Plan a window" }
                form.event-form method="post" action="/console/ops/maintenance" novalidate {
                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                    @for (name, label, kind) in [("from", "Starts", "datetime-local"), ("to", "Ends", "datetime-local"), ("reason", "Reason", "text")] {
                        @let id = format!("window-{name}");
                        @let err = error(name);
                        div class=(if err.is_some() { "form-group form-group-error" } else { "form-group" }) {
                            label.label for=(id) { (label) }
                            @if kind == "datetime-local" { div.hint id={ (id) "-hint" } { "Local time, " (super::layout::zone()) "." } }
                            @if let Some(e) = &err { p.error-message id={ (id) "-error" } { span.visually-hidden { "Error: " } (e) } }
                            input.input type=(kind) id=(id) name=(name) value=(value(name))
                                aria-describedby=[match (kind == "datetime-local", err.is_some()) {
                                    (true, true) => Some(format!("{id}-hint {id}-error")),
                                    (true, false) => Some(format!("{id}-hint")),
                                    (false, true) => Some(format!("{id}-error")),
                                    (false, false) => None,
                                }];
                        }
                    }
                    button.button type="submit" { "Plan the window" }
                }
            }
        }
    };
    layout::respond(status, page("Operations", Some(session), Nav::Ops, body))
}

/// `GET /console/ops/live`: the live part alone, for htmx.
pub(super) async fn live(State(state): State<Context>, session: Session) -> Response {
    match live_markup(&state).await {
        Ok(m) => layout::respond(StatusCode::OK, m),
        Err(p) => layout::problem_page(Some(&session), &p),
    }
}

/// `POST /console/ops/maintenance` (admin): plan a window through `POST /v1/opg/maintenance`'s handler.
pub(super) async fn add_window(State(state): State<Context>, form: CheckedForm) -> Response {
    let mut body = Map::new();
    for key in ["from", "to"] {
        if let Some(v) = form.get(key).filter(|v| !v.trim().is_empty()) {
            body.insert(
                key.to_owned(),
                Value::String(parse_time(v.trim()).unwrap_or_else(|_| v.to_owned())),
            );
        }
    }
    if let Some(r) = form.get("reason") {
        body.insert("reason".to_owned(), Value::String(r.to_owned()));
    }
    let session = &form.session;
    match plan_window(&state, session, &body).await {
        Ok(()) => Redirect::to("/console/ops#maintenance").into_response(),
        Err(p) if p.status == 422 => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let refused = Refused {
                values: form.fields.clone(),
                problem: p,
            };
            render(&state, session, Some(refused), status).await
        }
        Err(p) => layout::problem_page(Some(session), &p),
    }
}

/// Plans the window the form describes, as the signed-in admin.
async fn plan_window(
    state: &Context,
    session: &Session,
    body: &Map<String, Value>,
) -> Result<(), Problem> {
    session
        .caller
        .require(&[Role::Admin], "plan OPG maintenance")?;
    let w = read_window(body)
        .map_err(|p| Problem::validation(p.into_iter().map(FieldProblem::from).collect()))?;
    state
        .lpas
        .add_maintenance(w.from, w.to, &w.reason, &session.caller.sub)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    Ok(())
}

/// `POST /console/ops/maintenance/{id}/remove` (admin).
pub(super) async fn remove_window(
    State(state): State<Context>,
    Path(id): Path<i64>,
    form: CheckedForm,
) -> Response {
    match remove_window_as(&state, &form.session, id).await {
        Ok(()) => Redirect::to("/console/ops#maintenance").into_response(),
        Err(p) => layout::problem_page(Some(&form.session), &p),
    }
}

async fn remove_window_as(state: &Context, session: &Session, id: i64) -> Result<(), Problem> {
    session
        .caller
        .require(&[Role::Admin], "cancel OPG maintenance")?;
    if state
        .lpas
        .remove_maintenance(id)
        .await
        .map_err(|e| errors::problem(e, ""))?
    {
        Ok(())
    } else {
        Err(Problem::maintenance_not_found(id))
    }
}
