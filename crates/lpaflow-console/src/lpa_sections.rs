//! The sections of the LPA page that decide things: the summary, the workflow graph, findings with their
//! decisions, the fee ledger, identity, signatures, deadlines and objections, and every other event the role
//! may fire. Each event the role may fire now is a form; each it may not is listed greyed with the reason;
//! events only other roles fire are tucked away in one list. (History, OPG steps and people: `lpa_records.rs`.)

use super::forms::{Failure, FormCtx, field_id, fields_for};
use super::graph;
use super::layout::{step_words, sync_words, time_el, title_words, words};
use super::lpa::Loaded;
use super::session::Session;
use lpaflow_core::{EventName, StateName};
use lpaflow_http::auth::Role;
use lpaflow_lpa::explain::Refusal;
use maud::{Markup, html};

/// Where an event's form sits on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Group {
    Findings,
    Fee,
    Signing,
    Objections,
    Other,
}

fn group(event: &str) -> Group {
    match event {
        "accept_finding" | "resolve_finding" | "reject_finding" => Group::Findings,
        "provide_fee_evidence" | "decide_fee" | "record_payment" => Group::Fee,
        "confirm_donor_identity"
        | "confirm_certificate_provider_identity"
        | "sign_as_donor"
        | "sign_as_certificate_provider"
        | "sign_as_attorney"
        | "certificate_provider_opt_out"
        | "attorney_opt_out"
        | "enter_waiting_period" => Group::Signing,
        "raise_objection" | "dismiss_objection" | "uphold_objection" => Group::Objections,
        _ => Group::Other,
    }
}

/// The LPA page's sections for one session.
pub(super) struct Sections<'a> {
    pub(super) l: &'a Loaded,
    pub(super) ctx: FormCtx<'a>,
    pub(super) role: Role,
    pub(super) may: Vec<&'a str>,
    pub(super) refused: Vec<&'a Refusal>,
    /// The signed-in caller's subject.
    pub(super) me: String,
}

