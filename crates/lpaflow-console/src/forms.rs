//! Event forms, built from each action's payload fields (`lpaflow_lpa::payload_fields`) rather than written by
//! hand, and read back into the JSON payload the engine receives. Every control has a label, optional ones say
//! so, hints and errors are tied to their control with `aria-describedby`, and after a refusal the form comes
//! back filled in with each problem next to its field. The actions validate the payload again: a form only
//! helps a person send what the action accepts.

use super::layout::{title_words, words};
use super::session::CSRF_FIELD;
use lpaflow_core::{EventName, StateName, WorkflowDef};
use lpaflow_http::problem::{FieldProblem, Problem};
use lpaflow_lpa::actions::Action;
use lpaflow_lpa::{Field, FieldKind, LpaData, attorneys_to_sign, payload_fields};
use maud::{Markup, html};
use serde_json::Value;

/// The form field that holds application JSON (a [`FieldKind::Application`] field has no name of its own).
pub(super) const APPLICATION_FIELD: &str = "application_json";

/// A form the engine (or the form reader) refused, to show again with its problems.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The event the form fired.
    pub(crate) event: String,
    /// What was entered.
    pub(crate) values: Vec<(String, String)>,
    /// Why it was refused.
    pub(crate) problem: Problem,
}

/// What every form on one LPA page shares.
pub(super) struct FormCtx<'a> {
    pub(super) uid: &'a str,
    pub(super) csrf: String,
    pub(super) revision: u64,
    pub(super) failure: Option<&'a Failure>,
    pub(super) data: Option<&'a LpaData>,
    /// Whether names may be shown (caseworkers only).
    pub(super) show_names: bool,
}

/// The fields `event` reads when fired in `state`.
pub(super) fn fields_for(def: &WorkflowDef, state: &StateName, event: &str) -> Vec<Field> {
    def.transition(&EventName::new(event), state)
        .and_then(|t| t.action.as_ref())
        .and_then(|a| a.as_str().parse::<Action>().ok())
        .map(|a| payload_fields(a, event))
        .unwrap_or_default()
}

/// The HTML id of a field of an event's form.
pub(super) fn field_id(event: &str, name: &str) -> String {
    let name = if name.is_empty() { "application" } else { name };
    format!("{}-{name}", event.replace([':', '.'], "-"))
}

fn input_name(f: &Field) -> &'static str {
    if f.kind == FieldKind::Application {
        APPLICATION_FIELD
    } else {
        f.name
    }
}

