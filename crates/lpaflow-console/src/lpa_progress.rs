//! The sections of the LPA page about where the LPA stands: the fee ledger (claim, assessment, decision,
//! amounts, evidence, payments) and identity checks, signatures, deadlines, the waiting period and objections,
//! each with the forms for the events the role may fire there.

use super::layout::{fee_type_words, pounds, time_el, words};
use super::lpa_sections::{Group, Sections, subject_words};
use maud::{Markup, html};

impl Sections<'_> {
    pub(super) fn fee(&self) -> Markup {
        let Some(fee) = self.l.data.as_ref().map(|d| &d.fee) else {
            return html! { section.section aria-labelledby="fee" { h2 id="fee" { "Fee" } p { "The fee cannot be read." } } };
        };
        let a = &fee.amounts;
        let ty =
            |t: Option<lpaflow_lpa::application::FeeType>| t.map_or("not given", fee_type_words);
        html! {
            section.section aria-labelledby="fee" {
                h2 id="fee" { "Fee" }
                dl.summary-list {
                    div.summary-row { dt { "Fee date" } dd {
                        (fee.fee_date.format("%-d %b %Y").to_string())
                        @if fee.received_on.is_some() { " (received by the OPG)" } @else { " (keyed in; no receipt date recorded)" }
                    } }
                    div.summary-row { dt { "Claimed" } dd { (ty(fee.claimed_type)) } }
                    div.summary-row { dt { "Assessed from the data" } dd { (ty(fee.assessed_type)) } }
                    div.summary-row { dt { "Decision" } dd {
                        @if let Some(d) = &fee.decision {
                            (<&str>::from(d.outcome)) ": " (fee_type_words(d.approved_type)) " by " (d.decided_by) ", " (time_el(&d.decided_at))
                            @if let Some(r) = &d.reason { " (" (r) ")" }
                        } @else if a.reduction_pending { strong { "Needed: a reduction was claimed and is not decided" } } @else { "none needed" }
                    } }
                    div.summary-row { dt { "Full cost" } dd { (pounds(a.full_cost_pence)) } }
                    div.summary-row { dt { "Reduction" } dd { (pounds(a.reduction_pence)) @if a.reduction_pending { " (pending)" } } }
                    div.summary-row { dt { "Paid" } dd { (pounds(a.paid_pence)) } }
                    div.summary-row { dt { "Still to pay" } dd { (pounds(a.due_pence)) } }
                    div.summary-row { dt { "Refund due" } dd { (pounds(a.refund_due_pence)) } }
                }
                @if !fee.evidence.is_empty() {
                    h3.heading-small { "Evidence" }
                    ul.list { @for e in &fee.evidence { li {
                        (<&str>::from(e.kind)) ", reference " (e.reference) ", " (time_el(&e.provided_at))
                        @if let Some(r) = &e.received_at { ", received " (time_el(r)) }
                    } } }
                }
                @if !fee.payments.is_empty() {
                    table.table {
                        caption.table-caption { "Payments" }
                        thead { tr { th scope="col" { "Amount" } th scope="col" { "Paid" } th scope="col" { "Received" } th scope="col" { "Reference" } th scope="col" { "Recorded by" } } }
                        tbody { @for p in &fee.payments { tr {
                            td { (pounds(p.amount_pence)) } td { (time_el(&p.paid_at)) }
                            td { @if let Some(r) = &p.received_at { (time_el(r)) } @else { "not given" } }
                            td { (p.reference.as_deref().unwrap_or("none")) } td { (p.recorded_by) }
                        } } }
                    }
                }
                @if let Some(dates) = &self.l.explanation.dates {
                    p.hint {
                        "Dates are local dates (" (dates.time_zone) "). Ages are taken on "
                        (dates.reference_date.date.format("%-d %b %Y").to_string())
                        @if dates.reference_date.source == lpaflow_lpa::rule_dates::DateSource::DonorSignature { " (the donor's signature)" } @else { " (today: the donor has not signed)" }
                        @if let Some(r) = &dates.repeat_window {
                            "; the repeat-application window runs " (r.previous_application_on.format("%-d %b %Y").to_string())
                            " to " (r.last_day.format("%-d %b %Y").to_string())
                            @if r.inside { " and includes the fee date" } @else { " and does not include the fee date" }
                        }
                        "."
                    }
                }
                (self.forms(Group::Fee))
                (self.refusals(Group::Fee))
            }
        }
    }

    pub(super) fn signing(&self) -> Markup {
        let e = &self.l.explanation;
        let d = self.l.data.as_ref();
        let signed = |s: Option<&lpaflow_lpa::data::Signature>| s.map(|s| time_el(&s.signed_at));
        html! {
            section.section aria-labelledby="signing" {
                h2 id="signing" { "Identity, signatures and deadlines" }
                dl.summary-list {
                    div.summary-row { dt { "Donor's identity" } dd { @match d.and_then(|d| d.identity.donor.as_ref()) {
                        Some(c) => { (<&str>::from(c.method)) ", checked " (time_el(&c.checked_at)) }
                        None => { "not checked" } } } }
                    div.summary-row { dt { "Certificate provider's identity" } dd { @match d.and_then(|d| d.identity.certificate_provider.as_ref()) {
                        Some(c) => { (<&str>::from(c.method)) ", checked " (time_el(&c.checked_at)) }
                        None => { "not checked" } } } }
                    div.summary-row { dt { "Donor signed" } dd { @match signed(d.and_then(|d| d.signatures.donor.as_ref())) { Some(t) => { (t) } None => { "not yet" } } } }
                    div.summary-row { dt { "Certificate provider signed" } dd { @match signed(d.and_then(|d| d.signatures.certificate_provider.as_ref())) { Some(t) => { (t) } None => { "not yet" } } } }
                    @if let Some(d) = d {
                        @for (i, (uid, rec)) in d.attorneys.iter().enumerate() {
                            div.summary-row { dt { "Attorney " (i + 1) " (" (rec.status.to_string()) ")" } dd {
                                @match d.signatures.attorneys.get(uid) { Some(s) => { "signed " (time_el(&s.signed_at)) } None => { "not signed" } }
                            } }
                        }
                    }
                    div.summary-row { dt { "Signatures still needed" } dd {
                        @if e.missing_signatures.is_empty() { "none" } @else {
                            (e.missing_signatures.iter().map(|m| match &m.uid {
                                Some(uid) => self.subject_words(&format!("attorney:{uid}")),
                                None => subject_words(m.role),
                            }).collect::<Vec<_>>().join(", "))
                        }
                    } }
                    @if let Some(w) = &e.waiting_period {
                        div.summary-row { dt { "Waiting period" } dd { "from " (time_el(&w.started_at)) " to " (time_el(&w.ends_at))
                            @if w.elapsed_at.is_some() { " (over)" } } }
                    }
                }
                @if !e.deadlines.is_empty() {
                    table.table {
                        caption.table-caption { "Deadlines" }
                        thead { tr { th scope="col" { "Deadline" } th scope="col" { "For" } th scope="col" { "Last day" } th scope="col" { "Status" } } }
                        tbody { @for dl in &e.deadlines { tr {
                            td { (words(&dl.deadline.name.to_string())) } td { (words(&dl.deadline.subject)) }
                            td { (dl.deadline.last_day.format("%-d %b %Y").to_string()) } td { (<&str>::from(dl.status)) }
                        } } }
                    }
                }
                (self.forms(Group::Signing))
                (self.refusals(Group::Signing))
                h3.heading-small id="objections" { "Objections" }
                @let objections = d.map(|d| d.objections.as_slice()).unwrap_or_default();
                @if objections.is_empty() { p { "No objections." } } @else {
                    ul.list { @for o in objections { li { (o.id) ", " (o.status.to_string()) ", received " (time_el(&o.received_at)) ": " (o.detail) } } }
                }
                (self.forms(Group::Objections))
                (self.refusals(Group::Objections))
            }
        }
    }
}
