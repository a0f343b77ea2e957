//! A tiny runtime for scenario tests: the real `workflows/lpa.toml`, `LpaRules`, a manual clock, an in-test
//! timer list (set and cancelled from effects; due timers fire as `system` commands) and the list of OPG steps
//! enqueued. It does what the engine does between decisions, and nothing more.
#![allow(dead_code)]

use chrono::{DateTime, TimeDelta, Utc};
use lpaflow_core::{
    Command, Decision, HistoryEntry, Instance, InstanceId, Reading, Rejection, Rules, StepEffect,
    TimerSet, WorkflowDef, decide_chain, decide_chain_read, decide_create_chain,
};
use lpaflow_lpa::LpaRules;
use serde_json::{Value, json};

pub const UID: &str = "M-QWER-TY34-6789";

pub fn definition() -> WorkflowDef {
    let text = include_str!("../../../../workflows/lpa.toml");
    lpaflow_spec::load("workflows/lpa.toml", text, &lpaflow_lpa::catalog())
        .expect("workflows/lpa.toml loads")
}

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
        .expect("valid")
        .to_utc()
}

// Each test binary compiles this module and uses a different part of it.
#[allow(unused_imports)]
pub use lpaflow_test_support::lpa_application::{address, application, application_with};

pub struct Lpa {
    pub def: WorkflowDef,
    pub rules: LpaRules,
    pub instance: Instance,
    pub now: DateTime<Utc>,
    pub timers: Vec<TimerSet>,
    pub steps: Vec<StepEffect>,
    pub history: Vec<HistoryEntry>,
    /// Every decision, in order (what the store would commit).
    pub decisions: Vec<Decision>,
    pub timer_rejections: Vec<Rejection>,
    /// The rules' reading of `instance.data` as the last decision handed it over (what the engine keeps).
    pub reading: Reading,
}

impl Lpa {
    pub fn try_create(application: Value, now: DateTime<Utc>) -> Result<Self, Rejection> {
        let def = definition();
        let rules = LpaRules::default();
        let command =
            Command::new("create", "urn:test:service", "service").with_payload(application);
        let chain = decide_create_chain(&def, &rules, InstanceId::new(UID), &command, now)?;
        let instance = chain[0].instance.clone();
        let mut lpa = Self {
            def,
            rules,
            instance,
            now,
            timers: Vec::new(),
            steps: Vec::new(),
            history: Vec::new(),
            decisions: Vec::new(),
            timer_rejections: Vec::new(),
            reading: Reading::new(),
        };
        lpa.apply(chain);
        Ok(lpa)
    }

    pub fn create(application: Value) -> Self {
        Self::try_create(application, t0()).expect("the application is accepted")
    }

    fn apply(&mut self, chain: Vec<Decision>) {
        for d in chain {
            self.decisions.push(d.clone());
            for name in &d.effects.cancel_timers {
                self.timers.retain(|t| &t.name != name);
            }
            for t in d.effects.set_timers {
                self.timers.retain(|x| x.name != t.name);
                self.timers.push(t);
            }
            self.steps.extend(d.effects.steps);
            self.history.push(d.entry);
            assert_eq!(
                self.rules.labels(&d.instance, &d.reading),
                self.rules.labels(&d.instance, &Reading::new()),
                "the labels from a decision's reading are the labels from its data"
            );
            self.instance = d.instance;
            self.reading = d.reading;
        }
    }

    /// Decides `command` as the engine does from an instance it kept (with the reading the last decision
    /// handed over), and checks that this is the decision made from the data alone.
    fn decide(&self, command: &Command) -> Result<Vec<Decision>, Rejection> {
        let (def, rules, instance) = (&self.def, &self.rules, &self.instance);
        let carried = decide_chain_read(def, rules, instance, &self.reading, command, self.now);
        let fresh = decide_chain(def, rules, instance, command, self.now);
        assert_eq!(
            carried, fresh,
            "a decision from the carried reading is the decision from the data"
        );
        carried
    }

    pub fn fire(&mut self, event: &str, role: &str, payload: Value) -> Result<(), Rejection> {
        let command = Command::new(event, format!("urn:test:{role}"), role).with_payload(payload);
        let chain = self.decide(&command)?;
        self.apply(chain);
        Ok(())
    }

    #[track_caller]
    pub fn ok(&mut self, event: &str, role: &str, payload: Value) {
        if let Err(r) = self.fire(event, role, payload) {
            panic!(
                "{event} as {role} in {}: refused: {r} ({r:?})",
                self.state()
            );
        }
    }

    #[track_caller]
    pub fn service(&mut self, event: &str, payload: Value) {
        self.ok(event, "service", payload);
    }

