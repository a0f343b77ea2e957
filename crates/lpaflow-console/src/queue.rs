//! The caseworker queue: LPAs filtered by what needs a person (blocking finding, fee decision, objection,
//! failed OPG sync, paper application to key in, open finding), by owner ("my cases") and by state, found by
//! a search, with an exact count per filter and for the page ("1 to 25 of 33"), sorted by any sortable column,
//! a page of the chosen size at a time. "Take the next case" claims the most urgent case nobody has. It reads
//! through `LpaService::list` and `count`, which apply the same rules as the API's `GET /v1/lpas`.

use super::layout::{self, Nav, page, words};
use super::queue_rows::{self, Table, parse_sort};
use super::session::{CSRF_FIELD, CheckedForm, Session};
use crate::Context;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lpaflow_app::queues::{LISTERS, search_words};
use lpaflow_app::{ListQuery, ListSort, Role, SyncStatus};
use lpaflow_http::auth::Caller;
use lpaflow_http::errors;
use lpaflow_http::problem::{FieldProblem, Problem};
use lpaflow_lpa::labels;
use maud::{Markup, html};
use serde::Deserialize;

/// The page sizes offered.
const PAGE_SIZES: &[u32] = &[25, 50, 100];

/// What a queue shows.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub(super) enum Filter {
    All,
    BlockingFinding,
    FeeDecisionNeeded,
    ObjectionOpen,
    SyncFailed,
    PaperOpen,
    OpenFinding,
    SyncPending,
}

impl Filter {
    fn label(self) -> &'static str {
        match self {
            Filter::All => "All LPAs",
            Filter::BlockingFinding => "Blocking finding",
            Filter::FeeDecisionNeeded => "Fee decision needed",
            Filter::ObjectionOpen => "Objection open",
            Filter::SyncFailed => "OPG sync failed",
            Filter::PaperOpen => "Paper application to key in",
            Filter::OpenFinding => "Open finding",
            Filter::SyncPending => "OPG sync pending",
        }
    }

    fn narrow(self, q: &mut ListQuery) {
        let label = match self {
            Filter::All | Filter::SyncFailed | Filter::SyncPending => None,
            Filter::BlockingFinding => Some(labels::FINDING_BLOCKING),
            Filter::OpenFinding => Some(labels::FINDING_OPEN),
            Filter::FeeDecisionNeeded => Some(labels::FEE_DECISION_NEEDED),
            Filter::ObjectionOpen => Some(labels::OBJECTION_OPEN),
            Filter::PaperOpen => Some(labels::PAPER_OPEN),
        };
        q.labels.extend(label.map(str::to_owned));
        q.sync = match self {
            Filter::SyncFailed => Some(SyncStatus::Failed),
            Filter::SyncPending => Some(SyncStatus::Pending),
            _ => None,
        };
    }
}

/// The queue's query string.
#[derive(Debug, Default, Deserialize)]
pub(super) struct QueueParams {
    filter: Option<String>,
    state: Option<String>,
    /// `mine` for the caller's cases.
    owner: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    size: Option<u32>,
    cursor: Option<String>,
    page: Option<u32>,
    /// `none` after "take the next case" found nothing.
    next: Option<String>,
}

/// The page's choices, read and checked.
struct Choices {
    filter: Filter,
    in_state: Option<String>,
    mine: bool,
    q: String,
    words: Vec<String>,
    sort: (ListSort, bool),
    size: u32,
}

