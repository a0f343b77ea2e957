//! lpaflow's application rules against the LPA Store's create rules, differentially: for every combination
//! of attorneys, replacements, trust corporations, decision choices and an opt-out before the donor signs,
//! an online application lpaflow accepts must give a create the store accepts. lpaflow's rules
//! (`lpaflow-lpa`, in its own words) and the simulator's port of `lambda/create/validate.go` and
//! `set_defaults.go` are written separately, so a rule one of them misses shows here.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use lpaflow_core::{Command, Instance, InstanceId, decide_chain, decide_create_chain};
use lpaflow_lpa::LpaRules;
use lpaflow_lpa::lpa_store::{LpaInit, set_defaults};
use lpaflow_lpa::validation::read_application;
use lpaflow_opg::simulator::rules::create::validate;
use lpaflow_test_support::lpa_application::{address, application, trust_corporation};
use serde_json::{Value, json};

const HOW: [Option<&str>; 4] = [
    None,
    Some("jointly"),
    Some("jointly-and-severally"),
    Some("jointly-for-some-severally-for-others"),
];
const STEP_IN: [Option<&str>; 4] = [
    None,
    Some("all-can-no-longer-act"),
    Some("one-can-no-longer-act"),
    Some("another-way"),
];

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
        .unwrap()
        .to_utc()
}

/// One combination of the grid.
#[derive(Clone, Copy, Debug)]
struct Shape {
    welfare: bool,
    originals: usize,
    replacements: usize,
    /// 0: none, 1: an original trust corporation, 2: a replacement one.
    trust_corporation: usize,
    how: Option<&'static str>,
    step_in: Option<&'static str>,
    replacement_how: Option<&'static str>,
    /// The first original attorney opts out before the donor signs.
    opt_out_first: bool,
}

fn attorney(i: usize, appointment: &str) -> Value {
    // Attorneys alternate between the online service and paper (with and without an email).
    let mut a = json!({"firstNames": format!("Person{i}"), "lastName": format!("Surname{i}"),
        "dateOfBirth": "1980-01-01", "address": address(&format!("{i} Lane")),
        "appointmentType": appointment, "channel": "paper"});
    if i.is_multiple_of(2) {
        a["channel"] = json!("online");
        a["email"] = json!(format!("person{i}@example.org"));
    }
    a
}

fn details(choice: Option<&str>, needs: &str) -> Value {
    if choice == Some(needs) {
        json!("explained")
    } else {
        Value::Null
    }
}

fn application_of(s: Shape) -> Value {
    let mut app = application();
    let mut attorneys: Vec<Value> = (0..s.originals).map(|i| attorney(i, "original")).collect();
    attorneys.extend((0..s.replacements).map(|i| attorney(10 + i, "replacement")));
    app["attorneys"] = Value::Array(attorneys);
    match s.trust_corporation {
        1 => app["trustCorporations"] = json!([trust_corporation("original")]),
        2 => app["trustCorporations"] = json!([trust_corporation("replacement")]),
        _ => {}
    }
    if s.welfare {
        app["lpaType"] = json!("personal-welfare");
        let o = app.as_object_mut().unwrap();
        o.remove("whenTheLpaCanBeUsed");
        o.insert("lifeSustainingTreatmentOption".into(), json!("option-a"));
    }
    let set = |app: &mut Value, key: &str, v: Value| {
        if !v.is_null() {
            app[key] = v;
        }
    };
    set(&mut app, "howAttorneysMakeDecisions", json!(s.how));
    let d = details(s.how, "jointly-for-some-severally-for-others");
    set(&mut app, "howAttorneysMakeDecisionsDetails", d);
    set(&mut app, "howReplacementAttorneysStepIn", json!(s.step_in));
    set(
        &mut app,
        "howReplacementAttorneysStepInDetails",
        details(s.step_in, "another-way"),
    );
    set(
        &mut app,
        "howReplacementAttorneysMakeDecisions",
        json!(s.replacement_how),
    );
    let d = details(s.replacement_how, "jointly-for-some-severally-for-others");
    set(&mut app, "howReplacementAttorneysMakeDecisionsDetails", d);
    app
}

