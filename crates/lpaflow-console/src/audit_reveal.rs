//! The auditor's reveal on the audit page: a form naming an entry and the reason its personal values are
//! needed (`POST /console/audit/{uid}/reveal`), and the list of an LPA's reveals (who, when, which entry, why).
//! The service records the reveal before it answers the entry unmasked (`lpaflow_app::reveals`); the page then
//! shows that one entry's changes with their values, and the history stays masked on every other view.

use super::audit::{Shown, render};
use super::layout::{error_summary, time_el};
use super::session::{CSRF_FIELD, CheckedForm, Session};
use crate::Context;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use lpaflow_app::reveals::{REVEAL_READERS, REVEALERS, RevealView};
use lpaflow_core::InstanceId;
use lpaflow_http::problem::{FieldProblem, Problem};
use lpaflow_http::uid;
use maud::{Markup, html};
use std::sync::Arc;

/// `POST /console/audit/{uid}/reveal`: `seq` and `reason`.
pub(super) async fn reveal(
    State(state): State<Context>,
    Extension(console): Extension<Arc<super::ConsoleState>>,
    Path(raw): Path<String>,
    form: CheckedForm,
) -> Response {
    let session = &form.session;
    let raw = raw.trim().to_uppercase();
    let typed_seq = form.get("seq").unwrap_or_default().trim().to_owned();
    let typed_reason = form.get("reason").unwrap_or_default().to_owned();
    let outcome = match (uid::parse(&raw), typed_seq.parse::<u64>()) {
        (Err(p), _) => Err(p),
        (Ok(_), Err(_)) => Err(Problem::validation(vec![FieldProblem::new(
            "/seq",
            "Enter the number of the entry to reveal, from the Entry column",
        )])),
        (Ok(id), Ok(seq)) => state
            .lpas
            .reveal_entry(&session.caller, &id, seq, Some(&typed_reason))
            .await
            .map_err(Problem::from),
    };
    let shown = match outcome {
        Ok(revealed) => Shown::Revealed(Box::new(revealed)),
        Err(p) if p.status == StatusCode::FORBIDDEN.as_u16() => {
            return super::layout::problem_page(Some(session), &p);
        }
        Err(problem) => Shown::Refused {
            problem: Box::new(problem),
            seq: typed_seq,
            reason: typed_reason,
        },
    };
    render(&state, &console, session, &raw, 0, shown).await
}

/// The form, for auditors: which entry and why, with what was refused and why when it was.
pub(super) fn reveal_form(session: &Session, id: &InstanceId, shown: &Shown) -> Markup {
    if !REVEALERS.contains(&session.caller.role) {
        return html! {};
    }
    let (seq, reason, problem) = match shown {
        Shown::Refused {
            problem,
            seq,
            reason,
        } => (seq.as_str(), reason.as_str(), Some(problem.as_ref())),
        _ => ("", "", None),
    };
    let error_at = |field: &str| {
        problem.and_then(|p| {
            if p.errors.is_empty() && field == "seq" {
                Some(p.detail.clone())
            } else {
                p.errors
                    .iter()
                    .find(|e| e.pointer == format!("/{field}"))
                    .map(|e| e.detail.clone())
            }
        })
    };
    let (seq_error, reason_error) = (error_at("seq"), error_at("reason"));
    html! {
        section.section aria-labelledby="reveal-heading" id="reveal" {
            h2 id="reveal-heading" { "Reveal an entry's personal values" }
            p { "Names, dates of birth, addresses and contact details are masked for auditors. To see one entry's values, give its number and why you need them: the reveal is recorded with your name and reason, and shown below to auditors and admins." }
            @if let Some(p) = problem {
                (error_summary("The entry was not revealed", &[(p.detail.clone(), None)]))
            }
            form method="post" action={ "/console/audit/" (id) "/reveal" } novalidate {
                input type="hidden" name=(CSRF_FIELD) value=(session.csrf());
                div class=(if seq_error.is_some() { "form-group form-group-error" } else { "form-group" }) {
                    label.label for="reveal-seq" { "Entry" }
                    @if let Some(e) = &seq_error { p.error-message id="reveal-seq-error" { span.visually-hidden { "Error: " } (e) } }
                    input.input.input-small type="text" inputmode="numeric" id="reveal-seq" name="seq" value=(seq) autocomplete="off";
                }
                div class=(if reason_error.is_some() { "form-group form-group-error" } else { "form-group" }) {
                    label.label for="reveal-reason" { "Why you need to see them" }
                    div.hint id="reveal-reason-hint" { "For example the complaint or audit reference. Up to 500 characters." }
                    @if let Some(e) = &reason_error { p.error-message id="reveal-reason-error" { span.visually-hidden { "Error: " } (e) } }
                    textarea.textarea id="reveal-reason" name="reason" rows="2" aria-describedby="reveal-reason-hint" { (reason) }
                }
                button.button.button-warning type="submit" { "Reveal and record" }
            }
        }
    }
}

/// The LPA's reveals, for auditors and admins.
pub(super) async fn reveals_section(
    state: &Context,
    session: &Session,
    id: &InstanceId,
) -> Result<Markup, Problem> {
    if !REVEAL_READERS.contains(&session.caller.role) {
        return Ok(html! {});
    }
    let reveals: Vec<RevealView> = state.lpas.reveals(&session.caller, id).await?;
    Ok(html! {
        section.section aria-labelledby="reveals-heading" {
            h2 id="reveals-heading" { "Reveals of personal values" }
            @if reveals.is_empty() {
                p { "No one has revealed this LPA's personal values." }
            } @else {
                table.table {
                    caption.table-caption { (reveals.len()) @if reveals.len() == 1 { " reveal" } @else { " reveals, newest first" } }
                    thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Entry" } th scope="col" { "Why" } } }
                    tbody { @for r in &reveals { tr {
                        td { (time_el(&r.revealed_at)) }
                        td { (r.actor) " (" (r.role) ")" }
                        td { a href={ "#entry-" (r.seq) } { (r.seq) } }
                        td { (r.reason) }
                    } } }
                }
            }
        }
    })
}
