//! The sections of the LPA page that record: OPG steps not yet confirmed or failed (with attempts and the last
//! error; admins may retry or skip a failed one), timers, the people named in the application (caseworkers
//! only: the one place the console shows names, dates of birth and addresses), and the history timeline.

use super::layout::{duration, step_words, sync_words, time_el, words};
use super::lpa_sections::Sections;
use chrono::TimeDelta;
use lpaflow_app::ops::waited_seconds;
use lpaflow_app::{StepRow, StepStatus};
use lpaflow_http::auth::Role;
use maud::{Markup, html};
use serde_json::Value;

/// The longest JSON value shown in a history change before it is cut.
const VALUE_SHOWN_MAX_CHARS: usize = 200;

fn short_json(v: Option<&Value>) -> String {
    let text = match v {
        Some(Value::String(s)) => s.clone(),
        None => "absent".to_owned(),
        Some(other) => other.to_string(),
    };
    if text.chars().count() > VALUE_SHOWN_MAX_CHARS {
        let cut: String = text.chars().take(VALUE_SHOWN_MAX_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Whether a value reads well inline (not an object or array).
fn is_scalar(v: Option<&Value>) -> bool {
    !matches!(v, Some(Value::Object(_) | Value::Array(_)))
}

/// The last error of a step in one line: its code and detail, never its whole body.
fn error_text(v: &Value) -> String {
    let code = v.get("code").and_then(Value::as_str);
    let detail = v
        .get("detail")
        .or_else(|| v.get("message"))
        .and_then(Value::as_str);
    match (code, detail) {
        (Some(c), Some(d)) => format!("{c}: {d}"),
        (Some(c), None) => c.to_owned(),
        (None, Some(d)) => d.to_owned(),
        (None, None) => short_json(Some(v)),
    }
}

fn text_at<'v>(v: &'v Value, pointer: &str) -> &'v str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn address(v: &Value) -> String {
    let parts: Vec<&str> = ["/line1", "/line2", "/town", "/postcode", "/country"]
        .iter()
        .map(|p| text_at(v, p))
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        "not given".to_owned()
    } else {
        parts.join(", ")
    }
}

fn name(v: &Value) -> String {
    let n = format!("{} {}", text_at(v, "/firstNames"), text_at(v, "/lastName"));
    let n = n.trim();
    if n.is_empty() {
        "not given".to_owned()
    } else {
        n.to_owned()
    }
}

