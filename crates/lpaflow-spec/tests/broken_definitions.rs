//! Broken definitions, each with the complete list of problems the loader must report (file:line:col: key:
//! message), so that a missing or a spurious message fails the test.

use lpaflow_core::Catalog;

fn catalog() -> Catalog {
    Catalog::new(
        &["service", "caseworker"],
        &["ok_guard"],
        &["do_it"],
        &["opg.create", "opg.update:REGISTER"],
    )
}

#[track_caller]
fn check(text: &str, expected: &[&str]) {
    let err = lpaflow_spec::load("wf.toml", text, &catalog())
        .expect_err("the definition should be refused");
    let got: Vec<String> = err
        .problems
        .iter()
        .map(|p| lpaflow_spec::located("wf.toml", p))
        .collect();
    let expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(got, expected, "\nall problems:\n{err}");
}

const MINIMAL_TAIL: &str = r#"
[states.done]
terminal = true

[[transitions]]
event = "finish"
from = "start"
to = "done"
roles = ["service"]
"#;

#[test]
fn a_minimal_definition_loads() {
    let text =
        format!("name = \"w\"\nversion = 1\ninitial = \"start\"\n[states.start]\n{MINIMAL_TAIL}");
    let def = lpaflow_spec::load("wf.toml", &text, &catalog()).expect("valid");
    assert_eq!(def.states().len(), 2);
    assert_eq!(def.hash(), lpaflow_spec::content_hash(&text));
}

#[test]
fn missing_top_level_keys_are_each_reported() {
    check(
        "[states.start]\n[states.done]\nterminal = true\n",
        &[
            "wf.toml: name: `name` is required",
            "wf.toml: version: `version` is required",
            "wf.toml: initial: `initial` is required",
            "wf.toml:1:9: states.start: an instance in \"start\" could never finish: no terminal state can be reached from it",
        ],
    );
}

#[test]
fn syntax_errors_stop_reading_with_the_position() {
    let err = lpaflow_spec::load("wf.toml", "name = \"w\nversion = 1\n", &catalog())
        .expect_err("bad TOML");
    assert_eq!(err.problems.len(), 1);
    let line = lpaflow_spec::located("wf.toml", &err.problems[0]);
    assert!(
        line.starts_with("wf.toml:1:") && line.contains("not valid TOML"),
        "{line}"
    );
}

#[test]
fn wrong_types_and_unknown_keys_are_reported_together() {
    check(
        r#"name = 7
version = "one"
initial = "start"
colour = "red"
[states.start]
terminal = "no"
[states.done]
terminal = true
[[transitions]]
event = "finish"
from = "start"
to = "done"
roles = "service"
automatic = 1
spin = true
"#,
        &[
            "wf.toml:1:8: name: expected a string, found integer",
            "wf.toml:2:11: version: expected a whole number, found string",
            "wf.toml:4:1: colour: unknown key `colour`; expected one of: name, version, description, initial, states, create, transitions",
            "wf.toml:6:12: states.start.terminal: expected true or false, found string",
            "wf.toml:14:13: transitions[0].automatic: expected true or false, found integer",
            "wf.toml:15:1: transitions[0].spin: unknown key `spin`; expected one of: event, from, to, stay, roles, guard, action, steps, automatic, while_awaiting_sync, description",
        ],
    );
}

#[test]
fn unknown_states_roles_guards_actions_and_steps() {
    check(
        r#"name = "w"
version = 1
initial = "begin"
[states.start]
[states.done]
terminal = true
[[transitions]]
event = "finish"
from = ["start", "middle"]
to = "end"
roles = ["service", "wizard"]
guard = ["ok_guard", "magic"]
action = "conjure"
steps = ["opg.create", "opg.teleport", { name = "opg.update:REGISTER", delivery = "sometimes" }]
"#,
        &[
            "wf.toml:3:11: initial: the initial state \"begin\" is not declared under [states]",
            "wf.toml:4:9: states.start: an instance in \"start\" could never finish: no terminal state can be reached from it",
            "wf.toml:9:18: transitions[0].from[1]: the source state \"middle\" is not declared under [states]",
            "wf.toml:10:6: transitions[0].to: the target state \"end\" is not declared under [states]",
            "wf.toml:11:21: transitions[0].roles[1]: unknown role \"wizard\"; known roles: caseworker, service, system",
            "wf.toml:12:22: transitions[0].guard[1]: unknown guard \"magic\": the rules loaded with this workflow do not implement it",
            "wf.toml:13:10: transitions[0].action: unknown action \"conjure\": the rules loaded with this workflow do not implement it",
            "wf.toml:14:24: transitions[0].steps[1]: unknown step \"opg.teleport\": no step handler is registered under that name",
            "wf.toml:14:83: transitions[0].steps[2].delivery: delivery \"sometimes\" is neither \"background\" nor \"blocking\"",
        ],
    );
}

