//! The auditor's page: the history of any LPA with the hash-chain check of every entry (and of the whole chain
//! against the instance's head, as `GET /v1/audit/verify?uid=` does), the history as JSON (the API's own
//! `GET /v1/lpas/{uid}/history`), and "verify all" running in the background with its progress. Each change
//! shows its old and new values as the role may see them: personal values masked for auditors and admins,
//! unless an auditor revealed that entry (`audit_reveal.rs`, recorded first). "Verify all" is in `verify.rs`.

use super::audit_reveal;
use super::layout::{self, Nav, error_summary, page, time_el, words};
use super::session::{CSRF_FIELD, Session};
use super::verify::{VERIFIERS, job_fragment};
use crate::Context;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lpaflow_app::audit::HistoryEntryView;
use lpaflow_app::audit::READERS;
use lpaflow_app::reveals::RevealedEntry;
use lpaflow_core::InstanceId;
use lpaflow_core::history::{GENESIS_HASH, StoredEntry, chain_hash};
use lpaflow_http::problem::Problem;
use lpaflow_http::{errors, uid};
use maud::{Markup, html};
use serde::Deserialize;
use std::sync::Arc;

/// Entries shown on one page.
const ENTRIES_PAGE: u32 = 1000;

/// `?uid=&after=`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuditParams {
    uid: Option<String>,
    after: Option<u64>,
}

/// `GET /console/audit`.
pub(super) async fn show(
    State(state): State<Context>,
    Extension(console): Extension<Arc<super::ConsoleState>>,
    session: Session,
    Query(q): Query<AuditParams>,
) -> Response {
    let raw = q.uid.as_deref().map(str::trim).unwrap_or("").to_uppercase();
    render(
        &state,
        &console,
        &session,
        &raw,
        q.after.unwrap_or(0),
        Shown::Nothing,
    )
    .await
}

/// What the page shows beside the history, after an auditor asked to reveal an entry.
pub(super) enum Shown {
    /// The history alone.
    Nothing,
    /// This entry with its personal values (the reveal recorded).
    Revealed(Box<RevealedEntry>),
    /// The reveal was refused (a missing reason, no such entry): the problem, and what was typed.
    Refused {
        problem: Box<Problem>,
        seq: String,
        reason: String,
    },
}

/// The audit page for LPA `raw` (none when empty), its history from `after`, with `shown`.
pub(super) async fn render(
    state: &Context,
    console: &super::ConsoleState,
    session: &Session,
    raw: &str,
    after: u64,
    shown: Shown,
) -> Response {
    if let Err(p) = session.caller.require(READERS, "read history") {
        return layout::problem_page(Some(session), &p.into());
    }
    let status = match &shown {
        Shown::Refused { problem, .. } => {
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
        }
        _ => StatusCode::OK,
    };
    let (history, error) = if raw.is_empty() {
        (None, None)
    } else {
        match uid::parse(raw) {
            Err(_) => (
                None,
                Some("Enter an LPA reference in the form M-XXXX-XXXX-XXXX"),
            ),
            Ok(id) => match history_section(state, session, &id, after, &shown).await {
                Ok(m) => (Some(m), None),
                Err(p) => return layout::problem_page(Some(session), &p),
            },
        }
    };
    let may_verify = VERIFIERS.contains(&session.caller.role);
    let body = html! {
        @if let Some(e) = error { (error_summary("There is a problem", &[(e.to_owned(), Some("uid".to_owned()))])) }
        h1 { "Audit" }
        form method="get" action="/console/audit" novalidate {
            div class=(if error.is_some() { "form-group form-group-error" } else { "form-group" }) {
                label.label for="uid" { "LPA reference" }
                div.hint id="uid-hint" { "See its history and check every entry's hash." }
                @if let Some(e) = error { p.error-message id="uid-error" { span.visually-hidden { "Error: " } (e) } }
                input.input.input-medium type="text" id="uid" name="uid" value=(raw) spellcheck="false" autocomplete="off"
                    aria-describedby=(if error.is_some() { "uid-hint uid-error" } else { "uid-hint" });
            }
            button.button type="submit" { "Show history" }
        }
        @if let Some(h) = history { (h) }
        @if may_verify {
            section.section aria-labelledby="verify-heading" {
                h2 id="verify-heading" { "Verify every chain" }
                p { "Recompute every LPA's hash chain from the stored history and compare it with the LPA's recorded head." }
                form method="post" action="/console/audit/verify" hx-post="/console/audit/verify" hx-target="#verify-status" hx-swap="innerHTML" {
                    input type="hidden" name=(CSRF_FIELD) value=(session.csrf());
                    button.button.button-secondary type="submit" { "Verify all" }
                }
                div id="verify-status" role="status" {
                    @if let Some(job) = console.jobs.latest() { (job_fragment(&job)) }
                }
            }
        }
    };
    layout::respond(status, page("Audit", Some(session), Nav::Audit, body))
}

