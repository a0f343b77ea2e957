//! The LPA page and its actions. The page shows an LPA as the API's `GET /v1/lpas/{uid}` sees it (the same
//! `lpaflow_lpa::explain`, steps and timers) plus its history; every form on it posts here, and each one is an
//! engine `fire` with the signed-in caller's `sub` and role and the revision the page showed, so a decision
//! made on a stale page is refused instead of applied. Failed OPG steps are retried or skipped through the
//! API's own handlers (admins only).

use super::confirm;
use super::form_payload;
use super::forms::{self, Failure, field_id};
use super::layout::{self, Nav, banner, error_summary, page, sentence, title_words, words};
use super::lpa_sections::Sections;
use super::session::{CheckedForm, Session};
use crate::Context;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lpaflow_http::auth::{Caller, Role};
use lpaflow_http::problem::Problem;
use lpaflow_http::{errors, uid};

use lpaflow_app::page::LpaPage;
use lpaflow_app::steps::StepDecision;
use lpaflow_core::{Command, EventName, InstanceId, StateName};
use maud::{Markup, html};
use serde::Deserialize;

/// Everything the LPA page shows.
pub(super) type Loaded = LpaPage;

async fn load(state: &Context, caller: &Caller, id: &InstanceId) -> Result<Loaded, Problem> {
    state
        .lpas
        .page(caller, id)
        .await
        .map_err(|e| errors::problem(e, ""))
}

/// What the page says after a successful action.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    done: Option<String>,
    from: Option<String>,
}

/// `GET /console/lpas/{uid}`.
pub(super) async fn show(
    State(state): State<Context>,
    session: Session,
    Path(raw): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let loaded = match uid::parse(&raw) {
        Ok(id) => load(&state, &session.caller, &id).await,
        Err(p) => Err(p),
    };
    match loaded {
        Ok(l) => {
            let notice = done_banner(&l, &q);
            layout::respond(StatusCode::OK, render(&session, &l, notice, None))
        }
        Err(p) => layout::problem_page(Some(&session), &p),
    }
}

/// The banner after `?done=<event>&from=<state>`; names are checked against the definition, so the query
/// cannot put arbitrary words on the page.
fn done_banner(l: &Loaded, q: &PageQuery) -> Option<Markup> {
    let event = q.done.as_deref()?;
    if !l.def.knows_event(&EventName::new(event)) && event != "retry" && event != "skip" {
        return None;
    }
    let now = l.stored.instance.state.as_str();
    let from = q
        .from
        .as_deref()
        .filter(|f| l.def.state(&StateName::new(*f)).is_some());
    let text = match from {
        Some(f) if f != now => format!("The LPA moved from {} to {}.", words(f), words(now)),
        _ => format!("The LPA is still in {}.", words(now)),
    };
    Some(banner(&format!("Done: {}", words(event)), &text))
}

fn render(
    session: &Session,
    l: &Loaded,
    notice: Option<Markup>,
    failure: Option<&Failure>,
) -> Markup {
    let uid = l.stored.instance.id.to_string();
    let sections = Sections::new(session, l, failure);
    let body = html! {
        @if let Some(f) = failure { (failure_summary(f)) }
        @if let Some(n) = notice { (n) }
        span.caption { "Lasting power of attorney" }
        h1 { (uid) }
        (sections.summary())
        nav.contents aria-labelledby="contents-heading" {
            h2.heading-small id="contents-heading" { "On this page" }
            ul.list {
                li { a href="#workflow" { "Workflow" } }
                li { a href="#findings" { "Findings" } }
                li { a href="#fee" { "Fee" } }
                li { a href="#signing" { "Identity, signatures and deadlines" } }
                li { a href="#actions" { "Other actions" } }
                li { a href="#sync" { "OPG sync" } }
                @if session.caller.role == Role::Caseworker { li { a href="#people" { "People" } } }
                li { a href="#history" { "History" } }
            }
        }
        (sections.workflow())
        (sections.findings())
        (sections.fee())
        (sections.signing())
        (sections.actions())
        (sections.sync())
        @if session.caller.role == Role::Caseworker { (sections.people()) }
        (sections.history())
    };
    page(&format!("LPA {uid}"), Some(session), Nav::Lpas, body)
}

/// The error summary of a refused form: the refusal, then each problem linking to its field.
fn failure_summary(f: &Failure) -> Markup {
    let event = f.event.as_str();
    let finding = forms_value(f, "finding");
    let anchor = |pointer: &str| -> String {
        let name = pointer
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        match (finding, name) {
            (Some(id), "reason") => format!("finding-{id}-reason"),
            (_, "") => format!("form-{}", field_id(event, "form")),
            _ => field_id(event, name),
        }
    };
    let mut items = Vec::new();
    let listed = matches!(
        f.problem.code.as_str(),
        "validation_failed" | "guard_failed"
    );
    if f.problem.errors.is_empty() || !listed {
        items.push((sentence(&f.problem.detail), Some(anchor(""))));
    }
    for e in &f.problem.errors {
        let text = if e.pointer.is_empty() {
            sentence(&e.detail)
        } else {
            sentence(&format!(
                "{} {}",
                words(e.pointer.trim_start_matches('/')),
                e.detail
            ))
        };
        items.push((text, Some(anchor(&e.pointer))));
    }
    error_summary(&format!("{} was not done", title_words(event)), &items)
}

