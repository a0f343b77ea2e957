//! Table-driven interpreter tests over the real `workflows/lpa.toml`: which events are accepted where and by
//! whom, automatic transitions, timers, blocking steps and terminal states. Guards are scripted (see
//! `common/rules.rs`) so that these tests are about the workflow's structure, not the LPA rules.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::rules::{ScriptedRules, lpa_definition};
use lpaflow_core::{
    Command, EventName, Instance, InstanceId, Rejection, RoleName, StateName, WorkflowDef, decide,
    decide_chain, decide_create_chain,
};
use serde_json::json;

const ROLES: &[&str] = &["service", "caseworker", "auditor", "admin", "system"];

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
        .unwrap()
        .to_utc()
}

fn instance_in(def: &WorkflowDef, state: &str) -> Instance {
    let mut i = Instance::unborn(
        InstanceId::new("M-TEST-0000-0001"),
        def.reference().clone(),
        StateName::new(state),
        t0(),
    );
    i.revision = 3;
    i
}

#[track_caller]
fn check(def: &WorkflowDef, state: &str, event: &str, role: &str, expect: Result<&str, &str>) {
    // Every guard passes: these checks are about where and by whom events are accepted.
    let rules = ScriptedRules::failing(&[]);
    let inst = instance_in(def, state);
    let cmd = Command::new(event, "tester", role);
    let got = decide(def, &rules, &inst, &cmd, t0());
    match (expect, got) {
        (Ok(to), Ok(d)) => {
            assert_eq!(d.instance.state, to, "{event} from {state} as {role}");
            assert_eq!(d.instance.revision, 4);
            assert_eq!(d.entry.seq, 4);
        }
        (Err(code), Err(r)) => assert_eq!(r.code(), code, "{event} from {state} as {role}: {r}"),
        (expect, got) => panic!("{event} from {state} as {role}: expected {expect:?}, got {got:?}"),
    }
}

#[test]
fn every_transition_is_accepted_from_its_states_and_refused_elsewhere() {
    let def = lpa_definition();
    for t in def.transitions() {
        let role = t.roles[0].as_str();
        for s in def.states() {
            let expect = if s.terminal {
                Err("terminal_state")
            } else if t.from.contains(&s.name) {
                Ok(t.target(&s.name).as_str())
            } else {
                Err("not_allowed_in_state")
            };
            check(&def, s.name.as_str(), t.event.as_str(), role, expect);
        }
    }
}

#[test]
fn each_role_is_refused_where_it_is_not_listed() {
    let def = lpa_definition();
    let mut refusals = 0;
    for t in def.transitions() {
        for role in ROLES.iter().filter(|r| !t.roles.iter().any(|x| x == **r)) {
            // A role listed by another transition of the same event gets past the first check; it must still be
            // refused in this transition's states.
            check(
                &def,
                t.from[0].as_str(),
                t.event.as_str(),
                role,
                Err("forbidden"),
            );
            refusals += 1;
        }
    }
    assert!(refusals > 100, "only {refusals} refusals checked");
}

#[test]
fn auditors_and_admins_fire_nothing_in_lpa_toml() {
    let def = lpa_definition();
    for t in def.transitions() {
        assert!(!t.allows(&RoleName::new("auditor")), "{}", t.event);
        assert!(!t.allows(&RoleName::new("admin")), "{}", t.event);
    }
}

#[test]
fn terminal_states_accept_nothing() {
    let def = lpa_definition();
    for s in def.states().iter().filter(|s| s.terminal) {
        for e in def.events() {
            for role in ROLES {
                let got = decide(
                    &def,
                    &ScriptedRules::new(),
                    &instance_in(&def, s.name.as_str()),
                    &Command::new(e.as_str(), "t", *role),
                    t0(),
                );
                let code = got.expect_err("terminal accepted an event").code();
                assert!(
                    code == "terminal_state" || code == "forbidden",
                    "{e} in {}: {code}",
                    s.name
                );
            }
        }
    }
}