/// Each entry's check: it follows the one before it and its content matches its hash.
fn entry_checks(id: &InstanceId, rows: &[StoredEntry]) -> Vec<Result<(), String>> {
    let mut prev: Option<&str> = None;
    rows.iter()
        .map(|row| {
            let expected_prev = prev.unwrap_or(if row.entry.seq == 1 {
                GENESIS_HASH
            } else {
                row.prev_hash.as_str()
            });
            prev = Some(row.hash.as_str());
            if row.prev_hash != expected_prev {
                Err("does not follow the entry before it".to_owned())
            } else if chain_hash(&row.prev_hash, id, &row.entry) != row.hash {
                Err("its content does not match its hash (changed after it was written)".to_owned())
            } else {
                Ok(())
            }
        })
        .collect()
}

async fn history_section(
    state: &Context,
    session: &Session,
    id: &InstanceId,
    after: u64,
    shown: &Shown,
) -> Result<Markup, Problem> {
    let rows = state
        .lpas
        .history(id, after, ENTRIES_PAGE)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    let checks = entry_checks(id, &rows);
    let whole = if VERIFIERS.contains(&session.caller.role) {
        Some(
            state
                .lpas
                .verify(Some(id), |_| {})
                .await
                .map_err(|e| errors::problem(e, ""))?,
        )
    } else {
        None
    };
    let last_seq = rows.last().map(|r| r.entry.seq);
    let reveals = audit_reveal::reveals_section(state, session, id).await?;
    let revealed = match shown {
        Shown::Revealed(r) => Some(r.as_ref()),
        _ => None,
    };
    // What changed, as this role may see it (personal values masked for auditors and admins), except the
    // entry just revealed.
    let changes: Vec<Vec<Change>> = rows
        .iter()
        .map(|row| match revealed {
            Some(r) if r.entry.seq == row.entry.seq => changes_of(&r.entry),
            _ => changes_of(&HistoryEntryView::of(row.clone(), session.caller.role)),
        })
        .collect();
    let broken = checks.iter().filter(|c| c.is_err()).count();
    Ok(html! {
        section.section aria-labelledby="history-heading" {
            h2 id="history-heading" { "History of " (id) }
            @match &whole {
                Some(v) if v.ok() => { div.banner-success { p { strong { "The whole chain holds." } " " (v.entries) " entries checked against the LPA's recorded head." } } }
                Some(v) => { div.error-summary { p { strong { "The chain is broken." } } ul.list { @for b in &v.broken {
                    li { "Entry " (b.seq) ": " (b.reason) } } } } }
                None => { p { "Each entry is checked below. Auditors and admins also see the whole chain checked against the LPA's head." } }
            }
            p {
                a href={ "/console/audit/" (id) "/history.json" } download { "Download the history as JSON" }
                " (every entry with its payload, changes and hashes)"
            }
            table.table.table-audit {
                caption.table-caption { (rows.len()) " entries; " (broken) " fail their check" }
                thead { tr {
                    th scope="col" { "Entry" } th scope="col" { "Time" } th scope="col" { "Actor" } th scope="col" { "Event" }
                    th scope="col" { "From → to" } th scope="col" { "Changed" } th scope="col" { "Hash" } th scope="col" { "Check" }
                } }
                tbody {
                    @for (i, (row, check)) in rows.iter().zip(&checks).enumerate() {
                        @let e = &row.entry;
                        tr id={ "entry-" (e.seq) } class=[revealed.filter(|r| r.entry.seq == e.seq).map(|_| "row-revealed")] {
                            td { (e.seq) }
                            td { (time_el(&e.at)) }
                            td { (e.actor) " (" (e.role) ")" }
                            td {
                                (words(e.event.as_str()))
                                @if let Some(why) = e.payload.get("reason").and_then(|r| r.as_str()) {
                                    br; span.why { "Why: " q { (why) } }
                                }
                            }
                            td { @match &e.from {
                                Some(f) if f == &e.to => { "stayed in " (words(f.as_str())) }
                                Some(f) => { (words(f.as_str())) " → " (words(e.to.as_str())) }
                                None => { "new: " (words(e.to.as_str())) }
                            } }
                            td { (changes_cell(&changes[i])) }
                            td { code.hash { (row.hash.get(..12).unwrap_or(&row.hash)) "…" } }
                            td { @match check {
                                Ok(()) => { span.tag.tag-ok { span aria-hidden="true" { "✓ " } "Holds" } }
                                Err(why) => { span.tag.tag-broken { span aria-hidden="true" { "✗ " } "Broken" } " " (why) }
                            } }
                        }
                    }
                }
            }
            @if rows.len() as u32 == ENTRIES_PAGE {
                @if let Some(seq) = last_seq { p { a href={ "/console/audit?uid=" (id) "&after=" (seq) } { "Later entries" } } }
            }
            (audit_reveal::reveal_form(session, id, shown))
            (reveals)
        }
    })
}

