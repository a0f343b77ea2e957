//! "Verify all": recomputing every LPA's hash chain in the background (`Store::verify`, as
//! `lpaflow audit verify` and `GET /v1/audit/verify` do), one run at a time, with its progress shown by a fragment
//! htmx polls (or a page to reload without scripts). The latest runs are kept in memory, at most `JOBS_KEPT`.

use super::layout::{self, Nav, page, time_el};
use super::session::{CheckedForm, Session};
use crate::Context;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use lpaflow_app::VerifyReport;
use maud::{Markup, html};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub(super) use lpaflow_app::audit::VERIFIERS;
/// Verify-all runs remembered.
const JOBS_KEPT: usize = 10;

/// One verify-all run.
#[derive(Debug)]
pub(crate) struct VerifyJob {
    id: String,
    started_at: DateTime<Utc>,
    started_by: String,
    total: u64,
    checked: AtomicU64,
    outcome: Mutex<Option<Result<VerifyReport, String>>>,
}

impl VerifyJob {
    fn outcome(&self) -> Option<Result<VerifyReport, String>> {
        self.outcome.lock().map(|o| o.clone()).unwrap_or(None)
    }
}

/// The latest verify-all runs.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    runs: Mutex<VecDeque<Arc<VerifyJob>>>,
}

impl Jobs {
    fn find(&self, id: &str) -> Option<Arc<VerifyJob>> {
        self.runs.lock().ok()?.iter().find(|j| j.id == id).cloned()
    }

    pub(super) fn latest(&self) -> Option<Arc<VerifyJob>> {
        self.runs.lock().ok()?.back().cloned()
    }

    /// The running job, or a new one from `start` (at most one runs at a time).
    fn running_or(&self, start: impl FnOnce() -> Arc<VerifyJob>) -> (Arc<VerifyJob>, bool) {
        let Ok(mut runs) = self.runs.lock() else {
            return (start(), true);
        };
        if let Some(j) = runs.iter().find(|j| j.outcome().is_none()) {
            return (j.clone(), false);
        }
        let job = start();
        runs.push_back(job.clone());
        while runs.len() > JOBS_KEPT {
            runs.pop_front();
        }
        (job, true)
    }
}

/// `POST /console/audit/verify`: start verifying every chain (or show the run in progress).
pub(super) async fn start(
    State(state): State<Context>,
    Extension(console): Extension<Arc<super::ConsoleState>>,
    headers: HeaderMap,
    form: CheckedForm,
) -> Response {
    let session = &form.session;
    if let Err(p) = session.caller.require(VERIFIERS, "verify history chains") {
        return layout::problem_page(Some(session), &p.into());
    }
    let total = state.lpas.lpa_count().await.unwrap_or(0);
    let (job, started) = console.jobs.running_or(|| {
        Arc::new(VerifyJob {
            id: uuid::Uuid::new_v4().simple().to_string(),
            started_at: state.lpas.now(),
            started_by: session.caller.sub.clone(),
            total,
            checked: AtomicU64::new(0),
            outcome: Mutex::new(None),
        })
    });
    if started {
        tracing::info!(actor = %session.caller.sub, job = %job.id, "console: verifying every chain");
        let lpas = state.lpas.clone();
        let run = job.clone();
        tokio::spawn(async move {
            let result = lpas
                .verify(None, |n| run.checked.store(n, Ordering::Relaxed))
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "console: verify-all failed");
                    "the database did not answer; try again".to_owned()
                });
            if let Ok(mut o) = run.outcome.lock() {
                *o = Some(result);
            }
        });
    }
    if headers.contains_key("hx-request") {
        layout::respond(StatusCode::OK, job_fragment(&job))
    } else {
        Redirect::to(&format!("/console/audit/verify/{}", job.id)).into_response()
    }
}

/// `GET /console/audit/verify/{job}`: the run's progress (a fragment for htmx, else a page).
pub(super) async fn job(
    Extension(console): Extension<Arc<super::ConsoleState>>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(p) = session.caller.require(VERIFIERS, "verify history chains") {
        return layout::problem_page(Some(&session), &p.into());
    }
    let Some(job) = console.jobs.find(&id) else {
        return layout::message_page(
            StatusCode::NOT_FOUND,
            Some(&session),
            "Not found",
            "There is no such verify-all run. Start a new one from the Audit page.",
        );
    };
    if headers.contains_key("hx-request") {
        return layout::respond(StatusCode::OK, job_fragment(&job));
    }
    let body = html! {
        h1 { "Verify every chain" }
        div id="verify-status" role="status" { (job_fragment(&job)) }
        p { a href="/console/audit" { "Back to Audit" } }
    };
    layout::respond(
        StatusCode::OK,
        page("Verify every chain", Some(&session), Nav::Audit, body),
    )
}

fn plural(n: u64, one: &str) -> String {
    match (n, one) {
        (1, _) => format!("1 {one}"),
        (_, "entry") => format!("{n} entries"),
        _ => format!("{n} {one}s"),
    }
}

pub(super) fn job_fragment(job: &VerifyJob) -> Markup {
    let checked = job.checked.load(Ordering::Relaxed);
    let href = format!("/console/audit/verify/{}", job.id);
    html! {
        p.hint { "Started by " (job.started_by) " at " (time_el(&job.started_at)) "." }
        @match job.outcome() {
            None => {
                label.label for="verify-progress" { "Checked " (checked) " of " (job.total) " LPAs" }
                progress id="verify-progress" max=(job.total.max(1)) value=(checked) { (checked) " of " (job.total) }
                div hx-get=(href) hx-trigger="load delay:1s" hx-target="#verify-status" hx-swap="innerHTML" {}
                p { a href=(href) { "Refresh to see progress" } }
            }
            Some(Ok(r)) if r.ok() => {
                p.verify-result { strong { "Every chain holds." } " " (plural(r.checked, "LPA")) " and " (plural(r.entries, "entry")) " checked." }
            }
            Some(Ok(r)) => {
                p.verify-result { strong { (r.broken.len()) " broken chains" } " among " (r.checked) " LPAs:" }
                ul.list { @for b in &r.broken {
                    li { a href={ "/console/audit?uid=" (b.uid) } { (b.uid) } ", entry " (b.seq) ": " (b.reason) }
                } }
            }
            Some(Err(why)) => { p.verify-result { strong { "The check could not finish: " } (why) } }
        }
    }
}