impl Choices {
    /// The choices `p` makes, or every problem with them.
    fn of(state: &Context, p: &QueueParams) -> Result<Self, Vec<FieldProblem>> {
        let in_state = p.state.clone().filter(|s| !s.is_empty());
        let mut problems = Vec::new();
        if let Some(s) = &in_state
            && !state.lpas.is_lpa_state(s)
        {
            problems.push(FieldProblem::new(
                "/state",
                format!("{s:?} is not a state of the LPA workflow"),
            ));
        }
        let q = p.q.as_deref().unwrap_or("").trim().to_owned();
        let words = search_words(&q).unwrap_or_else(|e| {
            problems.push(FieldProblem::new("/q", format!("the search {e}")));
            Vec::new()
        });
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            filter: p
                .filter
                .as_deref()
                .and_then(|f| f.parse().ok())
                .unwrap_or(Filter::All),
            in_state,
            mine: p.owner.as_deref() == Some("mine"),
            q,
            words,
            sort: parse_sort(p.sort.as_deref()),
            size: p
                .size
                .filter(|s| PAGE_SIZES.contains(s))
                .unwrap_or(PAGE_SIZES[0]),
        })
    }

    fn query(&self, caller: &Caller, filter: Filter) -> ListQuery {
        let mut q = ListQuery {
            state: self.in_state.clone(),
            words: self.words.clone(),
            sort: self.sort.0,
            descending: self.sort.1,
            limit: self.size,
            ..ListQuery::default()
        };
        if self.mine {
            q.labels.push(labels::owner(&caller.sub));
        }
        filter.narrow(&mut q);
        q
    }

    /// The page's address with these choices and `filter`, without sort, cursor or page.
    fn href(&self, filter: Filter) -> String {
        let f: &str = filter.into();
        let mut out = format!("/console/queue?filter={f}");
        let mut add = |k: &str, v: &str| {
            out.push_str(&format!("&{k}={}", layout::query_value(v)));
        };
        if let Some(s) = &self.in_state {
            add("state", s);
        }
        if self.mine {
            add("owner", "mine");
        }
        if !self.q.is_empty() {
            add("q", &self.q);
        }
        if self.size != PAGE_SIZES[0] {
            add("size", &self.size.to_string());
        }
        out
    }

    fn sort_value(&self) -> String {
        let (sort, descending) = self.sort;
        let name = queue_rows::SORT_COLUMNS
            .iter()
            .find(|c| c.sort == sort)
            .map_or("created", |c| c.name);
        if descending {
            format!("-{name}")
        } else {
            name.to_owned()
        }
    }

    /// [`Choices::href`] with the sort, unless it is the default (oldest first).
    fn href_sorted(&self, filter: Filter) -> String {
        match self.sort {
            (ListSort::Created, false) => self.href(filter),
            _ => format!("{}&sort={}", self.href(filter), self.sort_value()),
        }
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
    caller.require(LISTERS, "list LPAs")?;
    let c = Choices::of(state, &p).map_err(Problem::validation)?;
    let mut query = c.query(caller, c.filter);
    query.cursor = p.cursor.clone();
    let rows = state
        .lpas
        .list(caller, &query)
        .await
        .map_err(|e| errors::problem(e, ""))?;
    let mut counts = Vec::new();
    for f in Filter::iter() {
        let n = state
            .lpas
            .count(caller, &c.query(caller, f))
            .await
            .map_err(|e| errors::problem(e, ""))?;
        counts.push((f, n));
    }
    let total = counts
        .iter()
        .find(|(f, _)| *f == c.filter)
        .map_or(0, |(_, n)| *n);
    let page_no = p.page.unwrap_or(1).max(1);
    let first = u64::from(page_no - 1) * u64::from(c.size) + 1;
    let last = first + rows.items.len() as u64 - 1;
    let mut caption = c.filter.label().to_owned();
    if let Some(s) = &c.in_state {
        caption.push_str(&format!(" in {}", words(s)));
    }
    if c.mine {
        caption.push_str(", my cases");
    }
    if !c.q.is_empty() {
        caption.push_str(&format!(", matching \u{201c}{}\u{201d}", c.q));
    }
    let table = Table {
        caption: &format!("{caption}: {first} to {last} of {total}"),
        sort: c.sort,
        base_href: &c.href(c.filter),
        show_names: caller.role.sees_personal_data(),
        me: &caller.sub,
        now: state.lpas.now(),
    };
    let body = html! {
        h1 { "Caseworker queue" }
        @if p.next.as_deref() == Some("none") {
            (layout::banner("No case waits", "Every case that needs a person has a caseworker. Nothing was claimed."))
        }
        (intro(session))
        div.queue-layout {
            (filters(state, &c, &counts))
            section.queue aria-labelledby="queue-caption" {
                @if rows.items.is_empty() {
                    h2 #queue-caption { (caption) }
                    p { "No LPAs match." }
                } @else {
                    (queue_rows::table(&table, &rows.items))
                }
                nav.pagination aria-label="Pages" {
                    ul {
                        @if page_no > 1 {
                            li { a href=(c.href_sorted(c.filter)) { "First page" } }
                        }
                        @if let Some(next) = &rows.next_cursor {
                            li {
                                a href={ (c.href_sorted(c.filter)) "&cursor=" (layout::query_value(next)) "&page=" (page_no + 1) } rel="next" { "Next page" }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Caseworker queue", Some(session), Nav::Queue, body))
}

fn intro(session: &Session) -> Markup {
    html! {
        p.lead { "Oldest first unless you sort by another column: the LPA that has waited longest is at the top." }
        @if session.caller.role == Role::Caseworker {
            form.next-case method="post" action="/console/queue/next" {
                input type="hidden" name=(CSRF_FIELD) value=(session.csrf());
                p.hint { "The most urgent case nobody has: blocking findings first, then fee decisions, objections, failed OPG syncs, paper applications and open findings." }
                button.button type="submit" { "Take the next case" }
            }
        }
    }
}

fn filters(state: &Context, c: &Choices, counts: &[(Filter, u64)]) -> Markup {
    let f_name: &str = c.filter.into();
    let states = state.lpas.lpa_states();
    html! {
        nav.filters aria-labelledby="filters-heading" {
            h2 #filters-heading { "Show" }
            ul.filter-list {
                @for (f, n) in counts {
                    li {
                        a href=(c.href_sorted(*f)) aria-current=[(*f == c.filter).then_some("true")] {
                            (f.label()) " " span.count { "(" (n) ")" }
                        }
                    }
                }
            }
            form method="get" action="/console/queue" {
                input type="hidden" name="filter" value=(f_name);
                input type="hidden" name="sort" value=(c.sort_value());
                div.form-group {
                    label.label for="q" { "Search" }
                    div.hint id="q-hint" { "Reference or part of one; caseworkers also by name, postcode or date of birth (31/01/1950)." }
                    input.input type="search" id="q" name="q" value=(c.q) aria-describedby="q-hint" spellcheck="false" autocomplete="off";
                }
                div.form-group {
                    label.label for="state" { "In state" }
                    select.select #state name="state" {
                        option value="" selected[c.in_state.is_none()] { "Any state" }
                        @for s in &states {
                            option value=(s) selected[c.in_state.as_deref() == Some(s.as_str())] { (words(s)) }
                        }
                    }
                }
                div.form-group {
                    label.label for="owner" { "Whose" }
                    select.select #owner name="owner" {
                        option value="" selected[!c.mine] { "Anyone's" }
                        option value="mine" selected[c.mine] { "My cases" }
                    }
                }
                div.form-group {
                    label.label for="size" { "Per page" }
                    select.select #size name="size" {
                        @for s in PAGE_SIZES {
                            option value=(s) selected[*s == c.size] { (s) }
                        }
                    }
                }
                button.button.button-secondary type="submit" { "Apply" }
            }
        }
    }
}

/// `POST /console/queue/next` (caseworkers): claims the next case and opens it.
pub(super) async fn take_next(State(state): State<Context>, form: CheckedForm) -> Response {
    let session = &form.session;
    if let Err(f) = session.caller.require(&[Role::Caseworker], "take cases") {
        return layout::problem_page(Some(session), &f.into());
    }
    match state.lpas.next_case(&session.caller).await {
        Ok(Some(uid)) => {
            tracing::info!(%uid, actor = %session.caller.sub, "console: next case claimed");
            Redirect::to(&format!("/console/lpas/{uid}?done=assign_case")).into_response()
        }
        Ok(None) => Redirect::to("/console/queue?next=none").into_response(),
        Err(e) => layout::problem_page(Some(session), &errors::problem(e, "")),
    }
}
