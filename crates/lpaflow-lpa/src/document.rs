//! The LPA as the LPA Store holds it, built from lpaflow's data with the store's own types
//! ([`crate::lpa_store`]), so it can carry nothing the store does not model (no fee, no relationship, no
//! certificate provider's date of birth).
//!
//! Two views:
//! - [`create_body`]: what `PUT /lpas/{uid}` sends when the donor signs: the application, the donor's
//!   signature and its witnessing, identity checks and the not-related confirmation made so far, every actor
//!   with a `uid` and a `channel`, and only the decision fields the store accepts for the attorneys as they
//!   stand then (`lambda/create/validate.go`).
//! - [`expected`]: what the store should hold once every step lpaflow enqueued has been applied: the create
//!   with the store's defaults filled ([`crate::lpa_store::set_defaults`]), then everything recorded since
//!   (signatures, identity checks, statuses). Every update step is the difference between two such views
//!   (before and after its transition), restricted to the keys its update type may carry; reconcile compares
//!   the view with what OPG answers.
//!
//! Some details reach the store only when someone signs, because the store's update rules want them then:
//! a trust corporation's mobile, company number, contact language and signatories
//! (`lambda/update/trust_corporation_sign.go` compares them with empty values), and contact details given at
//! signing. Until then they are not in either view.

use crate::application::{Address, Application, Contact, Person};
use crate::data::{AttorneyStatus, IdentityCheck, LpaData, Signature};
use crate::lpa_store::{
    self as wire, AttorneyStatus as WireStatus, Change, Date, HowMakeDecisions, HowStepIn,
    LpaFields, LpaInit,
};
use chrono::{DateTime, FixedOffset, Utc};
use lpaflow_core::BusinessZone;
use lpaflow_core::json::escape_pointer_segment;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