impl<'a> Sections<'a> {
    pub(super) fn new(session: &Session, l: &'a Loaded, failure: Option<&'a Failure>) -> Self {
        let role: &str = session.caller.role.into();
        let mine = l.explanation.roles.iter().find(|r| r.role == role);
        Self {
            l,
            ctx: FormCtx {
                uid: l.stored.instance.id.as_str(),
                csrf: session.csrf(),
                revision: l.stored.instance.revision,
                failure,
                data: l.data.as_ref(),
                show_names: session.caller.role == Role::Caseworker,
            },
            role: session.caller.role,
            may: mine
                .map(|r| r.may_fire.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            refused: mine.map(|r| r.refused.iter().collect()).unwrap_or_default(),
            me: session.caller.sub.clone(),
        }
    }

    pub(super) fn state(&self) -> &StateName {
        &self.l.stored.instance.state
    }

    fn description(&self, event: &str) -> Option<&str> {
        self.l
            .def
            .transition(&EventName::new(event), self.state())
            .and_then(|t| t.description.as_deref())
    }

    /// The terminal state `event` leads to, if it ends the LPA.
    fn ends_in(&self, event: &str) -> Option<&str> {
        let t = self
            .l
            .def
            .transition(&EventName::new(event), self.state())?;
        let to = t.target(self.state());
        self.l
            .def
            .state(to)
            .filter(|s| s.terminal)
            .map(|s| s.name.as_str())
    }

    /// One form per event of `g` the role may fire now, each folded under its name.
    pub(super) fn forms(&self, g: Group) -> Markup {
        html! {
            @for event in self.may.iter().filter(|e| group(e) == g) {
                @let failed = self.ctx.failure.is_some_and(|f| f.event == *event);
                details.action id={ "form-" (field_id(event, "form")) } open[failed] {
                    summary { span.summary-text { (title_words(event)) } }
                    div.details-body {
                        (self.ctx.event_form(event, self.description(event), &fields_for(&self.l.def, self.state(), event), &[], self.ends_in(event)))
                    }
                }
            }
        }
    }

    /// The events of `g` the role could fire but not now, greyed, each with the reason.
    pub(super) fn refusals(&self, g: Group) -> Markup {
        let list: Vec<&&Refusal> = self
            .refused
            .iter()
            .filter(|r| group(&r.event) == g && r.code != "forbidden")
            .collect();
        html! {
            @if !list.is_empty() {
                h3.heading-small { "Not possible now" }
                ul.refused-list {
                    @for r in list {
                        li.refused {
                            span.refused-event { (title_words(&r.event)) }
                            ": " (self.refusal_text(r))
                        }
                    }
                }
            }
        }
    }

    pub(super) fn summary(&self) -> Markup {
        let i = &self.l.stored.instance;
        let state_desc = self
            .l
            .def
            .state(&i.state)
            .and_then(|s| s.description.as_deref());
        html! {
            dl.summary-list {
                div.summary-row { dt { "State" } dd { strong { (words(i.state.as_str())) } @if let Some(d) = state_desc { br; span.hint { (d) } } } }
                @if let (Some(s), true) = (&self.l.explanation.status, self.l.stored.steps_enqueued > 0) {
                    div.summary-row { dt { "LPA Store status" } dd { (s.to_string()) } }
                }
                div.summary-row { dt { "OPG sync" } dd {
                    (sync_words(&self.l.stored))
                    @if let Some(a) = &i.awaiting { " (waiting for the OPG database to confirm: " (step_words(a.step.as_str())) ", since " (time_el(&a.since)) ")" }
                } }
                div.summary-row { dt { "Case owner" } dd { (self.owner()) } }
                div.summary-row { dt { "Received" } dd { (time_el(&i.created_at)) } }
                div.summary-row { dt { "Last change" } dd { (time_el(&i.updated_at)) ", revision " (i.revision) } }
                div.summary-row { dt { "Workflow" } dd { (i.workflow.name) " version " (i.workflow.version) } }
                @if let Some(p) = &self.l.explanation.data_problem {
                    div.summary-row { dt { "Data problem" } dd { strong { (p) } } }
                }
            }
        }
    }

    /// Who has the case: "You", a colleague's id, or nobody.
    fn owner(&self) -> Markup {
        let owner = self
            .l
            .stored
            .instance
            .data
            .pointer("/caseOwner/actor")
            .and_then(|v| v.as_str());
        html! {
            @match owner {
                Some(o) if o == self.me => strong { "You" },
                Some(o) => (o),
                None => "Nobody",
            }
        }
    }

    pub(super) fn workflow(&self) -> Markup {
        let state = self.state();
        html! {
            section.section aria-labelledby="workflow" {
                h2 id="workflow" { "Workflow" }
                div.graph-wrap role="region" aria-label="Workflow graph (scrolls sideways)" tabindex="0" {
                    (graph::svg(&self.l.def, state))
                }
                p.hint { "The current state has a thick border and the word “current”. Final states have a double border. Dashed lines are automatic; dark lines leave the current state." }
                details.action {
                summary { span.summary-text { "Every way out of " (words(state.as_str())) " (" (self.l.def.transitions_from(state).count()) ")" } }
                div.details-body {
                table.table {
                    thead { tr { th scope="col" { "Event" } th scope="col" { "Goes to" } th scope="col" { "Who" } th scope="col" { "Conditions" } } }
                    tbody {
                        @for t in self.l.def.transitions_from(state) {
                            tr {
                                td { (words(t.event.as_str())) }
                                td { @if t.to.is_none() { "stays in " } (words(t.target(state).as_str())) }
                                td { @if t.automatic { "automatic" } @else { (t.roles.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", ")) } }
                                td { @if t.guards.is_empty() { "none" } @else { (t.guards.iter().map(|g| words(g.as_str())).collect::<Vec<_>>().join(", ")) } }
                            }
                        }
                    }
                }
                }
                }
            }
        }
    }

