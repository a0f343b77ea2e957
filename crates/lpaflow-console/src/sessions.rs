//! `GET /console/sessions` (admins): every open console session (who, in which role, since when, last used,
//! until when) with a button to revoke it; `POST /console/sessions/{id}/revoke` ends one at once, in every
//! process. Sessions are listed by their store id (the SHA-256 of the browser's secret), never the secret.

use super::layout::{self, Nav, page, time_el};
use super::session::{CSRF_FIELD, CheckedForm, Session};
use crate::Context;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lpaflow_app::sessions::SessionError;
use lpaflow_http::errors;
use lpaflow_http::problem::Problem;
use maud::html;

fn problem(e: SessionError) -> Problem {
    match e {
        SessionError::Forbidden(f) => f.into(),
        SessionError::Engine(e) => errors::problem(e, ""),
    }
}

/// `GET /console/sessions`.
pub(super) async fn show(State(state): State<Context>, session: Session) -> Response {
    let open = match state.lpas.open_sessions(&session.caller).await {
        Ok(open) => open,
        Err(e) => return layout::problem_page(Some(&session), &problem(e)),
    };
    let csrf = session.csrf();
    let body = html! {
        h1 { "Console sessions" }
        p.lead { "Everyone signed in to the console now. Revoking a session signs that person out at once." }
        table.table {
            caption.table-caption { (open.len()) " open sessions" }
            thead { tr {
                th scope="col" { "Who" } th scope="col" { "Role" } th scope="col" { "Signed in" }
                th scope="col" { "Last used" } th scope="col" { "Ends at the latest" } th scope="col" { "Revoke" }
            } }
            tbody { @for s in &open { tr {
                td { (s.subject) } td { (s.role) } td { (time_el(&s.created_at)) }
                td { (time_el(&s.last_seen_at)) } td { (time_el(&s.expires_at)) }
                td { form method="post" action={ "/console/sessions/" (s.id) "/revoke" } {
                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                    button.button.button-warning.button-small type="submit" { "Revoke the session of " (s.subject) }
                } }
            } } }
        }
    };
    layout::respond(
        StatusCode::OK,
        page("Console sessions", Some(&session), Nav::Ops, body),
    )
}

/// `POST /console/sessions/{id}/revoke`.
pub(super) async fn revoke(
    State(state): State<Context>,
    Path(id): Path<String>,
    form: CheckedForm,
) -> Response {
    match state.lpas.revoke_session(&form.session.caller, &id).await {
        Ok(_) => Redirect::to("/console/sessions").into_response(),
        Err(e) => layout::problem_page(Some(&form.session), &problem(e)),
    }
}
