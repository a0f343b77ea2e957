//! lpaflow's step delivery protocol against the simulator (which runs the store's ported rules): no duplicate
//! after an ambiguous attempt, read-back after every write, refusals resolved by reading back, conflicts,
//! stale reads, opt-outs authored by the actor, and the read-back mismatch of a store that acknowledged what
//! it did not keep (issue 12, item 7).

use lpaflow_opg::{DeliveryOutcome, OpgError, ReadBack, deliver};
use serde_json::{Value, json};

use crate::common::{ATTORNEY, document, start, uid};

fn create_payload(u: &str) -> Value {
    json!({"uid": u, "lpa": document()})
}

/// The certificate provider's signature, as lpaflow sends it.
fn cp_sign_payload(u: &str) -> Value {
    json!({"uid": u, "type": "CERTIFICATE_PROVIDER_SIGN", "changes": [
        {"key": "/certificateProvider/signedAt", "old": null, "new": "2025-01-02T10:00:00Z"}]})
}

/// The attorney's signature, addressed by uid as lpaflow sends it.
fn attorney_sign_payload(u: &str) -> Value {
    json!({"uid": u, "type": "ATTORNEY_SIGN", "changes": [
        {"key": format!("/attorneys/{ATTORNEY}/mobile"), "old": null, "new": "07700900000"},
        {"key": format!("/attorneys/{ATTORNEY}/signedAt"), "old": null, "new": "2025-01-02T11:00:00.5+01:00"}]})
}

#[track_caller]
fn assert_done(outcome: &DeliveryOutcome, already: bool) {
    assert!(
        matches!(outcome, DeliveryOutcome::Done { already_applied, readback: ReadBack::Matched, .. } if *already_applied == already),
        "expected Done(already_applied = {already}), got {outcome:?}"
    );
}

#[tokio::test]
async fn a_plain_delivery_sends_once_and_reads_back() {
    let sim = start().await;
    let u = uid(1);
    let outcome = deliver(&sim.client, "opg.create", &create_payload(&u), false).await;
    assert_done(&outcome, false);
    assert_eq!(outcome.requests(), 2, "the write and the read-back");
    for (step, payload) in [
        ("opg.update:CERTIFICATE_PROVIDER_SIGN", cp_sign_payload(&u)),
        ("opg.update:ATTORNEY_SIGN", attorney_sign_payload(&u)),
    ] {
        let outcome = deliver(&sim.client, step, &payload, false).await;
        assert_done(&outcome, false);
        let json = serde_json::to_value(&outcome).expect("serializable");
        assert_eq!(json["outcome"], json!("done"));
    }
    assert_eq!(sim.handle.stats().duplicates, 0);
    sim.stop().await;
}

async fn ambiguous_then_resolved(step: &str, payload: &Value, sim: &crate::common::Sim) {
    sim.put_faults(json!({"commitThenFailRate": 1.0, "seed": 9}))
        .await;
    let first = deliver(&sim.client, step, payload, false).await;
    assert!(
        matches!(
            &first,
            DeliveryOutcome::Retry {
                error: OpgError::Ambiguous { .. },
                ambiguous: true,
                ..
            }
        ),
        "{first:?}"
    );
    assert!(first.leaves_ambiguity());
    let second = deliver(&sim.client, step, payload, first.leaves_ambiguity()).await;
    assert_done(&second, true);
    assert_eq!(second.requests(), 1, "one read, nothing sent");
    sim.put_faults(json!({"commitThenFailRate": 0.0})).await;
}