impl Sections<'_> {
    fn step_rows(&self, steps: &[&StepRow], failed: bool) -> Markup {
        let admin = self.role == Role::Admin;
        html! {
            table.table {
                caption.table-caption { @if failed { "Failed steps: waiting for a person" } @else { "Steps not yet confirmed by OPG" } }
                thead { tr {
                    th scope="col" { "Step" } th scope="col" { "Status" } th scope="col" { "Attempts" }
                    th scope="col" { "Waiting" } th scope="col" { "Last error" }
                    @if failed && admin { th scope="col" { "Decision" } }
                } }
                tbody {
                    @for s in steps {
                        tr {
                            td { (step_words(s.step.as_str())) br; span.hint { code { (s.step) } } }
                            td { (words(&s.status.to_string())) @if s.ambiguous { " (will read back first)" } }
                            td { (s.attempts) }
                            td { (duration(TimeDelta::seconds(waited_seconds(s.created_at)))) }
                            td { @match &s.last_error { Some(e) => { (error_text(e)) } None => { "none" } } }
                            @if failed && admin {
                                td {
                                    div.button-group {
                                        @for (decision, label) in [("retry", "Retry"), ("skip", "Skip")] {
                                            form method="post" action={ "/console/lpas/" (s.uid) "/sync/" (s.id) "/" (decision) } {
                                                input type="hidden" name="csrf" value=(self.ctx.csrf);
                                                button.button.button-secondary.button-small type="submit" { (label) " step " (s.seq) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    pub(super) fn sync(&self) -> Markup {
        let open: Vec<&StepRow> = self.l.steps.iter().filter(|s| s.status.is_open()).collect();
        let failed: Vec<&StepRow> = self
            .l
            .steps
            .iter()
            .filter(|s| s.status == StepStatus::Failed)
            .collect();
        let done = self
            .l
            .steps
            .iter()
            .filter(|s| s.status == StepStatus::Done)
            .count();
        html! {
            section.section aria-labelledby="sync" {
                h2 id="sync" { "OPG sync" }
                p { "Status: " strong { (sync_words(&self.l.stored)) } ". "
                    (done) " of " (self.l.steps.len()) " steps confirmed." }
                @if self.l.stored.steps_enqueued == 0 {
                    p { "Nothing of this LPA is in the OPG database yet: it is sent once the donor has signed it." }
                } @else if open.is_empty() && failed.is_empty() { p { "Nothing is waiting to be sent to OPG." } }
                @if !open.is_empty() { (self.step_rows(&open, false)) }
                @if !failed.is_empty() { (self.step_rows(&failed, true)) }
                @if !self.l.timers.is_empty() {
                    table.table {
                        caption.table-caption { "Timers" }
                        thead { tr { th scope="col" { "Timer" } th scope="col" { "Fires" } th scope="col" { "Event" } } }
                        tbody { @for t in &self.l.timers { tr { td { (words(t.name.as_str())) } td { (time_el(&t.fire_at)) } td { (words(&t.event)) } } } }
                    }
                }
            }
        }
    }

    /// The people in the application (caseworkers only).
    pub(super) fn people(&self) -> Markup {
        let app = self
            .l
            .data
            .as_ref()
            .map_or(&Value::Null, |d| &*d.application);
        let attorneys = app
            .get("attorneys")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        html! {
            section.section aria-labelledby="people" {
                h2 id="people" { "People" }
                p.hint { "Personal data: shown to caseworkers only. Do not copy it elsewhere." }
                dl.summary-list {
                    div.summary-row { dt { "Donor" } dd { (name(&app["donor"])) } }
                    div.summary-row { dt { "Donor's date of birth" } dd { (text_at(app, "/donor/dateOfBirth")) } }
                    div.summary-row { dt { "Donor's address" } dd { (address(&app["donor"]["address"])) } }
                    div.summary-row { dt { "Certificate provider" } dd {
                        (name(&app["certificateProvider"])) " (" (text_at(app, "/certificateProvider/relationship")) ")" } }
                    div.summary-row { dt { "Certificate provider's address" } dd { (address(&app["certificateProvider"]["address"])) } }
                    @for (i, a) in attorneys.iter().enumerate() {
                        div.summary-row { dt { "Attorney " (i + 1) " (" (text_at(a, "/appointmentType")) ")" } dd {
                            (name(a)) ", born " (text_at(a, "/dateOfBirth")) ", " (address(&a["address"])) } }
                    }
                }
            }
        }
    }

    pub(super) fn history(&self) -> Markup {
        let show_values = self.role == Role::Caseworker;
        html! {
            section.section aria-labelledby="history" {
                h2 id="history" { "History" }
                @match &self.l.history {
                    None => { p { "Your role cannot read this LPA's history." } }
                    Some(entries) => {
                        ol.timeline reversed {
                            @for s in entries.iter().rev() {
                                @let e = &s.entry;
                                li.timeline-item {
                                    h3.timeline-title {
                                        (words(e.event.as_str())) ": "
                                        @match &e.from { Some(f) if f != &e.to => { (words(f.as_str())) " → " (words(e.to.as_str())) } Some(_) => { "stayed in " (words(e.to.as_str())) } None => { "new LPA, in " (words(e.to.as_str())) } }
                                    }
                                    p.timeline-meta { (time_el(&e.at)) ", by " (e.actor) " (" (e.role) "), entry " (e.seq) }
                                    @if !e.changes.is_empty() {
                                        ul.list.changes {
                                            @for c in &e.changes {
                                                li {
                                                    code { (c.pointer) }
                                                    @if show_values && is_scalar(c.old.as_ref()) && is_scalar(c.new.as_ref()) {
                                                        ": " (short_json(c.old.as_ref())) " → " (short_json(c.new.as_ref()))
                                                    } @else { ": changed" }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
