//! Actions that end an LPA (its next state is terminal: cannot register, do not register, expired, cancelled,
//! withdrawn) are asked about once more before they are fired: the page names the outcome in plain words,
//! says it cannot be undone and repeats the reason given (every such event requires one, and it is recorded in
//! the LPA's history). The form is sent again with `confirmed=yes`; "No" goes back to the LPA unchanged.

use super::layout::{self, Nav, page, words};
use super::session::{CSRF_FIELD, Session};
use axum::http::StatusCode;
use axum::response::Response;
use lpaflow_core::{EventName, InstanceId, StateName, WorkflowDef};
use maud::html;

/// The field a confirmed form carries.
pub(super) const CONFIRMED_FIELD: &str = "confirmed";

/// The terminal state `event` leads to from `from`, if it ends the LPA.
pub(super) fn ending(def: &WorkflowDef, from: &StateName, event: &str) -> Option<StateName> {
    let target = def
        .transition(&EventName::new(event), from)?
        .target(from)
        .clone();
    def.state(&target).filter(|s| s.terminal).map(|_| target)
}

/// What ending in `state` means, for the person about to do it.
fn consequence(state: &str) -> String {
    match state {
        "cannot_register" => {
            "The LPA cannot be registered. It is closed for good: no later event can reopen it."
                .to_owned()
        }
        "do_not_register" => {
            "The LPA will not be registered. It is closed for good: no later event can reopen it."
                .to_owned()
        }
        "expired" => {
            "The LPA expires. It is closed for good: no later event can reopen it.".to_owned()
        }
        "cancelled" => "The registered LPA is cancelled. It can no longer be used.".to_owned(),
        "withdrawn" => "The LPA is withdrawn. It is closed for good.".to_owned(),
        other => format!("The LPA ends as {}. This cannot be undone.", words(other)),
    }
}

/// The question, with the form's own values kept to send again.
pub(super) fn page_for(
    session: &Session,
    id: &InstanceId,
    event: &str,
    ending: &StateName,
    fields: &[(String, String)],
) -> Response {
    let reason = fields
        .iter()
        .find(|(k, _)| k == "reason")
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty());
    let body = html! {
        h1 { "Are you sure?" }
        p.lead { "You are about to " strong { (words(event)) } " for LPA " (id) "." }
        div.confirm-ending role="alert" {
            p { strong { (consequence(ending.as_str())) } }
            p { "It moves to " (words(ending.as_str())) " and cannot come back. This cannot be undone." }
        }
        @if let Some(r) = reason {
            p { "Your reason, recorded in the LPA's history:" }
            blockquote.quote { (r) }
        }
        form method="post" action={ "/console/lpas/" (id) "/events" } {
            input type="hidden" name=(CSRF_FIELD) value=(session.csrf());
            @for (name, value) in fields.iter().filter(|(k, _)| k != CSRF_FIELD && k != CONFIRMED_FIELD) {
                input type="hidden" name=(name) value=(value);
            }
            input type="hidden" name=(CONFIRMED_FIELD) value="yes";
            div.button-group {
                button.button.button-warning type="submit" { "Yes, " (words(event)) }
                a.link href={ "/console/lpas/" (id) } { "No, go back to the LPA" }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        page("Confirm", Some(session), Nav::Lpas, body),
    )
}
