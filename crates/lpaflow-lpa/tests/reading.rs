//! A command reads its LPA's JSON at most once (`lpaflow_core::Reading`): guards, the action, step payloads,
//! the automatic transitions after it and the labels of the result share one reading, an action hands over
//! the typed data it produced, and a command on an instance whose reading was kept (the engine's cache) reads
//! nothing. Debug builds count the reads (`fresh_reads_on_this_thread`).
#![cfg(debug_assertions)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Lpa, application_with};
use lpaflow_core::{Command, Decision, Reading, Rules, decide_chain, decide_chain_read};
use lpaflow_lpa::data::fresh_reads_on_this_thread;
use serde_json::json;

/// The JSON reads `f` made, and what it returned.
fn counting<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let before = fresh_reads_on_this_thread();
    let out = f();
    (fresh_reads_on_this_thread() - before, out)
}

/// An LPA waiting for its fee, whose next payment settles it: the payment's decision is followed by the
/// automatic `fee_settled`.
fn waiting_for_payment() -> Lpa {
    let mut lpa = Lpa::create(application_with(
        json!({"fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 1_000_000}}),
    ));
    lpa.service("submit", json!({}));
    lpa.service(
        "provide_fee_evidence",
        json!({"kind": "income", "reference": "DOC-17"}),
    );
    lpa.caseworker(
        "decide_fee",
        json!({"outcome": "declined", "reason": "income above the limit"}),
    );
    assert_eq!(lpa.state(), "discount_eligibility");
    lpa
}

fn payment() -> Command {
    Command::new("record_payment", "urn:test:service", "service")
        .with_payload(json!({"amountPence": 9200}))
}

fn labels_of(lpa: &Lpa, d: &Decision) -> Vec<String> {
    lpa.rules.labels(&d.instance, &d.reading)
}

#[test]
fn a_command_and_its_follow_up_read_the_lpa_once() {
    let lpa = waiting_for_payment();
    let (reads, chain) = counting(|| {
        decide_chain(&lpa.def, &lpa.rules, &lpa.instance, &payment(), lpa.now).unwrap()
    });
    assert_eq!(chain.len(), 2, "the payment and fee_settled");
    assert_eq!(chain[1].entry.event.as_str(), "fee_settled");
    assert_eq!(reads, 1, "guards and the action share one reading");
    let last = chain.last().unwrap();
    let (reads, labels) = counting(|| labels_of(&lpa, last));
    assert_eq!(
        reads, 0,
        "the result's labels use the reading the action handed over"
    );
    assert_eq!(labels, lpa.rules.labels(&last.instance, &Reading::new()));
}

#[test]
fn a_command_from_a_kept_reading_reads_nothing() {
    let lpa = waiting_for_payment();
    let (reads, chain) = counting(|| {
        let (def, rules, instance) = (&lpa.def, &lpa.rules, &lpa.instance);
        decide_chain_read(def, rules, instance, &lpa.reading, &payment(), lpa.now).unwrap()
    });
    assert_eq!(reads, 0);
    assert_eq!(
        chain,
        decide_chain(&lpa.def, &lpa.rules, &lpa.instance, &payment(), lpa.now).unwrap()
    );
}
