//! Property test: any sequence of random commands over `workflows/lpa.toml` keeps the interpreter's invariants.
//! Revision grows by exactly one per accepted decision, history seq equals revision with no gaps, the state is
//! always declared, nothing leaves a terminal state, a rejected command changes nothing, and the active timers
//! are always exactly the current state's timers.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::rules::{ScriptedRules, lpa_definition};
use lpaflow_core::{Command, InstanceId, TimerName, decide_chain, decide_create_chain};
use proptest::prelude::*;
use std::collections::BTreeSet;

const ROLES: &[&str] = &["service", "caseworker", "auditor", "admin", "system"];
const GUARDS: &[&str] = &[
    "no_blocking_findings",
    "has_blocking_findings",
    "donor_not_signed",
    "fee_settled",
    "all_signatures_present",
    "waiting_period_elapsed",
    "no_open_objections",
    "registration_not_requested",
    "no_active_attorneys",
];

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn random_commands_keep_the_invariants(
        failing in proptest::sample::subsequence(GUARDS.to_vec(), 0..GUARDS.len()),
        commands in proptest::collection::vec((0usize..64, 0usize..ROLES.len(), proptest::bool::weighted(0.1)), 1..80),
    ) {
        let def = lpa_definition();
        let rules = ScriptedRules::failing(&failing);
        let events = def.events();
        let create = Command::new("create", "svc", "service");
        let created = decide_create_chain(&def, &rules, InstanceId::new("M-PROP-0000-0001"), &create, start()).unwrap();
        let mut history: Vec<u64> = Vec::new();
        let mut timers: BTreeSet<TimerName> = BTreeSet::new();
        fn apply(chain: &[lpaflow_core::Decision], history: &mut Vec<u64>, timers: &mut BTreeSet<TimerName>) {
            for d in chain {
                history.push(d.entry.seq);
                for c in &d.effects.cancel_timers { timers.remove(c); }
                for t in &d.effects.set_timers { timers.insert(t.name.clone()); }
            }
        }
        apply(&created, &mut history, &mut timers);
        let mut inst = created.last().unwrap().instance.clone();
        let mut now = start();
        for (ev, role, stale) in commands {
            now += TimeDelta::hours(7);
            let event = events[ev % events.len()].clone();
            let mut cmd = Command::new(event.as_str(), "actor", ROLES[role]);
            if stale { cmd = cmd.at_revision(inst.revision.saturating_sub(1)); }
            let was_terminal = def.state(&inst.state).unwrap().terminal;
            if let Ok(chain) = decide_chain(&def, &rules, &inst, &cmd, now) {
                {
                    prop_assert!(!was_terminal, "{} left the terminal state {}", event, inst.state);
                    prop_assert!(!stale || inst.revision == 0);
                    for (k, d) in chain.iter().enumerate() {
                        prop_assert_eq!(d.instance.revision, inst.revision + 1 + k as u64);
                        prop_assert_eq!(d.entry.seq, d.instance.revision);
                        prop_assert!(def.state(&d.instance.state).is_some());
                    }
                    apply(&chain, &mut history, &mut timers);
                    inst = chain.last().unwrap().instance.clone();
                }
            }
            let expected: BTreeSet<TimerName> = def.state(&inst.state).unwrap().timers.iter().map(|t| t.name.clone()).collect();
            prop_assert_eq!(&timers, &expected, "active timers in {}", inst.state);
        }
        let contiguous: Vec<u64> = (1..=inst.revision).collect();
        prop_assert_eq!(history, contiguous);
    }
}