    pub(super) fn findings(&self) -> Markup {
        let findings = self
            .l
            .data
            .as_ref()
            .map(|d| d.findings.as_slice())
            .unwrap_or_default();
        html! {
            section.section aria-labelledby="findings" {
                h2 id="findings" { "Findings" }
                @if findings.is_empty() {
                    p { "No findings." }
                } @else {
                    table.table {
                        thead { tr {
                            th scope="col" { "Finding" } th scope="col" { "Rule" } th scope="col" { "About" }
                            th scope="col" { "Severity" } th scope="col" { "Status" } th scope="col" { "Detail" } th scope="col" { "Decision" }
                        } }
                        tbody {
                            @for f in findings {
                                tr id={ "finding-" (f.id) } {
                                    td { (f.id) }
                                    td { (words(f.rule.into())) }
                                    td { (self.subject_words(&f.subject)) }
                                    td { span class={ "tag tag-" (f.severity) } { (f.severity) } }
                                    td { span class={ "tag tag-" (f.status) } { (f.status) } }
                                    td { (f.detail) br; span.hint { "Detected " (time_el(&f.detected_at)) } }
                                    td { @if let Some(d) = &f.decision { (d.status) " by " (d.by) ", " (time_el(&d.at)) ": " (d.reason) } @else { "none" } }
                                }
                            }
                        }
                    }
                }
                @for f in findings.iter().filter(|f| f.is_open()) { (self.finding_form(f)) }
                (self.refusals(Group::Findings))
            }
        }
    }

    /// One finding's decision: a reason and a button per decision the role may make.
    fn finding_form(&self, f: &lpaflow_lpa::findings::Finding) -> Markup {
        use lpaflow_lpa::findings::FindingStatus;
        let detected = f.status == FindingStatus::Detected;
        let can = |e: &str| self.may.contains(&e);
        let buttons = [
            (
                "accept_finding",
                "Accept",
                detected && can("accept_finding"),
            ),
            ("resolve_finding", "Resolve", can("resolve_finding")),
            (
                "reject_finding",
                "Reject: cannot register",
                can("reject_finding"),
            ),
        ];
        if !buttons.iter().any(|b| b.2) {
            return html! {};
        }
        let id = format!("finding-{}-reason", f.id);
        let failed = self.ctx.failure.filter(|x| {
            group(&x.event) == Group::Findings
                && x.values.iter().any(|(k, v)| k == "finding" && *v == f.id)
        });
        let value = failed
            .and_then(|x| x.values.iter().find(|(k, _)| k == "reason"))
            .map_or("", |(_, v)| v.as_str());
        let error = failed
            .and_then(|x| x.problem.errors.iter().find(|p| p.pointer == "/reason"))
            .map(|p| format!("Reason {}", p.detail));
        html! {
            form.event-form.finding-form method="post" action=(self.ctx.action()) data-finding=(f.id) novalidate {
                input type="hidden" name="csrf" value=(self.ctx.csrf);
                input type="hidden" name="revision" value=(self.ctx.revision);
                input type="hidden" name="finding" value=(f.id);
                h3.heading-small { "Decide finding " (f.id) ": " (words(f.rule.into())) }
                div class=(if error.is_some() { "form-group form-group-error" } else { "form-group" }) {
                    label.label for=(id) { "Reason for your decision on " (f.id) }
                    div.hint id={ (id) "-hint" } { "Required. It is recorded in the LPA's history." }
                    @if let Some(e) = &error { p.error-message id={ (id) "-error" } { span.visually-hidden { "Error: " } (e) } }
                    textarea.textarea id=(id) name="reason" rows="3"
                        aria-describedby=(if error.is_some() { format!("{id}-hint {id}-error") } else { format!("{id}-hint") }) { (value) }
                }
                div.button-group {
                    @for (event, label, shown) in buttons {
                        @if shown {
                            button.button.button-warning[event == "reject_finding"] type="submit" name="event" value=(event) { (label) }
                        }
                    }
                }
            }
        }
    }

