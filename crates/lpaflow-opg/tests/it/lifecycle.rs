//! An LPA's life in the store: signatures, the waiting period, registration, and what the store refuses
//! along the way, with its messages (`lambda/update/*.go`).

use serde_json::json;

use crate::sim_common::{example_json, start, uid, update};

#[tokio::test]
async fn from_signing_to_registration_and_cancellation() {
    let sim = start().await;
    let u = uid(1);
    sim.create_example(&u).await;
    let register = update("REGISTER", json!([]));
    let early = sim.update(&u, &register).await;
    assert_eq!(
        (early.status, early.errors()),
        (
            400,
            vec!["/type status must be statutory-waiting-period to register".to_owned()]
        )
    );
    let waiting = update("STATUTORY_WAITING_PERIOD", json!([]));
    assert_eq!(
        sim.update(&u, &waiting).await.errors(),
        ["/type lpa must have a certificate"]
    );
    assert_eq!(
        sim.update(
            &u,
            &update(
                "STATUTORY_WAITING_PERIOD",
                json!([{"key": "/status", "old": null, "new": 1}])
            )
        )
        .await
        .errors(),
        ["/changes expected empty"]
    );
    for step in ["certificate-provider-sign.json", "attorney-sign.json"] {
        assert_eq!(
            sim.update(&u, &example_json(step)).await.status,
            201,
            "{step}"
        );
    }
    // Signing again: every `old` of attorney-sign.json now differs from what is stored (and it is a duplicate).
    let again = sim.update(&u, &example_json("attorney-sign.json")).await;
    assert_eq!(
        again.sources(),
        (0..5)
            .map(|i| format!("/changes/{i}/old"))
            .collect::<Vec<_>>()
    );
    // A trust corporation without signatories does not hold the waiting period up
    // (statutory_waiting_period.go loops over the signatories it has).
    let perfect = sim.update(&u, &update("PERFECT", json!([]))).await;
    assert_eq!(
        (perfect.status, perfect.body["status"].clone()),
        (201, json!("statutory-waiting-period"))
    );
    assert_eq!(
        sim.update(&u, &example_json("trust-corporation-sign.json"))
            .await
            .status,
        201,
        "no status check"
    );
    let registered = sim.update(&u, &register).await;
    assert_eq!(
        (registered.status, registered.body["status"].clone()),
        (201, json!("registered"))
    );
    assert!(registered.body["registrationDate"].is_string());
    let corrected = sim.update(&u, &update("CORRECTION", json!([{"key": "/donor/email", "old": "nobody@not.a.real.domain", "new": "b@example.org"}]))).await;
    assert_eq!(
        corrected.errors(),
        ["/type Cannot make corrections to a Registered LPA"]
    );
    let withdrawn = sim
        .update(&u, &update("DONOR_WITHDRAW_LPA", json!([])))
        .await;
    assert_eq!(
        withdrawn.errors(),
        ["/type cannot withdraw a registered lpa"]
    );
    let status = |from: &str, to: &str| {
        update(
            "OPG_STATUS_CHANGE",
            json!([{"key": "/status", "old": from, "new": to}]),
        )
    };
    assert_eq!(
        sim.update(&u, &status("registered", "cannot-register"))
            .await
            .errors(),
        ["/status Lpa status cannot be registered while changing to cannot register"]
    );
    assert_eq!(
        sim.update(&u, &status("registered", "registered"))
            .await
            .errors(),
        ["/changes/0 redundant change for /status"]
    );
    assert_eq!(
        sim.update(&u, &status("registered", "cancelled"))
            .await
            .status,
        201
    );
    let post_registration = sim
        .update(
            &u,
            &update(
                "POST_REGISTRATION_CORRECTION",
                json!([{"key": "/donor/firstNames", "old": "Feeg", "new": "Fig"}]),
            ),
        )
        .await;
    assert_eq!(
        post_registration.status, 201,
        "no status check, even when cancelled"
    );
    assert_eq!(
        post_registration.body["restrictionsAndConditions"],
        json!(null),
        "omitted, so cleared"
    );
    assert_eq!(
        sim.handle.stats().duplicates_by_lpa.get(&u),
        Some(&2),
        "the attorney signing again, and the status change to the status the LPA has"
    );
    sim.stop().await;
}