#[test]
fn unknown_events_and_stale_revisions_are_refused_first() {
    let def = lpa_definition();
    check(
        &def,
        "created",
        "fly_to_the_moon",
        "service",
        Err("unknown_event"),
    );
    let rules = ScriptedRules::new();
    let got = decide(
        &def,
        &rules,
        &instance_in(&def, "created"),
        &Command::new("submit", "s", "service").at_revision(2),
        t0(),
    );
    assert_eq!(
        got.unwrap_err(),
        Rejection::StaleRevision {
            expected: 2,
            actual: 3
        }
    );
}

#[test]
fn creation_then_submission_runs_the_automatic_transitions_in_one_chain() {
    let def = lpa_definition();
    let rules = ScriptedRules::new();
    let created = decide_create_chain(
        &def,
        &rules,
        InstanceId::new("M-TEST-0000-0002"),
        &Command::new("create", "svc", "service").with_payload(json!({"a": 1})),
        t0(),
    )
    .unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].instance.revision, 1);
    assert_eq!(created[0].entry.from, None);
    let chain = decide_chain(
        &def,
        &rules,
        &created[0].instance,
        &Command::new("submit", "svc", "service"),
        t0(),
    )
    .unwrap();
    let path: Vec<(&str, &str)> = chain
        .iter()
        .map(|d| (d.entry.event.as_str(), d.instance.state.as_str()))
        .collect();
    assert_eq!(
        path,
        [
            ("submit", "safeguarding"),
            ("safeguarding_cleared", "discount_eligibility"),
            ("fee_settled", "signing")
        ]
    );
    let revisions: Vec<u64> = chain.iter().map(|d| d.instance.revision).collect();
    assert_eq!(revisions, [2, 3, 4]);
    assert!(chain[1..].iter().all(|d| d.entry.role.is_system()));
    assert!(
        chain.iter().all(|d| d.effects.steps.is_empty()),
        "nothing goes to OPG before the donor signs"
    );
    let signed = decide_chain(
        &def,
        &rules,
        &chain[2].instance,
        &Command::new("sign_as_donor", "svc", "service"),
        t0(),
    )
    .unwrap();
    assert_eq!(signed[0].effects.steps.len(), 1);
    assert_eq!(signed[0].effects.steps[0].name, "opg.create");
}

#[test]
fn an_automatic_transition_waits_for_its_guard() {
    let def = lpa_definition();
    let rules = ScriptedRules::failing(&[
        "has_blocking_findings",
        "no_active_attorneys",
        "fee_settled",
    ]);
    let chain = decide_chain(
        &def,
        &rules,
        &instance_in(&def, "created"),
        &Command::new("submit", "svc", "service"),
        t0(),
    )
    .unwrap();
    assert_eq!(chain.last().unwrap().instance.state, "discount_eligibility");
}

#[test]
fn a_failing_guard_lists_every_unmet_condition() {
    let def = lpa_definition();
    let rules = ScriptedRules::failing(&["all_signatures_present", "no_blocking_findings"]);
    let got = decide(
        &def,
        &rules,
        &instance_in(&def, "signing"),
        &Command::new("enter_waiting_period", "svc", "service"),
        t0(),
    );
    let Err(Rejection::GuardFailed { unmet, .. }) = got else {
        panic!("{got:?}")
    };
    let codes: Vec<&str> = unmet.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(
        codes,
        ["all_signatures_present_unmet", "no_blocking_findings_unmet"]
    );
    assert_eq!(unmet[0].source.as_deref(), Some("all_signatures_present"));
}

