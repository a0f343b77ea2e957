//! `payload_fields` against the real actions: whole LPAs driven only with payloads built from the declared
//! fields (as the console's forms build them), and every required field, left out, is refused by name. If an
//! action starts reading a key the fields do not declare, or stops accepting one they do, this fails.

mod common;

use common::{Lpa, application, application_with, problem_pointers};
use lpaflow_core::{EventName, Rejection};
use lpaflow_lpa::actions::Action;
use lpaflow_lpa::{FieldKind, LpaData, attorneys_to_sign, payload_fields};
use serde_json::{Map, Value, json};

/// The action `event` runs in the LPA's current state.
fn action_of(lpa: &Lpa, event: &str) -> Action {
    let t = lpa
        .def
        .transition(&EventName::new(event), &lpa.instance.state)
        .unwrap_or_else(|| panic!("{event} is not possible in {}", lpa.state()));
    t.action
        .as_ref()
        .and_then(|a| a.as_str().parse().ok())
        .unwrap_or_else(|| panic!("{event} has no known action"))
}

/// What a person filling in the form would choose when the test does not say: the first open finding or
/// objection, the first attorney still to sign, the first option, now.
fn default_value(lpa: &Lpa, kind: FieldKind) -> Value {
    let data = LpaData::load(lpa.data()).expect("LPA data");
    match kind {
        FieldKind::Text { .. } => json!("REF-1"),
        FieldKind::LongText { .. } => json!("checked with the donor by phone"),
        FieldKind::Choice { options } => json!(options[0]),
        FieldKind::PastTime => json!(lpa.now.to_rfc3339()),
        FieldKind::Bool => json!(true),
        FieldKind::Pence { .. } => panic!("the test must choose an amount"),
        FieldKind::FindingId => json!(
            data.findings
                .iter()
                .find(|f| f.is_open())
                .expect("an open finding")
                .id
        ),
        FieldKind::ObjectionId => json!(
            lpaflow_lpa::objections::open_objections(&data)
                .next()
                .expect("an open objection")
                .id
        ),
        FieldKind::AttorneyUid => json!(attorneys_to_sign(&data)[0]),
        FieldKind::TrustCorporationUid => {
            json!(lpaflow_lpa::trust_corporations::trust_corporations_to_sign(&data)[0])
        }
        FieldKind::Signatories => json!([{"firstNames": "Sam", "lastName": "Smith",
                                          "professionalTitle": "Director"}]),
        FieldKind::Application => panic!("the test must give application JSON"),
    }
}

/// Fires `event` as `role` with a payload built from its fields: `chosen` values, defaults for the other
/// required fields. First checks that leaving out each required field is refused naming it.
#[track_caller]
fn submit_form(lpa: &mut Lpa, event: &str, role: &str, chosen: &[(&str, Value)]) {
    let fields = payload_fields(action_of(lpa, event), event);
    for (name, _) in chosen {
        assert!(
            fields.iter().any(|f| f.name == *name),
            "{event}: the test chose {name}, which the fields do not declare"
        );
    }
    let mut payload = Map::new();
    for f in &fields {
        let given = chosen.iter().find(|(n, _)| *n == f.name).map(|(_, v)| v);
        match given {
            Some(v) => {
                payload.insert(f.name.to_owned(), v.clone());
            }
            None if f.required => {
                payload.insert(f.name.to_owned(), default_value(lpa, f.kind));
            }
            None => {}
        }
    }
    for f in fields.iter().filter(|f| f.required) {
        let mut without = payload.clone();
        without.remove(f.name);
        let refused = lpa.refused(event, role, Value::Object(without));
        let named = match &refused {
            Rejection::InvalidPayload { .. } => problem_pointers(&refused)
                .iter()
                .any(|p| p == &format!("/{}", f.name)),
            _ => false,
        };
        assert!(
            named,
            "{event} without {}: expected a problem at /{}, got {refused:?}",
            f.name, f.name
        );
    }
    lpa.ok(event, role, Value::Object(payload));
}

#[test]
fn a_reduced_fee_lpa_reaches_registered_and_is_cancelled_with_form_payloads_only() {
    let mut lpa = Lpa::create(application_with(
        json!({"fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 1_000_000}}),
    ));
    submit_form(&mut lpa, "submit", "service", &[]);
    assert_eq!(lpa.state(), "discount_eligibility");
    submit_form(&mut lpa, "provide_fee_evidence", "service", &[]);
    submit_form(
        &mut lpa,
        "decide_fee",
        "caseworker",
        &[
            ("outcome", json!("approved")),
            ("approvedType", json!("HalfFee")),
        ],
    );
    submit_form(
        &mut lpa,
        "record_payment",
        "caseworker",
        &[("amountPence", json!(4600)), ("reference", json!("PAY-1"))],
    );
    assert_eq!(lpa.state(), "signing", "the reduced fee is paid");
    submit_form(&mut lpa, "confirm_donor_identity", "service", &[]);
    submit_form(
        &mut lpa,
        "confirm_certificate_provider_identity",
        "service",
        &[],
    );
    submit_form(&mut lpa, "sign_as_donor", "service", &[]);
    submit_form(&mut lpa, "sign_as_certificate_provider", "service", &[]);
    submit_form(&mut lpa, "sign_as_attorney", "service", &[]);
    submit_form(&mut lpa, "sign_as_attorney", "service", &[]);
    submit_form(&mut lpa, "enter_waiting_period", "caseworker", &[]);
    submit_form(&mut lpa, "raise_objection", "caseworker", &[]);
    submit_form(&mut lpa, "dismiss_objection", "caseworker", &[]);
    lpa.advance_days(28);
    lpa.confirm_step();
    assert_eq!(lpa.state(), "registered");
    submit_form(&mut lpa, "change_status:cancelled", "caseworker", &[]);
    assert_eq!(lpa.state(), "cancelled");
}

#[test]
fn findings_objections_and_opt_outs_take_their_form_payloads() {
    let mut lpa = Lpa::create(application_with(json!({"attorneys": [
        {"firstNames": "Young", "lastName": "Person", "dateOfBirth": "2008-03-01",
         "address": common::address("5 Road"), "appointmentType": "original", "channel": "paper"},
        {"firstNames": "Mary", "lastName": "Somerville", "dateOfBirth": "1980-12-26",
         "address": common::address("3 Road"), "appointmentType": "replacement", "channel": "paper"}
    ]})));
    submit_form(&mut lpa, "accept_finding", "caseworker", &[]);
    submit_form(&mut lpa, "resolve_finding", "caseworker", &[]);
    submit_form(&mut lpa, "submit", "service", &[]);
    submit_form(&mut lpa, "attorney_opt_out", "service", &[]);
    let fields = payload_fields(action_of(&lpa, "update_application"), "update_application");
    assert_eq!(fields.len(), 1);
    assert_eq!(
        (fields[0].name, fields[0].kind),
        ("", FieldKind::Application)
    );
    lpa.service(
        "update_application",
        json!({"donor": {"email": "new@example.org"}}),
    );
    submit_form(&mut lpa, "certificate_provider_opt_out", "service", &[]);
    assert_eq!(lpa.state(), "cannot_register");

    let mut fatal = Lpa::create(application_with(json!({"certificateProvider": {
        "relationship": "personal", "knownForYears": 1}})));
    submit_form(&mut fatal, "reject_finding", "caseworker", &[]);
    assert_eq!(fatal.state(), "cannot_register");

    let mut other = Lpa::create(application());
    submit_form(&mut other, "withdraw", "service", &[]);
    assert_eq!(other.state(), "withdrawn", "a withdrawal needs no reason");
}
