//! The lifecycle guards of `docs/opg-api.md`'s update table: waiting period, registration, status changes,
//! withdrawal, opt-outs, trust corporations.

use serde_json::{Value, json};

use crate::common::{assert_refused, document, start, uid};

const T1: &str = "2025-01-02T10:00:00Z";

fn sign_donor() -> Value {
    json!([{"key": "/signedAt", "old": null, "new": T1}])
}

#[tokio::test]
async fn the_lifecycle_guards_from_signing_to_registration() {
    let sim = start().await;
    let u = uid(1);
    sim.create(&u).await;
    assert_refused(
        sim.update(&u, "REGISTER", json!([])).await,
        "not in the statutory waiting period",
    );
    let missing = sim.update(&u, "STATUTORY_WAITING_PERIOD", json!([])).await;
    for needle in [
        "donor has not signed",
        "certificate provider has not signed",
        "attorney 0 has not signed",
        "attorney 1 has not signed",
    ] {
        assert_refused(missing.clone(), needle);
    }
    assert_refused(
        sim.update(
            &u,
            "STATUTORY_WAITING_PERIOD",
            json!([{"key": "/status", "old": null, "new": 1}]),
        )
        .await,
        "this type takes no changes",
    );
    sim.update(&u, "DONOR_SIGN", sign_donor())
        .await
        .expect("donor");
    for key in [
        "/certificateProvider/signedAt",
        "/attorneys/0/signedAt",
        "/attorneys/1/signedAt",
    ] {
        let kind = if key.starts_with("/attorneys") {
            "ATTORNEY_SIGN"
        } else {
            "CERTIFICATE_PROVIDER_SIGN"
        };
        sim.update(&u, kind, json!([{"key": key, "old": null, "new": T1}]))
            .await
            .expect("signs");
    }
    let waiting = sim
        .update(&u, "STATUTORY_WAITING_PERIOD", json!([]))
        .await
        .expect("waiting period");
    assert_eq!(waiting["status"], json!("statutory-waiting-period"));
    assert_refused(
        sim.update(&u, "STATUTORY_WAITING_PERIOD", json!([])).await,
        "not in progress",
    );
    assert_eq!(
        sim.handle.stats().duplicates_by_lpa.get(&u),
        Some(&1),
        "a repeated status change is a duplicate"
    );
    let registered = sim
        .update(&u, "REGISTER", json!([]))
        .await
        .expect("registered");
    assert_eq!(registered["status"], json!("registered"));
    assert!(registered["registrationDate"].is_string());

    assert_refused(
        sim.update(
            &u,
            "CORRECTION",
            json!([{"key": "/donor/email", "old": "a@example.org", "new": "b@example.org"}]),
        )
        .await,
        "cannot correct a registered LPA",
    );
    assert_refused(
        sim.update(
            &u,
            "CHANGE_ATTORNEYS",
            json!([{"key": "/attorneys/0/email", "old": null, "new": "x@example.org"}]),
        )
        .await,
        "cannot change a registered LPA",
    );
    assert_refused(
        sim.update(
            &u,
            "SEVER_RESTRICTIONS_AND_CONDITIONS",
            json!([{"key": "/restrictionsAndConditions", "old": "none", "new": ""}]),
        )
        .await,
        "cannot change a registered LPA",
    );
    assert_refused(
        sim.update(&u, "DONOR_WITHDRAW_LPA", json!([])).await,
        "cannot withdraw an LPA that is registered",
    );
    let status = |from: &str, to: &str| json!([{"key": "/status", "old": from, "new": to}]);
    assert_refused(
        sim.update(
            &u,
            "OPG_STATUS_CHANGE",
            status("registered", "cannot-register"),
        )
        .await,
        "cannot change status from registered to cannot-register",
    );
    assert_refused(
        sim.update(&u, "OPG_STATUS_CHANGE", status("registered", "registered"))
            .await,
        "change is redundant",
    );
    sim.update(&u, "OPG_STATUS_CHANGE", status("registered", "cancelled"))
        .await
        .expect("cancelled");
    assert_refused(
        sim.update(
            &u,
            "OPG_STATUS_CHANGE",
            status("cancelled", "cannot-register"),
        )
        .await,
        "cannot change status from cancelled to cannot-register",
    );
    sim.stop().await;
}