impl FormCtx<'_> {
    fn failed(&self, event: &str) -> Option<&Failure> {
        self.failure.filter(|f| f.event == event)
    }

    fn value(&self, event: &str, name: &str) -> Option<&str> {
        self.failed(event).and_then(|f| {
            f.values
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        })
    }

    fn error(&self, event: &str, f: &Field) -> Option<String> {
        let failure = self.failed(event)?;
        let own = |p: &FieldProblem| {
            f.kind == FieldKind::Application
                || p.pointer == format!("/{}", f.name)
                || p.pointer.starts_with(&format!("/{}/", f.name))
        };
        let details: Vec<String> = failure
            .problem
            .errors
            .iter()
            .filter(|p| !p.pointer.is_empty() && own(p))
            .map(|p| {
                if f.kind == FieldKind::Application {
                    format!("{} {}", p.pointer, p.detail)
                } else {
                    format!("{} {}", f.label, p.detail)
                }
            })
            .collect();
        (!details.is_empty()).then(|| details.join("; "))
    }

    /// Hidden fields every event form carries.
    pub(super) fn hidden(&self, event: &str) -> Markup {
        html! {
            input type="hidden" name=(CSRF_FIELD) value=(self.csrf);
            input type="hidden" name="revision" value=(self.revision);
            input type="hidden" name="event" value=(event);
        }
    }

    pub(super) fn action(&self) -> String {
        format!("/console/lpas/{}/events", self.uid)
    }

    /// A whole form for `event`: its description, one control per field not in `fixed` (sent as hidden
    /// fields), a warning when it ends the LPA, and a submit button named after the event.
    pub(super) fn event_form(
        &self,
        event: &str,
        description: Option<&str>,
        fields: &[Field],
        fixed: &[(&str, &str)],
        ends_in: Option<&str>,
    ) -> Markup {
        html! {
            form.event-form method="post" action=(self.action()) data-event=(event) novalidate {
                (self.hidden(event))
                @for (name, value) in fixed { input type="hidden" name=(name) value=(value); }
                @if let Some(d) = description { p.hint { (d) "." } }
                @for f in fields.iter().filter(|f| !fixed.iter().any(|(n, _)| *n == f.name)) {
                    (self.control(event, f))
                }
                @if let Some(state) = ends_in {
                    p.warning-text {
                        span.warning-icon aria-hidden="true" { "!" }
                        strong { span.visually-hidden { "Warning: " } "This ends the LPA: it moves to " (words(state)) " and cannot come back." }
                    }
                }
                button.button.button-warning[ends_in.is_some()] type="submit" { (title_words(event)) }
            }
        }
    }

    /// One labelled control.
    pub(super) fn control(&self, event: &str, f: &Field) -> Markup {
        let id = field_id(event, f.name);
        let hint_id = format!("{id}-hint");
        let error_id = format!("{id}-error");
        let error = self.error(event, f);
        let local = format!("Local time, {}.", super::layout::zone());
        let pounds = "In pounds and pence, such as £92.00.";
        let hint = match f.kind {
            FieldKind::PastTime if f.hint.is_empty() => local,
            FieldKind::PastTime => format!("{} {local}", f.hint),
            FieldKind::Pence { .. } => format!("{pounds} {}", f.hint).trim_end().to_owned(),
            _ => f.hint.to_owned(),
        };
        let described: Vec<&str> = [
            (!hint.is_empty()).then_some(hint_id.as_str()),
            error.as_ref().map(|_| error_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let described = (!described.is_empty()).then(|| described.join(" "));
        let value = self.value(event, input_name(f)).unwrap_or("");
        let group = if error.is_some() {
            "form-group form-group-error"
        } else {
            "form-group"
        };
        html! {
            div class=(group) {
                @if f.kind == FieldKind::Bool {
                    @if let Some(e) = &error { p.error-message id=(error_id) { span.visually-hidden { "Error: " } (e) } }
                    div.checkbox {
                        input.checkbox-input type="checkbox" id=(id) name=(f.name) value="true"
                            checked[value == "true"] aria-describedby=[described.as_deref()];
                        label.checkbox-label for=(id) { (f.label) }
                    }
                } @else {
                    label.label for=(id) { (f.label) @if !f.required { " (optional)" } }
                    @if !hint.is_empty() { div.hint id=(hint_id) { (hint) } }
                    @if let Some(e) = &error { p.error-message id=(error_id) { span.visually-hidden { "Error: " } (e) } }
                    (self.input(f, &id, value, described.as_deref()))
                }
            }
        }
    }

    fn input(&self, f: &Field, id: &str, value: &str, described: Option<&str>) -> Markup {
        let name = input_name(f);
        match f.kind {
            FieldKind::Text { max_chars } => html! {
                input.input type="text" id=(id) name=(name) value=(value) maxlength=(max_chars) aria-describedby=[described];
            },
            FieldKind::LongText { max_chars } => html! {
                textarea.textarea id=(id) name=(name) rows="3" maxlength=(max_chars) aria-describedby=[described] { (value) }
            },
            FieldKind::Application => html! {
                textarea.textarea.code id=(id) name=(name) rows="8" spellcheck="false" aria-describedby=[described] { (value) }
            },
            FieldKind::Signatories => html! {
                textarea.textarea.code id=(id) name=(name) rows="4" spellcheck="false" aria-describedby=[described] { (value) }
            },
            FieldKind::PastTime => html! {
                input.input.input-time type="datetime-local" step="1" id=(id) name=(name) value=(value) aria-describedby=[described];
            },
            FieldKind::Pence { .. } => html! {
                input.input.input-short type="text" inputmode="decimal" id=(id) name=(name) value=(value) aria-describedby=[described];
            },
            FieldKind::Bool => html! {},
            FieldKind::Choice { options } => {
                let opts: Vec<(String, String)> = options
                    .iter()
                    .map(|o| ((*o).to_owned(), (*o).to_owned()))
                    .collect();
                select(id, name, value, described, &opts)
            }
            FieldKind::FindingId => select(id, name, value, described, &self.finding_options()),
            FieldKind::ObjectionId => select(id, name, value, described, &self.objection_options()),
            FieldKind::AttorneyUid => select(id, name, value, described, &self.attorney_options()),
            FieldKind::TrustCorporationUid => select(
                id,
                name,
                value,
                described,
                &self.trust_corporation_options(),
            ),
        }
    }

    fn finding_options(&self) -> Vec<(String, String)> {
        self.data
            .map(|d| {
                d.findings
                    .iter()
                    .filter(|f| f.is_open())
                    .map(|f| {
                        let text = format!(
                            "{}: {} ({}, {})",
                            f.id,
                            words(f.rule.into()),
                            f.severity,
                            f.status
                        );
                        (f.id.clone(), text)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn objection_options(&self) -> Vec<(String, String)> {
        self.data
            .map(|d| {
                lpaflow_lpa::objections::open_objections(d)
                    .map(|o| {
                        (
                            o.id.clone(),
                            format!(
                                "{}, received {}",
                                o.id,
                                super::layout::zone()
                                    .date_of(o.received_at)
                                    .format("%-d %b %Y")
                            ),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn attorney_options(&self) -> Vec<(String, String)> {
        let Some(d) = self.data else {
            return Vec::new();
        };
        let listed = d.application.get("attorneys").and_then(Value::as_array);
        attorneys_to_sign(d)
            .into_iter()
            .map(|uid| {
                let position = listed
                    .and_then(|l| l.iter().position(|a| a["uid"] == uid.as_str()))
                    .map(|i| i + 1);
                let name = listed
                    .and_then(|l| l.iter().find(|a| a["uid"] == uid.as_str()))
                    .filter(|_| self.show_names)
                    .map(|a| {
                        format!(
                            "{} {}",
                            a["firstNames"].as_str().unwrap_or(""),
                            a["lastName"].as_str().unwrap_or("")
                        )
                    });
                let text = match (position, name) {
                    (Some(p), Some(n)) => format!("Attorney {p}: {n}"),
                    (Some(p), None) => format!("Attorney {p}"),
                    _ => format!("Attorney {uid}"),
                };
                (uid, text)
            })
            .collect()
    }
}

impl FormCtx<'_> {
    fn trust_corporation_options(&self) -> Vec<(String, String)> {
        let Some(d) = self.data else {
            return Vec::new();
        };
        let listed = d
            .application
            .get("trustCorporations")
            .and_then(Value::as_array);
        lpaflow_lpa::trust_corporations::trust_corporations_to_sign(d)
            .into_iter()
            .map(|uid| {
                let name = listed
                    .and_then(|l| l.iter().find(|t| t["uid"] == uid.as_str()))
                    .and_then(|t| t["name"].as_str())
                    .map(str::to_owned);
                (uid.clone(), name.unwrap_or(uid))
            })
            .collect()
    }
}

fn select(
    id: &str,
    name: &str,
    value: &str,
    described: Option<&str>,
    options: &[(String, String)],
) -> Markup {
    html! {
        select.select id=(id) name=(name) aria-describedby=[described] {
            option value="" selected[value.is_empty()] { "Choose" }
            @for (v, text) in options {
                option value=(v) selected[value == v] { (text) }
            }
        }
    }
}