#[test]
fn timers_are_set_on_entry_kept_on_internal_transitions_and_cancelled_on_exit() {
    let def = lpa_definition();
    let rules = ScriptedRules::new();
    let entered = decide(
        &def,
        &rules,
        &instance_in(&def, "signing"),
        &Command::new("enter_waiting_period", "svc", "service"),
        t0(),
    )
    .unwrap();
    assert_eq!(entered.effects.set_timers.len(), 1);
    let timer = &entered.effects.set_timers[0];
    assert_eq!(
        (timer.name.as_str(), timer.event.as_str()),
        ("waiting_period", "waiting_period_elapsed")
    );
    // `at = "midnight"`: 28 local days beginning with the day entered (UTC for these rules), ending at the
    // midnight after the 28th.
    assert_eq!(
        timer.fire_at,
        (t0().date_naive() + TimeDelta::days(28))
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    );

    let internal = decide(
        &def,
        &rules,
        &entered.instance,
        &Command::new("raise_objection", "cw", "caseworker"),
        t0(),
    )
    .unwrap();
    assert!(internal.effects.set_timers.is_empty() && internal.effects.cancel_timers.is_empty());

    let left = decide(
        &def,
        &rules,
        &internal.instance,
        &Command::new("uphold_objection", "cw", "caseworker"),
        t0(),
    )
    .unwrap();
    let cancelled: Vec<&str> = left
        .effects
        .cancel_timers
        .iter()
        .map(|t| t.as_str())
        .collect();
    assert_eq!(cancelled, ["waiting_period"]);
}

#[test]
fn the_blocking_registration_step_holds_the_instance_until_confirmed() {
    let def = lpa_definition();
    let rules = ScriptedRules::new();
    let swp = instance_in(&def, "statutory_waiting_period");
    let chain = decide_chain(
        &def,
        &rules,
        &swp,
        &Command::system(EventName::new("waiting_period_elapsed"), "timer"),
        t0(),
    )
    .unwrap();
    let requested = chain.last().unwrap();
    assert_eq!(requested.entry.event, "request_registration");
    let awaiting = requested
        .instance
        .awaiting
        .clone()
        .expect("awaiting the REGISTER step");
    assert_eq!(
        (awaiting.step.as_str(), awaiting.event.as_str()),
        ("opg.update:REGISTER", "registration_confirmed")
    );

    let refused = decide(
        &def,
        &rules,
        &requested.instance,
        &Command::new("raise_objection", "cw", "caseworker"),
        t0(),
    );
    assert_eq!(refused.unwrap_err().code(), "awaiting_sync");
    let by_person = decide(
        &def,
        &rules,
        &requested.instance,
        &Command::new("registration_confirmed", "x", "caseworker"),
        t0(),
    );
    assert_eq!(by_person.unwrap_err().code(), "forbidden");
    let override_ = decide(
        &def,
        &rules,
        &requested.instance,
        &Command::new("change_status:do_not_register", "cw", "caseworker"),
        t0(),
    )
    .unwrap();
    assert_eq!(
        override_.instance.awaiting, None,
        "a terminal state clears the wait"
    );

    let confirmed = decide(
        &def,
        &rules,
        &requested.instance,
        &Command::system(EventName::new("registration_confirmed"), "step"),
        t0(),
    )
    .unwrap();
    assert_eq!(confirmed.instance.state, "registered");
    assert_eq!(confirmed.instance.awaiting, None);
}

#[test]
fn history_entries_record_who_did_what_and_what_changed() {
    let def = lpa_definition();
    let rules = ScriptedRules::new();
    let mut inst = instance_in(&def, "created");
    inst.data = json!({"donor": {"lastName": "Smith"}}).into();
    let cmd = Command::new("update_application", "urn:svc:1", "service")
        .with_payload(json!({"donor": {"lastName": "Smyth"}}));
    let d = decide(
        &def,
        &rules,
        &inst,
        &cmd,
        t0() + TimeDelta::nanoseconds(1_234_567),
    )
    .unwrap();
    assert_eq!(d.entry.actor, "urn:svc:1");
    assert_eq!(d.entry.from.as_ref().unwrap(), "created");
    assert_eq!(d.entry.to, "created");
    assert_eq!(d.entry.changes.len(), 1);
    assert_eq!(d.entry.changes[0].pointer, "/donor/lastName");
    assert_eq!(
        d.entry.at,
        t0() + TimeDelta::microseconds(1234),
        "times are kept to the microsecond"
    );
}