#[tokio::test]
async fn commit_then_fail_on_a_create_a_signature_and_an_opt_out_makes_no_duplicate() {
    let sim = start().await;
    let u = uid(1);
    ambiguous_then_resolved("opg.create", &create_payload(&u), &sim).await;
    ambiguous_then_resolved("opg.update:ATTORNEY_SIGN", &attorney_sign_payload(&u), &sim).await;
    let v = uid(2);
    sim.create(&v).await;
    let opt_out = json!({"uid": v, "type": "ATTORNEY_OPT_OUT", "changes": [],
                         "author": format!("urn:opg:poas:makeregister:users:{ATTORNEY}")});
    ambiguous_then_resolved("opg.update:ATTORNEY_OPT_OUT", &opt_out, &sim).await;
    let stats = sim.handle.stats();
    assert_eq!(stats.duplicates, 0, "{stats:?}");
    assert_eq!(stats.writes_applied, 4);
    let held = sim.client.get(&v).await.expect("read").expect("held");
    assert_eq!(
        held["attorneys"][0]["status"], "removed",
        "the author opted out"
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_refusal_that_shows_the_step_is_there_is_done() {
    let sim = start().await;
    let u = uid(1);
    sim.create(&u).await;
    // The engine did not know the earlier attempt landed: the 400 "already exists" is read back.
    let outcome = deliver(&sim.client, "opg.create", &create_payload(&u), false).await;
    assert_done(&outcome, true);
    assert_eq!(outcome.requests(), 2);
    deliver(
        &sim.client,
        "opg.update:CERTIFICATE_PROVIDER_SIGN",
        &cp_sign_payload(&u),
        false,
    )
    .await;
    // Sent again: the store answers "cannot sign again" (or a stale `old`); the read-back shows it landed.
    let outcome = deliver(
        &sim.client,
        "opg.update:CERTIFICATE_PROVIDER_SIGN",
        &cp_sign_payload(&u),
        false,
    )
    .await;
    assert_done(&outcome, true);
    assert_eq!(
        sim.handle.stats().duplicates,
        2,
        "the simulator counted both repeats (the create and the signature), refused"
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_rule_refusal_fails_the_step_with_the_stores_errors() {
    let sim = start().await;
    let u = uid(1);
    sim.create(&u).await;
    let outcome = deliver(
        &sim.client,
        "opg.update:REGISTER",
        &json!({"uid": u, "type": "REGISTER", "changes": []}),
        false,
    )
    .await;
    let DeliveryOutcome::Failed { code, errors, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(code.as_deref(), Some("INVALID_REQUEST"));
    assert_eq!(errors[0].source, "/type");
    assert!(
        errors[0].detail.contains("statutory-waiting-period"),
        "{errors:?}"
    );
    let outcome = deliver(&sim.client, "opg.nope", &json!({}), false).await;
    assert!(
        matches!(&outcome, DeliveryOutcome::Failed { code: Some(c), requests: 0, .. } if c == "UNKNOWN_STEP"),
        "{outcome:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_different_lpa_in_opg_is_a_conflict() {
    let sim = start().await;
    let u = uid(1);
    let mut other = document();
    other["donor"]["lastName"] = json!("Byron");
    sim.client
        .create(&u, &other)
        .await
        .expect("created out of band");
    let outcome = deliver(&sim.client, "opg.create", &create_payload(&u), true).await;
    let DeliveryOutcome::Failed {
        code,
        differences,
        requests,
        ..
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(code.as_deref(), Some("CONFLICT"));
    assert_eq!(differences[0].pointer, "/donor/lastName");
    assert_eq!(*requests, 1, "nothing sent");
    sim.stop().await;
}

#[tokio::test]
async fn stale_reads_never_decide() {
    let sim = start().await;
    let u = uid(1);
    sim.create(&u).await;
    sim.put_faults(json!({"staleReads": true})).await;
    let outcome = deliver(
        &sim.client,
        "opg.update:CERTIFICATE_PROVIDER_SIGN",
        &cp_sign_payload(&u),
        true,
    )
    .await;
    assert!(
        matches!(
            &outcome,
            DeliveryOutcome::Retry {
                ambiguous: true,
                requests: 1,
                ..
            }
        ),
        "{outcome:?}"
    );
    let outcome = deliver(
        &sim.client,
        "opg.update:CERTIFICATE_PROVIDER_SIGN",
        &cp_sign_payload(&u),
        false,
    )
    .await;
    assert!(
        matches!(
            &outcome,
            DeliveryOutcome::Done {
                already_applied: false,
                readback: ReadBack::Unavailable { .. },
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(sim.handle.stats().duplicates, 0);
    sim.stop().await;
}

#[tokio::test]
async fn an_outage_is_a_plain_retry() {
    let sim = start().await;
    sim.put_faults(json!({"outage": true})).await;
    let outcome = deliver(&sim.client, "opg.create", &create_payload(&uid(1)), false).await;
    let DeliveryOutcome::Retry {
        error,
        ambiguous: false,
        requests: 1,
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(error.retry_after().map(|d| d.as_secs()), Some(5));
    let stored = serde_json::to_value(&outcome).expect("serializable");
    assert_eq!(stored["error"]["class"], json!("retryable"));
    sim.stop().await;
}

/// A store that answers success but keeps nothing, or keeps something else: the read-back says so, for a
/// create and for an update, and the step is still done (it was accepted: sending again would be wrong).
#[tokio::test]
async fn a_write_the_store_did_not_keep_as_sent_is_a_read_back_mismatch() {
    let sim = start().await;
    let (u, v) = (uid(1), uid(2));
    sim.put_faults(json!({"acknowledgeWithoutApplyingRate": 1.0, "seed": 1}))
        .await;
    let outcome = deliver(&sim.client, "opg.create", &create_payload(&u), false).await;
    let DeliveryOutcome::Done {
        already_applied: false,
        readback: ReadBack::Mismatch { differences },
        ..
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(differences[0].pointer, "/", "nothing was kept");
    sim.put_faults(json!({"acknowledgeWithoutApplyingRate": 0.0, "applyDifferentlyRate": 1.0}))
        .await;
    let outcome = deliver(&sim.client, "opg.create", &create_payload(&v), false).await;
    let DeliveryOutcome::Done {
        readback: ReadBack::Mismatch { differences },
        ..
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    let pointers: Vec<&str> = differences.iter().map(|d| d.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        ["/attorneys/0/firstNames"],
        "the last attorney's name was altered"
    );
    sim.put_faults(json!({"applyDifferentlyRate": 0.0})).await;
    sim.create(&u).await;
    sim.put_faults(json!({"applyDifferentlyRate": 1.0})).await;
    let outcome = deliver(
        &sim.client,
        "opg.update:ATTORNEY_SIGN",
        &attorney_sign_payload(&u),
        false,
    )
    .await;
    let DeliveryOutcome::Done {
        readback: ReadBack::Mismatch { differences },
        ..
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    let pointers: Vec<&str> = differences.iter().map(|d| d.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [format!("/attorneys/{ATTORNEY}/signedAt")],
        "the last change was not applied"
    );
    sim.stop().await;
}

/// The store's reads are eventually consistent: a read-back just after a write may not show it, and the
/// store's own read before an update may not show an LPA created a moment ago (a 404). Neither is a
/// problem: the read-back reads again until the write shows, and the update is retried, not failed.
#[tokio::test]
async fn lagging_reads_are_waited_out_not_reported() {
    let sim = start().await;
    let u = uid(1);
    sim.put_faults(json!({"laggingReadRate": 1.0})).await;
    let outcome = deliver(&sim.client, "opg.create", &create_payload(&u), false).await;
    assert_done(&outcome, false);
    assert!(
        outcome.requests() > 2,
        "the first read-back lagged, so it read again: {outcome:?}"
    );
    let step = "opg.update:CERTIFICATE_PROVIDER_SIGN";
    // Written less than a second ago: the store's update does not see it yet.
    sim.put_faults(json!({"laggingReadRate": 0.0})).await;
    sim.create(&uid(2)).await;
    sim.put_faults(json!({"laggingReadRate": 1.0})).await;
    let outcome = deliver(&sim.client, step, &cp_sign_payload(&uid(2)), false).await;
    let DeliveryOutcome::Retry {
        error: OpgError::Retryable {
            status: Some(404), ..
        },
        ambiguous: false,
        ..
    } = &outcome
    else {
        panic!("a 404 on an update must be retried: {outcome:?}")
    };
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let outcome = deliver(&sim.client, step, &cp_sign_payload(&uid(2)), false).await;
    assert_done(&outcome, false);
    let stats = sim.handle.stats();
    assert!(stats.lagging_reads >= 2, "{stats:?}");
    assert_eq!(stats.duplicates, 0);
    sim.stop().await;
}

#[tokio::test]
async fn nothing_is_written_once_the_claim_no_longer_holds() {
    let sim = start().await;
    let u = uid(40);
    let ending = lpaflow_engine::Claim::new(Some(chrono::Utc::now()), None);
    let outcome = lpaflow_opg::deliver_claimed(
        &sim.client,
        "opg.create",
        &create_payload(&u),
        false,
        &ending,
    )
    .await;
    assert!(
        matches!(outcome, DeliveryOutcome::NotSent { requests: 0, .. }),
        "{outcome:?}"
    );
    assert_eq!(sim.handle.stats().writes_applied, 0, "no write reached OPG");

    // An ambiguous step is still read back (reads are harmless), but not written.
    let outcome = lpaflow_opg::deliver_claimed(
        &sim.client,
        "opg.create",
        &create_payload(&u),
        true,
        &ending,
    )
    .await;
    assert!(
        matches!(outcome, DeliveryOutcome::NotSent { requests, .. } if requests > 0),
        "{outcome:?}"
    );
    assert_eq!(sim.handle.stats().writes_applied, 0);

    let held = lpaflow_engine::Claim::new(
        Some(chrono::Utc::now() + chrono::TimeDelta::seconds(30)),
        None,
    );
    let outcome =
        lpaflow_opg::deliver_claimed(&sim.client, "opg.create", &create_payload(&u), false, &held)
            .await;
    assert_done(&outcome, false);
    sim.stop().await;
}