#[test]
fn graph_problems_unreachable_dead_ends_and_terminal_exits() {
    check(
        r#"name = "w"
version = 1
initial = "start"
[states.start]
[states.orphan]
[states.loop]
[states.done]
terminal = true
[[transitions]]
event = "finish"
from = "start"
to = "done"
roles = ["service"]
[[transitions]]
event = "spin"
from = "start"
to = "loop"
roles = ["service"]
[[transitions]]
event = "revive"
from = "done"
to = "start"
roles = ["service"]
"#,
        &[
            "wf.toml:5:9: states.orphan: the state \"orphan\" is unreachable: no transition leads to it from \"start\"",
            "wf.toml:5:9: states.orphan: an instance in \"orphan\" could never finish: no terminal state can be reached from it",
            "wf.toml:6:9: states.loop: an instance in \"loop\" could never finish: no terminal state can be reached from it",
            "wf.toml:21:8: transitions[2].from: a transition cannot leave the terminal state \"done\"",
        ],
    );
}

#[test]
fn no_terminal_state_at_all() {
    check(
        "name = \"w\"\nversion = 1\ninitial = \"start\"\n[states.start]\n",
        &["wf.toml: states: no state is terminal; mark at least one with `terminal = true`"],
    );
}

#[test]
fn duplicate_event_from_pairs_and_reserved_names() {
    check(
        &format!(
            "name = \"w\"\nversion = 1\ninitial = \"start\"\n[states.start]\n{MINIMAL_TAIL}\n{}",
            r#"[[transitions]]
event = "finish"
from = ["start"]
to = "start"
roles = ["caseworker"]

[[transitions]]
event = "create"
from = "start"
stay = true
roles = ["service"]
"#
        ),
        &[
            "wf.toml:15:1: transitions[1]: the event \"finish\" from \"start\" is already declared by transitions[0]; an event may lead to one place only",
            "wf.toml:22:9: transitions[2].event: the event name \"create\" is reserved for creating instances; use [create]",
        ],
    );
}

#[test]
fn timers_need_positive_durations_and_a_system_transition() {
    check(
        &format!(
            "name = \"w\"\nversion = 1\ninitial = \"start\"\n[states.start]\ntimers = [{}]\n{MINIMAL_TAIL}",
            r#"{ name = "a", after = "3 months", event = "finish" }, { name = "b", after = "0s", event = "tick" }, { name = "c", after = "1d", event = "finish" }, { after = "1d" }"#
        ),
        &[
            "wf.toml:5:33: states.start.timers[0].after: the duration \"3 months\" has the unit ' '; use s, m, h, d or w (e.g. \"28d\")",
            "wf.toml:5:87: states.start.timers[1].after: the duration \"0s\" is zero; a timer must wait for some time",
            "wf.toml:5:147: states.start.timers[2].event: the timer \"c\" fires \"finish\", but no transition accepts that event from \"start\" with the role \"system\"",
            "wf.toml:5:159: states.start.timers[3].name: `name` is required",
            "wf.toml:5:159: states.start.timers[3].event: `event` is required",
        ],
    );
}

#[test]
fn midnight_timers_count_whole_days() {
    check(
        &format!(
            "name = \"w\"\nversion = 1\ninitial = \"start\"\n[states.start]\ntimers = [{}]\n{MINIMAL_TAIL}\n{}",
            r#"{ name = "a", after = "36h", at = "midnight", event = "tick" }, { name = "b", after = "1d", at = "noon", event = "tick" }"#,
            "[[transitions]]\nevent = \"tick\"\nfrom = \"start\"\nstay = true\nroles = [\"system\"]\n"
        ),
        &[
            "wf.toml:5:45: states.start.timers[0].at: a timer at midnight counts whole days: write `after` in days or weeks (e.g. \"28d\")",
            "wf.toml:5:108: states.start.timers[1].at: a timer's `at` is \"noon\"; the only value is \"midnight\" (fire at the local midnight that ends the last day)",
        ],
    );
}

#[test]
fn blocking_steps_need_a_confirmation_event_the_engine_may_fire() {
    check(
        &format!(
            "name = \"w\"\nversion = 1\ninitial = \"start\"\n[states.start]\n{MINIMAL_TAIL}\n{}",
            r#"[[transitions]]
event = "sync"
from = "start"
stay = true
roles = ["service"]
steps = [{ name = "opg.create", delivery = "blocking" }, { name = "opg.update:REGISTER", delivery = "blocking", then = "confirmed" }]

[[transitions]]
event = "poke"
from = "start"
stay = true
to = "done"
roles = ["service"]
steps = [{ name = "opg.create", then = "finish" }]
"#
        ),
        &[
            "wf.toml:15:1: transitions[1]: the blocking step \"opg.update:REGISTER\" fires \"confirmed\" when confirmed, but no transition accepts that event from \"start\" with the role \"system\"",
            "wf.toml:20:10: transitions[1].steps[0]: the blocking step \"opg.create\" needs `then`: the event fired when it is confirmed",
            "wf.toml:26:6: transitions[2].to: give either `to` or `stay = true`, not both",
            "wf.toml:28:40: transitions[2].steps[0].then: `then` is only for blocking steps; \"opg.create\" is delivered in the background",
        ],
    );
}
