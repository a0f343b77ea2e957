//! Finding an LPA: a full reference opens it; anything else is a search (part of a reference, and for
//! caseworkers a donor's or attorney's name, a postcode or a date of birth) whose matches are listed with the
//! queue's columns. Services, which do not list LPAs, find by full reference only.

use super::layout::{self, Nav, error_summary, page};
use super::queue_rows::{self, Table, parse_sort};
use super::session::Session;
use crate::Context;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lpaflow_app::ListQuery;
use lpaflow_app::queues::{LISTERS, search_words};
use lpaflow_http::{errors, uid};
use maud::{Markup, html};
use serde::Deserialize;

/// Matches shown at once (a search that finds more says so and asks for more words).
const MATCHES_SHOWN: u32 = 50;

/// `?q=` of the find form (`uid` is its older name, still accepted).
#[derive(Debug, Default, Deserialize)]
pub(super) struct FindQuery {
    q: Option<String>,
    uid: Option<String>,
    sort: Option<String>,
}

/// `GET /console/lpas`.
pub(super) async fn find(
    State(state): State<Context>,
    session: Session,
    Query(f): Query<FindQuery>,
) -> Response {
    let raw =
        f.q.as_deref()
            .or(f.uid.as_deref())
            .unwrap_or("")
            .trim()
            .to_owned();
    if raw.is_empty() {
        return respond(&session, &raw, Ok(html! {}));
    }
    if let Ok(id) = uid::parse(&raw.to_uppercase()) {
        return Redirect::to(&format!("/console/lpas/{id}")).into_response();
    }
    if session.caller.require(LISTERS, "search LPAs").is_err() {
        return respond(
            &session,
            &raw,
            Err("Enter an LPA reference in the form M-XXXX-XXXX-XXXX".to_owned()),
        );
    }
    let words = match search_words(&raw) {
        Ok(w) if !w.is_empty() => w,
        Ok(_) => {
            return respond(
                &session,
                &raw,
                Err("Enter a reference, a name, a postcode or a date of birth".to_owned()),
            );
        }
        Err(e) => return respond(&session, &raw, Err(format!("The search {e}"))),
    };
    let sort = parse_sort(f.sort.as_deref());
    let query = ListQuery {
        words,
        sort: sort.0,
        descending: sort.1,
        limit: MATCHES_SHOWN,
        ..ListQuery::default()
    };
    let caller = &session.caller;
    let found = state.lpas.list(caller, &query).await;
    let total = state.lpas.count(caller, &query).await;
    let (rows, total) = match (found, total) {
        (Ok(rows), Ok(total)) => (rows, total),
        (Err(e), _) | (_, Err(e)) => {
            return layout::problem_page(Some(&session), &errors::problem(e, ""));
        }
    };
    let shown = rows.items.len();
    let base = format!("/console/lpas?q={}", layout::query_value(&raw));
    let caption = if total as usize > shown {
        format!("{total} LPAs match; the first {shown} are shown: add a word to narrow the search")
    } else if total == 1 {
        "1 LPA matches".to_owned()
    } else {
        format!("{total} LPAs match")
    };
    let table = Table {
        caption: &caption,
        sort,
        base_href: &base,
        show_names: caller.role.sees_personal_data(),
        me: &caller.sub,
        now: state.lpas.now(),
    };
    let results = html! {
        section aria-labelledby="queue-caption" {
            @if rows.items.is_empty() {
                h2 #queue-caption { "No LPA matches \u{201c}" (raw) "\u{201d}" }
                p { "Check the spelling, or search with fewer words: every word must match." }
            } @else {
                (queue_rows::table(&table, &rows.items))
            }
        }
    };
    respond(&session, &raw, Ok(results))
}

fn respond(session: &Session, raw: &str, results: Result<Markup, String>) -> Response {
    let error = results.as_ref().err().cloned();
    let searcher = session.caller.require(LISTERS, "search LPAs").is_ok();
    let hint = if !searcher {
        "Its reference, for example M-QWER-TY34-6789."
    } else if session.caller.role.sees_personal_data() {
        "A reference or part of one (M-QWER, TY34), or a donor's or attorney's name, a postcode or a date of birth (31/01/1950)."
    } else {
        "A reference or part of one (M-QWER, TY34). Names, postcodes and dates of birth are searched by caseworkers only."
    };
    let body = html! {
        @if let Some(e) = &error {
            (error_summary("There is a problem", &[(e.clone(), Some("q".to_owned()))]))
        }
        h1 { "Find an LPA" }
        form method="get" action="/console/lpas" novalidate {
            div class=(if error.is_some() { "form-group form-group-error" } else { "form-group" }) {
                label.label for="q" { "Search" }
                div.hint id="q-hint" { (hint) }
                @if let Some(e) = &error {
                    p.error-message id="q-error" { span.visually-hidden { "Error: " } (e) }
                }
                input.input type="search" id="q" name="q" value=(raw) spellcheck="false" autocomplete="off"
                    aria-describedby=(if error.is_some() { "q-hint q-error" } else { "q-hint" });
            }
            button.button type="submit" { "Find" }
        }
        @if let Ok(results) = &results { (results) }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    layout::respond(status, page("Find an LPA", Some(session), Nav::Lpas, body))
}
