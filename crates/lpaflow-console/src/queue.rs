//! The caseworker queue: LPAs filtered by what needs a person (open or blocking finding, fee decision,
//! objection, OPG sync pending or failed) and by state, with a count per filter, oldest first (the LPA waiting
//! longest at the top), a page at a time. It reads through `LpaService::list` with the role list the API's
//! `GET /v1/lpas` checks.

use super::layout::{self, Nav, duration, page, time_el, words};
use super::session::Session;
use crate::Context;
use axum::extract::{Query, State};
use axum::response::Response;
use lpaflow_app::queues::LISTERS;
use lpaflow_app::{InstanceSummary, ListQuery, MAX_PAGE, Page, SyncStatus};
use lpaflow_http::auth::Caller;
use lpaflow_http::errors;
use lpaflow_http::problem::{FieldProblem, Problem};
use lpaflow_lpa::labels;
use maud::{Markup, html};
use serde::Deserialize;

/// LPAs on one page of the queue.
const QUEUE_PAGE: u32 = 25;
/// Pages of `MAX_PAGE` read to count one filter; past that the count shows as "at least".
const COUNT_PAGES_MAX: usize = 10;

/// What a queue shows.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub(super) enum Filter {
    All,
    BlockingFinding,
    OpenFinding,
    FeeDecisionNeeded,
    ObjectionOpen,
    SyncPending,
    SyncFailed,
}

impl Filter {
    fn label(self) -> &'static str {
        match self {
            Filter::All => "All LPAs",
            Filter::BlockingFinding => "Blocking finding",
            Filter::OpenFinding => "Open finding",
            Filter::FeeDecisionNeeded => "Fee decision needed",
            Filter::ObjectionOpen => "Objection open",
            Filter::SyncPending => "OPG sync pending",
            Filter::SyncFailed => "OPG sync failed",
        }
    }

    fn query(self, state: Option<&str>, cursor: Option<String>, limit: u32) -> ListQuery {
        let (label, sync) = match self {
            Filter::All => (None, None),
            Filter::BlockingFinding => (Some(labels::FINDING_BLOCKING), None),
            Filter::OpenFinding => (Some(labels::FINDING_OPEN), None),
            Filter::FeeDecisionNeeded => (Some(labels::FEE_DECISION_NEEDED), None),
            Filter::ObjectionOpen => (Some(labels::OBJECTION_OPEN), None),
            Filter::SyncPending => (None, Some(SyncStatus::Pending)),
            Filter::SyncFailed => (None, Some(SyncStatus::Failed)),
        };
        ListQuery {
            state: state.map(str::to_owned),
            labels: label.map(str::to_owned).into_iter().collect(),
            sync,
            cursor,
            limit,
            ..ListQuery::default()
        }
    }
}

/// The queue's query string.
#[derive(Debug, Default, Deserialize)]
pub(super) struct QueueParams {
    filter: Option<String>,
    state: Option<String>,
    cursor: Option<String>,
    page: Option<u32>,
}

/// A count that may have stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Count {
    Exact(u64),
    AtLeast(u64),
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::AtLeast(n) => write!(f, "{n} or more"),
        }
    }
}

async fn list(
    state: &Context,
    caller: &Caller,
    q: ListQuery,
) -> Result<Page<InstanceSummary>, Problem> {
    caller.require(LISTERS, "list LPAs")?;
    if let Some(s) = q.state.as_deref()
        && !state.lpas.is_lpa_state(s)
    {
        return Err(Problem::validation(vec![FieldProblem::new(
            "/state",
            format!("{s:?} is not a state of the LPA workflow"),
        )]));
    }
    state
        .lpas
        .list(&q)
        .await
        .map_err(|e| errors::problem(e, ""))
}

async fn count(
    state: &Context,
    caller: &Caller,
    filter: Filter,
    in_state: Option<&str>,
) -> Result<Count, Problem> {
    let mut total = 0u64;
    let mut cursor = None;
    for _ in 0..COUNT_PAGES_MAX {
        let page = list(state, caller, filter.query(in_state, cursor, MAX_PAGE)).await?;
        total += page.items.len() as u64;
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(Count::Exact(total)),
        }
    }
    Ok(Count::AtLeast(total))
}

fn href(filter: Filter, state: Option<&str>) -> String {
    let f: &str = filter.into();
    match state {
        Some(s) => format!("/console/queue?filter={f}&state={}", layout::query_value(s)),
        None => format!("/console/queue?filter={f}"),
    }
}