    pub(super) fn actions(&self) -> Markup {
        let others: Vec<&&Refusal> = self
            .refused
            .iter()
            .filter(|r| r.code == "forbidden")
            .collect();
        html! {
            section.section aria-labelledby="actions" {
                h2 id="actions" { "Other actions" }
                @if !self.may.iter().any(|e| group(e) == Group::Other) { p { "Nothing else your role can do now." } }
                (self.forms(Group::Other))
                (self.refusals(Group::Other))
                @if !others.is_empty() {
                    details.action {
                        summary { span.summary-text { "Events only other roles can fire (" (others.len()) ")" } }
                        div.details-body { ul.refused-list { @for r in others { li.refused { span.refused-event { (title_words(&r.event)) } } } } }
                    }
                }
                @if self.role == Role::Auditor { p.hint { "Auditors read and verify; they change nothing." } }
            }
        }
    }
}

impl Sections<'_> {
    /// A refusal in plain words: where the event is possible, or each unmet condition.
    fn refusal_text(&self, r: &Refusal) -> String {
        use super::layout::sentence;
        match r.code.as_str() {
            "not_allowed_in_state" => {
                let states: Vec<String> = self
                    .l
                    .def
                    .transitions_for(&EventName::new(&r.event))
                    .flat_map(|t| t.from.iter().map(|s| words(s.as_str())))
                    .collect();
                format!("Only possible in: {}.", states.join(", "))
            }
            "terminal_state" => "The LPA has ended.".to_owned(),
            "awaiting_sync" => "Waiting for OPG to confirm a step first.".to_owned(),
            _ if r.unmet.is_empty() => sentence(&r.detail),
            _ => r
                .unmet
                .iter()
                .map(|u| sentence(&u.detail))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

impl Sections<'_> {
    /// Who a finding or signature is about, in words: `certificateProvider` -> `certificate provider`,
    /// `attorney:<uid>` -> `attorney Sam Smith` for a role that sees personal data, `attorney 6f1c…` (the uid
    /// shortened) for one that does not.
    pub(super) fn subject_words(&self, subject: &str) -> String {
        if let Some(uid) = subject.strip_prefix("attorney:") {
            match self.attorney_name(uid) {
                Some(name) => return format!("attorney {name}"),
                None => return subject_words(subject),
            }
        }
        subject_words(subject)
    }

    /// The name of attorney or trust corporation `uid` in the application, when the role may see it.
    fn attorney_name(&self, uid: &str) -> Option<String> {
        if !self.role.sees_personal_data() {
            return None;
        }
        let application = &self.l.data.as_ref()?.application;
        let person = ["attorneys", "trustCorporations"]
            .iter()
            .filter_map(|list| application[list].as_array())
            .flatten()
            .find(|a| a["uid"] == uid)?;
        let name = match person["name"].as_str() {
            Some(company) => company.to_owned(),
            None => format!(
                "{} {}",
                person["firstNames"].as_str().unwrap_or_default(),
                person["lastName"].as_str().unwrap_or_default()
            ),
        };
        let name = name.trim();
        (!name.is_empty()).then(|| name.to_owned())
    }
}

/// Who a finding or signature is about, in words, without names: `certificateProvider` -> `certificate
/// provider`, `attorney:<uid>` -> `attorney 6f1c…` (the uid shortened).
pub(super) fn subject_words(subject: &str) -> String {
    if let Some(uid) = subject.strip_prefix("attorney:") {
        let short: String = uid.chars().take(8).collect();
        return format!("attorney {short}…");
    }
    let mut out = String::new();
    for c in subject.chars() {
        if c.is_ascii_uppercase() {
            out.push(' ');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