fn fire(
    def: &lpaflow_core::WorkflowDef,
    lpa: &Instance,
    event: &str,
    payload: Value,
) -> Option<Instance> {
    let command = Command::new(event, "urn:test:service", "service").with_payload(payload);
    decide_chain(def, &LpaRules::default(), lpa, &command, t0())
        .ok()
        .map(|chain| chain.last().unwrap().instance.clone())
}

/// The create body lpaflow sends for `app`, or `None` when lpaflow refuses it or it never reaches the
/// donor's signature (a blocking finding, no attorney left).
fn create_body(def: &lpaflow_core::WorkflowDef, app: Value, shape: Shape) -> Option<Value> {
    let command = Command::new("create", "urn:test:service", "service").with_payload(app);
    let created = decide_create_chain(
        def,
        &LpaRules::default(),
        InstanceId::new("M-QWER-TY34-6789"),
        &command,
        t0(),
    )
    .ok()?;
    let mut lpa = created.last().unwrap().instance.clone();
    lpa = fire(def, &lpa, "submit", json!({}))?;
    lpa = fire(def, &lpa, "record_payment", json!({"amountPence": 9200}))?;
    if shape.opt_out_first {
        let first = lpa.data["application"]["attorneys"][0]["uid"].clone();
        lpa = fire(def, &lpa, "attorney_opt_out", json!({"uid": first}))?;
    }
    if lpa.state.as_str() != "signing" {
        return None;
    }
    let command = Command::new("sign_as_donor", "urn:test:service", "service");
    let chain = decide_chain(def, &LpaRules::default(), &lpa, &command, t0()).ok()?;
    let step = chain[0]
        .effects
        .steps
        .iter()
        .find(|s| s.name == "opg.create")?;
    Some(step.payload["lpa"].clone())
}

#[test]
fn every_online_application_lpaflow_accepts_gives_a_create_the_store_accepts() {
    let def = lpaflow_spec::load(
        "workflows/lpa.toml",
        include_str!("../workflows/lpa.toml"),
        &lpaflow_lpa::catalog(),
    )
    .unwrap();
    let (mut accepted, mut created, mut refused_by_store) = (0, 0, Vec::new());
    for welfare in [false, true] {
        for originals in 1..=3 {
            for replacements in 0..=3 {
                for trust_corporation in 0..=2 {
                    for how in HOW {
                        for step_in in STEP_IN {
                            for replacement_how in HOW {
                                for opt_out_first in [false, true] {
                                    let shape = Shape {
                                        welfare,
                                        originals,
                                        replacements,
                                        trust_corporation,
                                        how,
                                        step_in,
                                        replacement_how,
                                        opt_out_first,
                                    };
                                    let app = application_of(shape);
                                    let (_, problems) = read_application(
                                        &app,
                                        t0(),
                                        lpaflow_core::BusinessZone::LONDON,
                                    );
                                    if !problems.is_empty() {
                                        continue;
                                    }
                                    accepted += 1;
                                    let Some(body) = create_body(&def, app, shape) else {
                                        continue;
                                    };
                                    created += 1;
                                    let init: LpaInit = serde_json::from_value(body).unwrap();
                                    let errors = validate(&set_defaults(init.fields));
                                    if !errors.is_empty() {
                                        refused_by_store.push(format!("{shape:?}: {errors:?}"));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(
        refused_by_store.is_empty(),
        "{} of {created} creates refused by the store's rules, e.g.:\n{}",
        refused_by_store.len(),
        refused_by_store[..refused_by_store.len().min(5)].join("\n")
    );
    assert!(accepted > 300, "only {accepted} combinations were valid");
    assert!(
        created > 300,
        "only {created} combinations reached the donor's signature"
    );
}