#[tokio::test]
async fn status_changes_withdrawal_and_opt_outs() {
    let sim = start().await;
    let status = |from: &str, to: &str| {
        update(
            "OPG_STATUS_CHANGE",
            json!([{"key": "/status", "old": from, "new": to}]),
        )
    };
    let (a, b, c) = (uid(1), uid(2), uid(3));
    for u in [&a, &b, &c] {
        sim.create_example(u).await;
    }
    assert_eq!(
        sim.update(&a, &status("in-progress", "cancelled"))
            .await
            .errors(),
        ["/status Lpa status has to be registered while changing to cancelled"]
    );
    assert_eq!(
        sim.update(&a, &status("in-progress", "registered"))
            .await
            .errors(),
        ["/status Lpa cannot be manually updated to this status"]
    );
    assert_eq!(
        sim.update(&a, &status("in-progress", "gone"))
            .await
            .errors(),
        ["/changes/0/new invalid value"]
    );
    assert_eq!(
        sim.update(&a, &status("in-progress", "expired"))
            .await
            .status,
        201
    );

    assert_eq!(
        sim.update(&b, &update("DONOR_WITHDRAW_LPA", json!([])))
            .await
            .body["status"],
        json!("withdrawn")
    );
    let again = sim
        .update(&b, &update("DONOR_WITHDRAW_LPA", json!([])))
        .await;
    assert_eq!(again.errors(), ["/type lpa has already been withdrawn"]);
    assert_eq!(
        sim.handle.stats().duplicates_by_lpa.get(&b),
        Some(&1),
        "a withdrawal of a withdrawn LPA is a duplicate"
    );

    let attorney = "urn:opg:poas:makeregister:users:9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d";
    let opt_out = update("ATTORNEY_OPT_OUT", json!([]));
    let out = sim.update_as(attorney, &c, &opt_out).await;
    assert_eq!(
        (out.status, out.body["attorneys"][0]["status"].clone()),
        (201, json!("removed"))
    );
    let twice = sim.update_as(attorney, &c, &opt_out).await;
    assert_eq!(
        twice.status, 201,
        "the store removes a removed attorney again"
    );
    assert_eq!(sim.handle.stats().duplicates_by_lpa.get(&c), Some(&1));
    let with_changes = sim
        .update_as(
            attorney,
            &c,
            &update(
                "ATTORNEY_OPT_OUT",
                json!([{"key": "/attorneys/0/status", "old": "active", "new": "removed"}]),
            ),
        )
        .await;
    assert_eq!(with_changes.errors(), ["/changes expected empty"]);
    let tc = "urn:opg:poas:makeregister:users:1d95993a-ffbb-484c-b2fe-f4cca51801da";
    let tc_out = sim
        .update_as(tc, &c, &update("TRUST_CORPORATION_OPT_OUT", json!([])))
        .await;
    assert_eq!(
        tc_out.body["trustCorporations"][0]["status"],
        json!("removed")
    );
    let cp_out = sim
        .update(&c, &update("CERTIFICATE_PROVIDER_OPT_OUT", json!([])))
        .await;
    assert_eq!(cp_out.body["status"], json!("cannot-register"));
    sim.stop().await;
}

#[tokio::test]
async fn replacement_attorneys_step_in_through_change_attorneys() {
    let sim = start().await;
    let u = uid(1);
    let mut lpa = example_json("example-lpa.json");
    let mut replacement = lpa["attorneys"][0].clone();
    replacement["uid"] = json!("5b3f6a2e-1c1d-4d0e-9a9b-0c1d2e3f4a5b");
    replacement["appointmentType"] = json!("replacement");
    replacement["status"] = json!("inactive");
    lpa["attorneys"]
        .as_array_mut()
        .expect("list")
        .push(replacement);
    let created = sim
        .put_lpa(&u, &serde_json::to_vec(&lpa).expect("json"))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let step_in = sim.update(&u, &example_json("change-attorneys.json")).await;
    assert_eq!(step_in.status, 201, "{step_in:?}");
    assert_eq!(step_in.body["attorneys"][0]["status"], json!("removed"));
    assert_eq!(step_in.body["attorneys"][1]["status"], json!("active"));
    let notes: Vec<&str> = step_in.body["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["type"].as_str())
        .collect();
    assert_eq!(
        notes,
        ["ATTORNEY_REMOVED_V1", "REPLACEMENT_ATTORNEY_ENABLED_V1"]
    );
    assert_eq!(
        step_in.body["notes"][0]["values"]["fullName"],
        json!("Herman Seakrest")
    );
    let back = sim
        .update(
            &u,
            &update(
                "CHANGE_ATTORNEYS",
                json!([{"key": "/attorneys/0/status", "old": "removed", "new": "active"}]),
            ),
        )
        .await;
    assert_eq!(
        back.errors(),
        ["/attorneys/0/status A removed attorney cannot be made active"]
    );
    sim.stop().await;
}