fn forms_value<'a>(f: &'a Failure, name: &str) -> Option<&'a str> {
    f.values
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `POST /console/lpas/{uid}/events`: fire the form's event as the signed-in caller.
pub(super) async fn fire(
    State(state): State<Context>,
    Path(raw): Path<String>,
    form: CheckedForm,
) -> Response {
    let session = &form.session;
    let id = match uid::parse(&raw) {
        Ok(id) => id,
        Err(p) => return layout::problem_page(Some(session), &p),
    };
    let event = form.get("event").unwrap_or("").to_owned();
    let revision = form.get("revision").and_then(|r| r.parse::<u64>().ok());
    let before = match state.lpas.existing(&id).await {
        Ok(s) => s,
        Err(e) => return layout::problem_page(Some(session), &errors::problem(e, "")),
    };
    let from = before.instance.state.clone();
    let (fields, ending) = match state.lpas.definition_of(&before) {
        Ok(def) => (
            forms::fields_for(&def, &from, &event),
            confirm::ending(&def, &from, &event),
        ),
        Err(e) => return layout::problem_page(Some(session), &errors::problem(e, "")),
    };
    let payload = form_payload::payload(&fields, &form.fields);
    // An event that ends the LPA is asked about once more, once its form is complete.
    if let (Ok(_), Some(ending)) = (&payload, &ending)
        && form.get(confirm::CONFIRMED_FIELD) != Some("yes")
    {
        return confirm::page_for(session, &id, &event, ending, &form.fields);
    }
    let outcome = match payload {
        Err(problems) => Err(Problem::validation(problems)),
        Ok(payload) => {
            let mut command = Command::new(
                event.as_str(),
                session.caller.sub.as_str(),
                session.caller.role.to_string(),
            )
            .with_payload(payload);
            if let Some(r) = revision {
                command = command.at_revision(r);
            }
            state
                .lpas
                .fire_command(&id, command, None)
                .await
                .map_err(|e| errors::problem(e, ""))
        }
    };
    match outcome {
        Ok(_) => {
            tracing::info!(uid = %id, event = %event, role = %session.caller.role, "console: event fired");
            Redirect::to(&format!(
                "/console/lpas/{id}?done={}&from={from}#result",
                layout::query_value(&event)
            ))
            .into_response()
        }
        Err(mut problem) => {
            tracing::info!(uid = %id, event = %event, role = %session.caller.role, code = %problem.code, "console: event refused");
            if problem.code == "revision_conflict"
                && let Some(r) = revision
            {
                problem.detail = changed_since(&state, &id, r).await;
            }
            let failure = Failure {
                event,
                values: form.fields.clone(),
                problem,
            };
            refused_page(&state, session, &id, failure).await
        }
    }
}

/// The most changes a stale form's message lists.
const STALE_CHANGES_SHOWN: u32 = 10;

/// Why a form filled in on an older page was not applied, in words: what changed the LPA since, who and when.
async fn changed_since(state: &Context, id: &InstanceId, revision: u64) -> String {
    let changes = match state.lpas.history(id, revision, STALE_CHANGES_SHOWN).await {
        Ok(entries) => entries
            .iter()
            .map(|e| {
                format!(
                    "{} by {} at {}",
                    words(e.entry.event.as_str()),
                    e.entry.actor,
                    layout::time(&e.entry.at)
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        Err(_) => "its history cannot be read now".to_owned(),
    };
    format!(
        "Someone changed this LPA since you opened it ({changes}). The page now shows it as it is: check it, and \
         submit again if it is still needed"
    )
}

/// The LPA page again, with the refused form filled in and its problems.
async fn refused_page(
    state: &Context,
    session: &Session,
    id: &InstanceId,
    failure: Failure,
) -> Response {
    let status =
        StatusCode::from_u16(failure.problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    match load(state, &session.caller, id).await {
        Ok(l) => layout::respond(status, render(session, &l, None, Some(&failure))),
        Err(p) => layout::problem_page(Some(session), &p),
    }
}

/// `POST /console/lpas/{uid}/sync/{id}/{retry|skip}`: an admin's decision on a failed OPG step, through the
/// API's own handlers.
pub(super) async fn decide_step(
    State(state): State<Context>,
    Path((raw, step, decision)): Path<(String, i64, String)>,
    form: CheckedForm,
) -> Response {
    let session = &form.session;
    let decided = match decision.as_str() {
        "retry" => StepDecision::Retry,
        "skip" => StepDecision::Skip,
        _ => {
            return layout::message_page(
                StatusCode::NOT_FOUND,
                Some(session),
                "Page not found",
                "A failed step can only be retried or skipped.",
            );
        }
    };
    let id = match uid::parse(&raw) {
        Ok(id) => id,
        Err(p) => return layout::problem_page(Some(session), &p),
    };
    match state
        .lpas
        .decide_step(&session.caller, &id, step, decided)
        .await
    {
        Ok(_) => Redirect::to(&format!("/console/lpas/{id}?done={decision}#sync")).into_response(),
        Err(e) => layout::problem_page(Some(session), &e.into()),
    }
}