/// One change as the page shows it: where, and from what to what (values as the role may see them).
pub(super) struct Change {
    pointer: String,
    old: Option<String>,
    new: Option<String>,
}

fn changes_of(view: &HistoryEntryView) -> Vec<Change> {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    };
    view.changes
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| Change {
            pointer: c["pointer"].as_str().unwrap_or_default().to_owned(),
            old: text(&c["old"]),
            new: text(&c["new"]),
        })
        .collect()
}

/// A value as a table cell holds it: inline when short, else its first characters with the whole value a click
/// away (a creation's `/application` is the whole application).
fn value_el(v: &str) -> Markup {
    const MAX: usize = 80;
    if v.chars().count() <= MAX {
        return html! { q { (v) } };
    }
    let start: String = v.chars().take(MAX).collect();
    let whole = serde_json::from_str::<serde_json::Value>(v)
        .and_then(|j| serde_json::to_string_pretty(&j))
        .unwrap_or_else(|_| v.to_owned());
    html! { details.value { summary { q { (start) "…" } } pre { (whole) } } }
}

fn changes_cell(changes: &[Change]) -> Markup {
    html! {
        @if changes.is_empty() { "nothing" } @else {
            ul.list.changes { @for c in changes { li {
                code { (c.pointer) } ": "
                @match (&c.old, &c.new) {
                    (None, Some(n)) => { "set to " (value_el(n)) }
                    (Some(o), None) => { "removed (was " (value_el(o)) ")" }
                    (Some(o), Some(n)) => { (value_el(o)) " → " (value_el(n)) }
                    (None, None) => { "cleared" }
                }
            } } }
        }
    }
}

/// Every entry of LPA `raw` as the API's history shows them, for a caller who may read history.
async fn all_history(
    state: &Context,
    session: &Session,
    raw: &str,
) -> Result<Vec<HistoryEntryView>, Problem> {
    session.caller.require(READERS, "read history")?;
    let id = uid::parse(raw)?;
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = state
            .lpas
            .history(&id, after, ENTRIES_PAGE)
            .await
            .map_err(|e| errors::problem(e, ""))?;
        let n = page.len();
        after = page.last().map_or(after, |e| e.entry.seq);
        let role = session.caller.role;
        all.extend(page.into_iter().map(|e| HistoryEntryView::of(e, role)));
        if n < ENTRIES_PAGE as usize {
            return Ok(all);
        }
    }
}

/// `GET /console/audit/{uid}/history.json`: every entry, as the API's history shows them, as a download.
pub(super) async fn download(
    State(state): State<Context>,
    session: Session,
    Path(raw): Path<String>,
) -> Response {
    let all = match all_history(&state, &session, &raw).await {
        Ok(all) => all,
        Err(p) => return layout::problem_page(Some(&session), &p),
    };
    let body = serde_json::to_vec_pretty(&all).unwrap_or_default();
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"history-{raw}.json\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