#[tokio::test]
async fn status_changes_withdrawal_and_opt_out_before_signing() {
    let sim = start().await;
    let status = |from: &str, to: &str| json!([{"key": "/status", "old": from, "new": to}]);
    let (a, b, c) = (uid(1), uid(2), uid(3));
    for u in [&a, &b, &c] {
        sim.create(u).await;
    }
    assert_refused(
        sim.update(&a, "OPG_STATUS_CHANGE", status("in-progress", "cancelled"))
            .await,
        "cannot change status from in-progress to cancelled",
    );
    assert_refused(
        sim.update(
            &a,
            "OPG_STATUS_CHANGE",
            status("in-progress", "do-not-register"),
        )
        .await,
        "cannot change status from in-progress to do-not-register",
    );
    assert_refused(
        sim.update(&a, "OPG_STATUS_CHANGE", status("in-progress", "registered"))
            .await,
        "not a status a caseworker can set",
    );
    sim.update(&a, "OPG_STATUS_CHANGE", status("in-progress", "expired"))
        .await
        .expect("expired");

    let withdrawn = sim
        .update(&b, "DONOR_WITHDRAW_LPA", json!([]))
        .await
        .expect("withdrawn");
    assert_eq!(withdrawn["status"], json!("withdrawn"));
    assert_refused(
        sim.update(&b, "DONOR_WITHDRAW_LPA", json!([])).await,
        "cannot withdraw an LPA that is withdrawn",
    );
    assert_refused(
        sim.update(&b, "DONOR_SIGN", sign_donor()).await,
        "the LPA is not in progress",
    );

    let opted = sim
        .update(&c, "CERTIFICATE_PROVIDER_OPT_OUT", json!([]))
        .await
        .expect("cp opts out");
    assert_eq!(opted["status"], json!("cannot-register"));
    assert_refused(
        sim.update(
            &c,
            "ATTORNEY_OPT_OUT",
            json!([{"key": "/attorneys/0/status", "old": "active", "new": "replacement"}]),
        )
        .await,
        "becomes removed",
    );
    assert_refused(
        sim.update(
            &c,
            "FEE_DECISION",
            json!([{"key": "/donor/x", "old": null, "new": 1}]),
        )
        .await,
        "not allowed for FEE_DECISION",
    );
    sim.update(
        &c,
        "FEE_DECISION",
        json!([{"key": "/fee/approvedType", "old": null, "new": "HalfFee"}]),
    )
    .await
    .expect("fee");
    assert_refused(
        sim.update(&c, "REGISTER", json!([])).await,
        "not in the statutory waiting period",
    );
    sim.stop().await;
}

#[tokio::test]
async fn trust_corporations_sign_once_per_signatory() {
    let sim = start().await;
    let u = uid(1);
    let mut doc = document();
    doc["trustCorporations"] = json!([{"name": "TC", "signatories": [{}, {}]}]);
    sim.client.create(&u, &doc).await.expect("create");
    let sign = |j: usize| json!([{"key": format!("/trustCorporations/0/signatories/{j}/signedAt"), "old": null, "new": T1}]);
    sim.update(&u, "TRUST_CORPORATION_SIGN", sign(0))
        .await
        .expect("signatory 0");
    assert_refused(
        sim.update(&u, "TRUST_CORPORATION_SIGN", sign(0)).await,
        "cannot sign again",
    );
    assert_refused(
        sim.update(&u, "STATUTORY_WAITING_PERIOD", json!([])).await,
        "trust corporation 0 has a signatory who has not signed",
    );
    sim.update(&u, "TRUST_CORPORATION_SIGN", sign(1))
        .await
        .expect("signatory 1");
    assert_refused(
        sim.update(
            &u,
            "TRUST_CORPORATION_SIGN",
            json!([{"key": "/trustCorporations/3/signedAt", "old": null, "new": T1}]),
        )
        .await,
        "no trust corporation at this index",
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_replacement_attorney_may_step_in_when_one_opts_out() {
    let sim = start().await;
    let u = uid(1);
    let mut doc = document();
    let mut replacement = doc["attorneys"][0].clone();
    replacement["uid"] = json!("a-3");
    replacement["appointmentType"] = json!("replacement");
    replacement["status"] = json!("replacement");
    doc["attorneys"]
        .as_array_mut()
        .expect("list")
        .push(replacement);
    sim.client.create(&u, &doc).await.expect("create");
    let step_in = json!([
        {"key": "/attorneys/0/status", "old": "active", "new": "removed"},
        {"key": "/attorneys/2/status", "old": "replacement", "new": "active"}
    ]);
    let after = sim
        .update(&u, "ATTORNEY_OPT_OUT", step_in)
        .await
        .expect("opt out with a replacement");
    assert_eq!(after["attorneys"][0]["status"], json!("removed"));
    assert_eq!(after["attorneys"][2]["status"], json!("active"));
    assert_refused(
        sim.update(
            &u,
            "ATTORNEY_OPT_OUT",
            json!([{"key": "/attorneys/1/status", "old": "active", "new": "replacement"}]),
        )
        .await,
        "only a replacement may step in",
    );
    sim.stop().await;
}