fn instant(t: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    Some(t.fixed_offset())
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn address(a: &Option<Address>) -> wire::Address {
    a.as_ref()
        .map_or_else(wire::Address::default, |a| wire::Address {
            line1: a.line1.clone(),
            line2: text(&a.line2),
            line3: text(&a.line3),
            town: a.town.clone(),
            postcode: text(&a.postcode),
            country: a.country.clone(),
        })
}

fn date(person: &Person) -> Date {
    person.date_of_birth.map(Date::new).unwrap_or_default()
}

fn identity(check: &Option<IdentityCheck>) -> Option<wire::IdentityCheck> {
    check.as_ref().map(|c| wire::IdentityCheck {
        checked_at: instant(c.checked_at),
        kind: c.method.wire(),
    })
}

/// The language given when signing, else the application's.
fn language(signature: Option<&Signature>, contact: &Contact) -> wire::Lang {
    signature
        .and_then(|s| s.contact_language_preference.clone())
        .or_else(|| contact.language.clone())
        .unwrap_or_default()
}

/// The statuses that decide the create: as they were when it was sent, or as they are before it is.
fn create_statuses(data: &LpaData) -> BTreeMap<String, AttorneyStatus> {
    match &data.opg_create {
        Some(create) => create.statuses.clone(),
        None => data
            .attorneys
            .iter()
            .chain(&data.trust_corporations)
            .map(|(uid, r)| (uid.clone(), r.status))
            .collect(),
    }
}

fn status_of(statuses: &BTreeMap<String, AttorneyStatus>, uid: &str) -> WireStatus {
    statuses.get(uid).map_or(WireStatus::Active, |s| s.wire())
}

fn attorneys(
    app: &Application,
    data: &LpaData,
    statuses: &BTreeMap<String, AttorneyStatus>,
) -> Vec<wire::Attorney> {
    app.attorneys
        .iter()
        .map(|a| {
            let signature = data.signatures.attorneys.get(&a.uid);
            wire::Attorney {
                uid: a.uid.clone(),
                first_names: a.person.first_names.clone(),
                last_name: a.person.last_name.clone(),
                address: address(&a.person.address),
                date_of_birth: date(&a.person),
                email: text(&a.contact.email),
                status: status_of(statuses, &a.uid),
                appointment_type: a.appointment_type.clone().unwrap_or_default(),
                mobile: signature
                    .and_then(|s| s.mobile.clone())
                    .or_else(|| a.contact.phone.clone())
                    .unwrap_or_default(),
                signed_at: signature.and_then(|s| instant(s.signed_at)),
                contact_language_preference: language(signature, &a.contact),
                channel: a.contact.channel.clone().unwrap_or_default(),
                cannot_make_joint_decisions: false,
            }
        })
        .collect()
}

fn trust_corporations(
    app: &Application,
    data: &LpaData,
    statuses: &BTreeMap<String, AttorneyStatus>,
) -> Vec<wire::TrustCorporation> {
    app.trust_corporations
        .iter()
        .map(|t| {
            let signed = data.signatures.trust_corporations.get(&t.uid);
            wire::TrustCorporation {
                uid: t.uid.clone(),
                name: t.name.clone(),
                company_number: signed.map(|s| s.company_number.clone()).unwrap_or_default(),
                email: text(&t.contact.email),
                appointment_type: t.appointment_type.clone().unwrap_or_default(),
                address: address(&t.address),
                status: status_of(statuses, &t.uid),
                mobile: signed.map(|s| s.mobile.clone()).unwrap_or_default(),
                signatories: signed.map_or_else(Vec::new, |s| {
                    s.signatories
                        .iter()
                        .map(|x| wire::Signatory {
                            first_names: x.first_names.clone(),
                            last_name: x.last_name.clone(),
                            professional_title: x.professional_title.clone(),
                            signed_at: instant(x.signed_at),
                        })
                        .collect()
                }),
                contact_language_preference: signed
                    .map(|s| s.contact_language_preference.clone())
                    .unwrap_or_default(),
                channel: t.contact.channel.clone().unwrap_or_default(),
            }
        })
        .collect()
}

fn donor(app: &Application, data: &LpaData) -> wire::Donor {
    let d = &app.donor;
    wire::Donor {
        uid: d.uid.clone(),
        first_names: d.person.first_names.clone(),
        last_name: d.person.last_name.clone(),
        address: address(&d.person.address),
        date_of_birth: date(&d.person),
        email: text(&d.email),
        other_names_known_by: text(&d.other_names_known_by),
        contact_language_preference: d.contact_language.clone().unwrap_or_default(),
        identity_check: identity(&data.identity.donor),
    }
}

fn certificate_provider(app: &Application, data: &LpaData) -> wire::CertificateProvider {
    let c = &app.certificate_provider;
    let signature = data.signatures.certificate_provider.as_ref();
    wire::CertificateProvider {
        uid: c.uid.clone(),
        first_names: c.person.first_names.clone(),
        last_name: c.person.last_name.clone(),
        address: address(&c.person.address),
        email: text(&c.contact.email),
        phone: text(&c.contact.phone),
        channel: c.contact.channel.clone().unwrap_or_default(),
        signed_at: signature.and_then(|s| instant(s.signed_at)),
        contact_language_preference: language(signature, &c.contact),
        identity_check: identity(&data.identity.certificate_provider),
    }
}

fn people_to_notify(app: &Application) -> Vec<wire::PersonToNotify> {
    app.people_to_notify
        .iter()
        .map(|n| wire::PersonToNotify {
            uid: n.uid.clone(),
            first_names: n.person.first_names.clone(),
            last_name: n.person.last_name.clone(),
            address: address(&n.person.address),
        })
        .collect()
}

/// The decision fields, kept only where the store accepts them for the attorneys as they stand (a field the
/// store requires to be empty is left out, the others are sent as the donor chose them).
fn decisions(app: &Application, fields: &mut LpaFields) {
    let (active, replacements) =
        wire::count_attorneys(&fields.attorneys, &fields.trust_corporations);
    let how = app.how_attorneys_make_decisions.clone();
    if active > 1 {
        fields.how_attorneys_make_decisions = how.clone().unwrap_or_default();
    }
    if fields.how_attorneys_make_decisions == HowMakeDecisions::JointlyForSomeSeverallyForOthers {
        fields.how_attorneys_make_decisions_details =
            text(&app.how_attorneys_make_decisions_details);
    }
    fields.how_replacement_attorneys_step_in = app
        .how_replacement_attorneys_step_in
        .clone()
        .unwrap_or_default();
    if fields.how_replacement_attorneys_step_in == HowStepIn::AnotherWay {
        fields.how_replacement_attorneys_step_in_details =
            text(&app.how_replacement_attorneys_step_in_details);
    }
    let all_step_in = fields.how_replacement_attorneys_step_in == HowStepIn::AllCanNoLongerAct;
    let chosen = &fields.how_attorneys_make_decisions;
    let replacements_decide = replacements > 1
        && (active == 1
            || *chosen == HowMakeDecisions::Jointly
            || (*chosen == HowMakeDecisions::JointlyAndSeverally && all_step_in));
    if replacements_decide {
        fields.how_replacement_attorneys_make_decisions = app
            .how_replacement_attorneys_make_decisions
            .clone()
            .unwrap_or_default();
    }
    if fields.how_replacement_attorneys_make_decisions
        == HowMakeDecisions::JointlyForSomeSeverallyForOthers
    {
        fields.how_replacement_attorneys_make_decisions_details =
            text(&app.how_replacement_attorneys_make_decisions_details);
    }
}

/// Everything but what is recorded after the create, with the attorneys as the create has them.
fn fields(data: &LpaData, now: DateTime<Utc>, zone: BusinessZone) -> LpaFields {
    let (app, _) = data.application(now, zone);
    let statuses = create_statuses(data);
    let donor_signature = data.signatures.donor.as_ref();
    let mut fields = LpaFields {
        lpa_type: app.lpa_type.clone().unwrap_or_default(),
        channel: app.channel.clone().unwrap_or_default(),
        language: app.language.clone().unwrap_or_default(),
        donor: donor(&app, data),
        attorneys: attorneys(&app, data, &statuses),
        trust_corporations: trust_corporations(&app, data, &statuses),
        certificate_provider: certificate_provider(&app, data),
        people_to_notify: people_to_notify(&app),
        when_the_lpa_can_be_used: app.when_the_lpa_can_be_used.clone().unwrap_or_default(),
        life_sustaining_treatment_option: app
            .life_sustaining_treatment_option
            .clone()
            .unwrap_or_default(),
        restrictions_and_conditions: text(&app.restrictions_and_conditions),
        signed_at: donor_signature.and_then(|s| instant(s.signed_at)),
        witnessed_by_certificate_provider_at: donor_signature
            .and_then(|s| s.witnessed_by_certificate_provider_at)
            .and_then(instant),
        // The donor's confirmation holds for the last names it was given for (it lapses for good when one
        // changes).
        certificate_provider_not_related_confirmed_at: data
            .not_related
            .as_ref()
            .filter(|c| c.holds(&app))
            .and_then(|c| instant(c.confirmed_at)),
        ..LpaFields::default()
    };
    decisions(&app, &mut fields);
    fields
}

/// The body of `PUT /lpas/{uid}` for `data` (sent when the donor signs), with the application read at `now`
/// in `zone`.
pub fn create_body(data: &LpaData, now: DateTime<Utc>, zone: BusinessZone) -> LpaInit {
    LpaInit {
        fields: fields(data, now, zone),
        ..LpaInit::default()
    }
}

/// What the LPA Store should hold once every step lpaflow enqueued for `data` is applied (without the
/// status, which follows the workflow state, and the store's own `uid`, `updatedAt` and notes).
pub fn expected(data: &LpaData, now: DateTime<Utc>, zone: BusinessZone) -> LpaFields {
    let mut fields = wire::set_defaults(fields(data, now, zone));
    for a in &mut fields.attorneys {
        if let Some(s) = data.attorney_status(&a.uid) {
            a.status = s.wire();
        }
    }
    for t in &mut fields.trust_corporations {
        if let Some(s) = data.trust_corporation_status(&t.uid) {
            t.status = s.wire();
        }
    }
    fields
}

/// `fields` as the store writes it (Go's `omitempty`).
pub fn to_json(fields: &LpaFields) -> Value {
    serde_json::to_value(fields).unwrap_or(Value::Null)
}

/// The changes from `old` to `new`, key by key. Objects are compared key by key (an object that appears
/// or disappears inside another is listed leaf by leaf); an array element that appears or disappears is
/// one change; other values are compared whole.
pub fn changes(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk(String::new(), Some(old), Some(new), true, &mut out);
    out
}

fn walk(
    ptr: String,
    old: Option<&Value>,
    new: Option<&Value>,
    descend: bool,
    out: &mut Vec<Change>,
) {
    let old = old.filter(|v| !v.is_null());
    let new = new.filter(|v| !v.is_null());
    if old == new {
        return;
    }
    match (old, new) {
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                let both = i < a.len() && i < b.len();
                walk(format!("{ptr}/{i}"), a.get(i), b.get(i), both, out);
            }
        }
        (Some(Value::Object(_)) | None, Some(Value::Object(_)) | None) if descend => {
            let empty = Map::new();
            let a = old.and_then(Value::as_object).unwrap_or(&empty);
            let b = new.and_then(Value::as_object).unwrap_or(&empty);
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(
                    format!("{ptr}/{}", escape_pointer_segment(k)),
                    a.get(k),
                    b.get(k),
                    true,
                    out,
                );
            }
        }
        (old, new) => out.push(Change {
            key: ptr,
            old: old.cloned().unwrap_or(Value::Null),
            new: new.cloned().unwrap_or(Value::Null),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[track_caller]
    fn check(old: Value, new: Value, expect: &[(&str, Value, Value)]) {
        let got: Vec<(String, Value, Value)> = changes(&old, &new)
            .into_iter()
            .map(|c| (c.key, c.old, c.new))
            .collect();
        let expect: Vec<(String, Value, Value)> = expect
            .iter()
            .map(|(k, o, n)| ((*k).to_owned(), o.clone(), n.clone()))
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn changes_list_leaves_and_whole_array_elements() {
        check(json!({"a": 1}), json!({"a": 1}), &[]);
        check(
            json!({"a": 1}),
            json!({"a": 2}),
            &[("/a", json!(1), json!(2))],
        );
        check(
            json!({"donor": {"lastName": "X"}}),
            json!({"donor": {"lastName": "X", "identityCheck": {"type": "one-login", "checkedAt": "t"}}}),
            &[
                ("/donor/identityCheck/checkedAt", Value::Null, json!("t")),
                ("/donor/identityCheck/type", Value::Null, json!("one-login")),
            ],
        );
        check(
            json!({"attorneys": [{"uid": "a", "status": "active"}]}),
            json!({"attorneys": [{"uid": "a", "status": "removed"}, {"uid": "b"}]}),
            &[
                ("/attorneys/0/status", json!("active"), json!("removed")),
                ("/attorneys/1", Value::Null, json!({"uid": "b"})),
            ],
        );
        check(
            json!({"a": [1, 2]}),
            json!({"a": [1]}),
            &[("/a/1", json!(2), Value::Null)],
        );
        check(
            json!({"a~b": 1}),
            json!({}),
            &[("/a~0b", json!(1), Value::Null)],
        );
    }
}