    #[track_caller]
    pub fn caseworker(&mut self, event: &str, payload: Value) {
        self.ok(event, "caseworker", payload);
    }

    /// The refusal of a command that must be refused.
    #[track_caller]
    pub fn refused(&mut self, event: &str, role: &str, payload: Value) -> Rejection {
        let revision = self.instance.revision;
        let r = self
            .fire(event, role, payload)
            .expect_err("the command is refused");
        assert_eq!(
            self.instance.revision, revision,
            "a refusal changes nothing"
        );
        r
    }

    /// Moves the clock forward, firing due timers in order as `system` commands.
    pub fn advance(&mut self, by: TimeDelta) {
        let until = self.now + by;
        loop {
            self.timers.sort_by_key(|t| t.fire_at);
            let Some(pos) = self.timers.iter().position(|t| t.fire_at <= until) else {
                break;
            };
            let timer = self.timers.remove(pos);
            self.now = self.now.max(timer.fire_at);
            let command =
                Command::system(timer.event.clone(), "timer").with_payload(timer.payload.clone());
            match self.decide(&command) {
                Ok(chain) => self.apply(chain),
                Err(r) => self.timer_rejections.push(r),
            }
        }
        self.now = until;
    }

    pub fn advance_days(&mut self, days: i64) {
        self.advance(TimeDelta::days(days));
    }

    /// The engine confirms the awaited blocking step.
    #[track_caller]
    pub fn confirm_step(&mut self) {
        let awaiting = self
            .instance
            .awaiting
            .clone()
            .expect("a blocking step is awaited");
        let command = Command::system(awaiting.event, "step-confirmed");
        let chain = self.decide(&command).expect("confirmed");
        self.apply(chain);
    }

    pub fn state(&self) -> &str {
        self.instance.state.as_str()
    }

    pub fn data(&self) -> &lpaflow_core::Data {
        &self.instance.data
    }

    pub fn attorney_uids(&self) -> Vec<String> {
        self.data()["application"]["attorneys"]
            .as_array()
            .expect("attorneys")
            .iter()
            .map(|a| a["uid"].as_str().expect("uid").to_owned())
            .collect()
    }

    pub fn step_names(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.name.as_str()).collect()
    }

    pub fn last_step(&self) -> &StepEffect {
        self.steps.last().expect("a step was enqueued")
    }

    pub fn findings(&self) -> Vec<(String, String, String)> {
        self.data()["findings"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|f| {
                        let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
                        (s("rule"), s("subject"), s("status"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn finding_id(&self, rule: &str) -> String {
        self.data()["findings"]
            .as_array()
            .and_then(|l| l.iter().find(|f| f["rule"] == rule))
            .and_then(|f| f["id"].as_str())
            .unwrap_or_else(|| panic!("no finding of {rule}: {:?}", self.findings()))
            .to_owned()
    }

    pub fn has_timer(&self, name: &str) -> bool {
        self.timers.iter().any(|t| t.name == name)
    }

    /// Create, submit and pay the full fee: the LPA is in `signing`.
    pub fn ready_to_sign(application: Value) -> Self {
        let mut lpa = Self::create(application);
        lpa.service("submit", json!({}));
        lpa.service("record_payment", json!({"amountPence": 9200}));
        assert_eq!(lpa.state(), "signing");
        lpa
    }

    /// Every signature, identity checks first.
    pub fn sign_all(&mut self) {
        let checked = self.now.to_rfc3339();
        self.service(
            "confirm_donor_identity",
            json!({"type": "one-login", "checkedAt": checked}),
        );
        self.service(
            "confirm_certificate_provider_identity",
            json!({"type": "opg-paper-id", "checkedAt": checked}),
        );
        self.service("sign_as_donor", json!({}));
        self.service("sign_as_certificate_provider", json!({}));
        for uid in self.attorney_uids() {
            self.service(
                "sign_as_attorney",
                json!({"uid": uid, "confirmedNotBankrupt": true}),
            );
        }
    }
}

/// The codes of a guard refusal's unmet conditions.
pub fn unmet_codes(r: &Rejection) -> Vec<String> {
    match r {
        Rejection::GuardFailed { unmet, .. } => unmet.iter().map(|u| u.code.clone()).collect(),
        other => panic!("expected a guard refusal, got {other:?}"),
    }
}

/// The pointers of an invalid-payload refusal.
pub fn problem_pointers(r: &Rejection) -> Vec<String> {
    match r {
        Rejection::InvalidPayload { problems, .. } => {
            problems.iter().map(|p| p.pointer.clone()).collect()
        }
        other => panic!("expected an invalid payload, got {other:?}"),
    }
}