/// `GET /console/queue`.
pub(super) async fn show(
    State(state): State<Context>,
    session: Session,
    Query(p): Query<QueueParams>,
) -> Response {
    match render(&state, &session, p).await {
        Ok(markup) => layout::respond(axum::http::StatusCode::OK, markup),
        Err(problem) => layout::problem_page(Some(&session), &problem),
    }
}

async fn render(state: &Context, session: &Session, p: QueueParams) -> Result<Markup, Problem> {
    use strum::IntoEnumIterator;
    let caller = &session.caller;
    let filter = p
        .filter
        .as_deref()
        .and_then(|f| f.parse::<Filter>().ok())
        .unwrap_or(Filter::All);
    let in_state = p.state.as_deref().filter(|s| !s.is_empty());
    let rows = list(
        state,
        caller,
        filter.query(in_state, p.cursor.clone(), QUEUE_PAGE),
    )
    .await?;
    let mut counts = Vec::new();
    for f in Filter::iter() {
        counts.push((f, count(state, caller, f, in_state).await?));
    }
    let workflow = &state.lpas.settings().lpa_workflow;
    let by_state: Vec<(String, u64)> = state
        .lpas
        .count_by_state()
        .await
        .map(|rows| {
            rows.into_iter()
                .filter(|(w, _, _)| w == workflow)
                .map(|(_, s, n)| (s, n))
                .collect()
        })
        .unwrap_or_default();
    let states = state.lpas.lpa_states();
    let now = state.lpas.now();
    let page_no = p.page.unwrap_or(1).max(1);
    let f_name: &str = filter.into();
    let caption = match in_state {
        Some(s) => format!("{} in {}", filter.label(), words(s)),
        None => filter.label().to_owned(),
    };
    let body = html! {
        h1 { "Caseworker queue" }
        p.lead { "Oldest first: the LPA that has waited longest is at the top." }
        div.queue-layout {
            nav.filters aria-labelledby="filters-heading" {
                h2 #filters-heading { "Show" }
                ul.filter-list {
                    @for (f, n) in &counts {
                        li {
                            @if *f == filter {
                                a href=(href(*f, in_state)) aria-current="true" { (f.label()) " " span.count { "(" (n) ")" } }
                            } @else {
                                a href=(href(*f, in_state)) { (f.label()) " " span.count { "(" (n) ")" } }
                            }
                        }
                    }
                }
                form method="get" action="/console/queue" {
                    input type="hidden" name="filter" value=(f_name);
                    div.form-group {
                        label.label for="state" { "In state" }
                        select.select #state name="state" {
                            option value="" selected[in_state.is_none()] { "Any state" }
                            @for s in &states {
                                @let n = by_state.iter().find(|(x, _)| x == s).map_or(0, |(_, n)| *n);
                                option value=(s) selected[in_state == Some(s.as_str())] { (words(s)) " (" (n) " in total)" }
                            }
                        }
                    }
                    button.button.button-secondary type="submit" { "Apply" }
                }
            }
            section.queue aria-labelledby="queue-caption" {
                @if rows.items.is_empty() {
                    h2 #queue-caption { (caption) }
                    p { "No LPAs match this filter." }
                } @else {
                    table.table {
                        caption #queue-caption.table-caption { (caption) ", page " (page_no) }
                        thead {
                            tr {
                                th scope="col" { "LPA" }
                                th scope="col" { "State" }
                                th scope="col" { "OPG sync" }
                                th scope="col" { "Waiting" }
                                th scope="col" { "Received" }
                                th scope="col" { "Last change" }
                            }
                        }
                        tbody {
                            @for row in &rows.items {
                                tr {
                                    td.uid { a href={ "/console/lpas/" (row.uid) } { (row.uid) } }
                                    td { (words(&row.state)) }
                                    td { (words(&row.sync_status.to_string())) }
                                    td { (duration(now - row.created_at)) }
                                    td { (time_el(&row.created_at)) }
                                    td { (time_el(&row.updated_at)) }
                                }
                            }
                        }
                    }
                }
                nav.pagination aria-label="Pages" {
                    ul {
                        @if page_no > 1 {
                            li { a href=(href(filter, in_state)) { "First page" } }
                        }
                        @if let Some(next) = &rows.next_cursor {
                            li {
                                a href={ (href(filter, in_state)) "&cursor=" (layout::query_value(next)) "&page=" (page_no + 1) } rel="next" { "Next page" }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Caseworker queue", Some(session), Nav::Queue, body))
}
