//! `POST /lpas/{uid}/updates`, the change log and the batch read over HTTP: the order of the store's checks
//! (`lambda/update/main.go`), its 404s and 500s, and the change log as DynamoDB keeps it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::sim_common::{example, example_json, start, uid, update};

#[tokio::test]
async fn the_store_checks_in_its_order() {
    let sim = start().await;
    let u = uid(1);
    // The body is decoded before the LPA is looked up: not JSON is 500 even for an unknown LPA.
    let garbage = sim
        .send(
            Method::POST,
            &format!("/lpas/{}/updates", uid(9)),
            Some(b"not json".to_vec()),
        )
        .await;
    assert_eq!(
        (garbage.status, garbage.body["code"].clone()),
        (500, json!("INTERNAL_SERVER_ERROR"))
    );
    let wrong_type = sim
        .send(
            Method::POST,
            &format!("/lpas/{}/updates", uid(9)),
            Some(br#"{"type": 1}"#.to_vec()),
        )
        .await;
    assert_eq!(wrong_type.status, 500);
    let unknown = sim.update(&uid(9), &update("REGISTER", json!([]))).await;
    assert_eq!(
        (unknown.status, unknown.body),
        (
            404,
            json!({"code": "NOT_FOUND", "detail": "Record not found"})
        )
    );
    sim.create_example(&u).await;
    // Redundant changes are refused before the type is looked at.
    let redundant = sim
        .update(
            &u,
            &update(
                "NO_SUCH_TYPE",
                json!([{"key": "/a", "old": null, "new": ""}, {"key": "/b", "old": 1, "new": 2}]),
            ),
        )
        .await;
    assert_eq!(redundant.errors(), ["/changes/0 redundant change for /a"]);
    assert_eq!(redundant.body["detail"], json!("Invalid request"));
    let bad_type = sim.update(&u, &update("DONOR_SIGN", json!([]))).await;
    assert_eq!(bad_type.errors(), ["/type invalid value"]);
    // Keys Go's decoder matches case-insensitively.
    let shouted = sim
        .send(
            Method::POST,
            &format!("/lpas/{u}/updates"),
            Some(br#"{"TYPE": "DONOR_WITHDRAW_LPA", "Changes": []}"#.to_vec()),
        )
        .await;
    assert_eq!(shouted.status, 201);
    sim.stop().await;
}

#[tokio::test]
async fn what_would_make_the_go_code_panic_is_api_gateways_502() {
    let sim = start().await;
    let u = uid(1);
    sim.create_example(&u).await;
    // `old.(string)` on a number (parse/changes.go, oldEqualsExisting).
    let number = sim
        .update(
            &u,
            &update(
                "OPG_STATUS_CHANGE",
                json!([{"key": "/status", "old": 5, "new": "expired"}]),
            ),
        )
        .await;
    assert_eq!(number.status, 502);
    // attorney_decisions.go counts keys before finding the attorney: unknown then known indexes past its slice.
    let decisions = sim
        .update(
            &u,
            &update(
                "ATTORNEY_DECISIONS",
                json!([
                    {"key": "/attorneys/9/cannotMakeJointDecisions", "old": false, "new": true},
                    {"key": "/attorneys/0/cannotMakeJointDecisions", "old": false, "new": true}
                ]),
            ),
        )
        .await;
    assert_eq!(decisions.status, 502);
    // A negative index is an index to FindAttorneyIndex, and then out of range.
    let negative = sim.update(&u, &update("ATTORNEY_SIGN", json!([{"key": "/attorneys/-1/signedAt", "old": null, "new": "2024-01-13T22:00:00Z"}]))).await;
    assert_eq!(negative.status, 502);
    assert_eq!(
        sim.get_lpa(&u).await.body["status"],
        json!("in-progress"),
        "nothing applied"
    );
    sim.stop().await;
}

#[tokio::test]
async fn the_change_log_lists_applied_updates_newest_first() {
    let sim = start().await;
    let u = uid(1);
    assert_eq!(sim.updates(&u).await.status, 404, "no LPA: 404");
    sim.create_example(&u).await;
    assert_eq!(
        sim.updates(&u).await.status,
        404,
        "an LPA without updates: 404 (the create is not logged)"
    );
    let sign = example_json("certificate-provider-sign.json");
    assert_eq!(sim.update(&u, &sign).await.status, 201);
    assert_eq!(
        sim.update(&u, &update("REGISTER", json!([]))).await.status,
        400,
        "a refused update is not logged"
    );
    let log = sim.updates(&u).await;
    let entry = &log.body[0];
    assert_eq!(log.body.as_array().map(Vec::len), Some(1));
    assert_eq!(entry["uid"], json!(u));
    assert_eq!(entry["type"], json!("CERTIFICATE_PROVIDER_SIGN"));
    assert_eq!(entry["author"], json!(crate::sim_common::AUTHOR));
    assert_eq!(entry["changes"], sign["changes"], "the changes as sent");
    let applied = entry["applied"].as_str().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(applied).is_ok()
            && applied.len() == 20
            && applied.ends_with('Z'),
        "{applied}"
    );
    assert!(uuid::Uuid::parse_str(entry["id"].as_str().unwrap_or_default()).is_ok());
    sim.stop().await;
}

#[tokio::test]
async fn a_second_update_in_the_same_second_replaces_the_first_change_log_row() {
    // The store's change-log table is keyed by (uid, applied) with `applied` to the second, so DynamoDB's Put
    // replaces a row of the same second. Retried until both updates fall within one second.
    let sim = start().await;
    for attempt in 0..5 {
        let u = uid(attempt);
        sim.create_example(&u).await;
        let before = chrono::Utc::now().timestamp();
        let first = sim
            .update(
                &u,
                &update(
                    "OPG_STATUS_CHANGE",
                    json!([{"key": "/status", "old": "in-progress", "new": "expired"}]),
                ),
            )
            .await;
        let second = sim
            .update(
                &u,
                &update(
                    "OPG_STATUS_CHANGE",
                    json!([{"key": "/status", "old": "expired", "new": "cannot-register"}]),
                ),
            )
            .await;
        let after = chrono::Utc::now().timestamp();
        assert_eq!((first.status, second.status), (201, 201));
        let log = sim.updates(&u).await.body;
        if before == after {
            assert_eq!(log.as_array().map(Vec::len), Some(1), "{log}");
            assert_eq!(
                log[0]["changes"][0]["new"],
                json!("cannot-register"),
                "the later update's row"
            );
            sim.stop().await;
            return;
        }
        let kinds: Vec<&Value> = log
            .as_array()
            .map(|l| l.iter().map(|e| &e["changes"][0]["new"]).collect())
            .unwrap_or_default();
        assert!(!kinds.is_empty());
    }
    panic!("no two updates fell within one second in five attempts");
}

#[tokio::test]
async fn duplicates_are_counted_refused_or_applied() {
    let sim = start().await;
    let u = uid(1);
    sim.create_example(&u).await;
    assert_eq!(
        sim.put_lpa(&u, &example("example-lpa.json")).await.body["detail"],
        json!("LPA with UID already exists")
    );
    let sign = example_json("attorney-sign.json");
    assert_eq!(sim.update(&u, &sign).await.status, 201);
    assert_eq!(sim.update(&u, &sign).await.status, 400, "signing again");
    let held = update(
        "OPG_STATUS_CHANGE",
        json!([{"key": "/status", "old": "in-progress", "new": "in-progress"}]),
    );
    assert_eq!(sim.update(&u, &held).await.status, 400);
    let stats = sim.handle.stats();
    assert_eq!(stats.duplicates_by_lpa.get(&u), Some(&3));
    assert_eq!(stats.writes_applied, 2);
    sim.stop().await;
}

#[tokio::test]
async fn the_batch_read_fails_as_dynamodb_does() {
    let sim = start().await;
    sim.create_example(&uid(1)).await;
    let batch = |uids: Value| serde_json::to_vec(&json!({"uids": uids})).expect("json");
    let found = sim
        .send(Method::POST, "/lpas", Some(batch(json!([uid(1), uid(2)]))))
        .await;
    assert_eq!(found.status, 200);
    assert_eq!(
        found.body["lpas"].as_array().map(Vec::len),
        Some(1),
        "unknown uids are left out"
    );
    for (uids, why) in [
        (json!([]), "no key"),
        (json!(null), "nil"),
        (json!([uid(1), uid(1)]), "a repeated key"),
        (
            json!((0..101).map(uid).collect::<Vec<_>>()),
            "more than 100 keys",
        ),
        (json!([""]), "an empty key"),
    ] {
        assert_eq!(
            sim.send(Method::POST, "/lpas", Some(batch(uids)))
                .await
                .status,
            500,
            "{why}"
        );
    }
    let (ok, _) = (
        sim.send(
            Method::POST,
            "/lpas",
            Some(batch(json!((0..100).map(uid).collect::<Vec<_>>()))),
        )
        .await,
        (),
    );
    assert_eq!(ok.status, 200, "100 keys are fine");
    sim.stop().await;
}

#[tokio::test]
async fn a_signature_keeps_its_nanoseconds_and_the_change_log_its_changes() {
    // lambda/update/main_test.go, TestHandleEvent and TestHandleEventWhenUpdateInvalid
    let sim = start().await;
    let u = uid(1);
    sim.create_example(&u).await;
    let sign = json!({"type": "CERTIFICATE_PROVIDER_SIGN", "changes": [
        {"key": "/certificateProvider/signedAt", "old": null, "new": "2022-01-02T12:13:14.000000006Z"},
        {"key": "/certificateProvider/contactLanguagePreference", "old": null, "new": "en"},
        {"key": "/certificateProvider/email", "old": "a@example.com", "new": "b@example.com"},
        {"key": "/certificateProvider/channel", "old": "online", "new": "paper"}
    ]});
    let empty = sim
        .update(&u, &update("CERTIFICATE_PROVIDER_SIGN", json!([])))
        .await;
    assert_eq!(
        empty.errors(),
        ["/changes missing /certificateProvider/signedAt"]
    );
    let signed = sim.update(&u, &sign).await;
    assert_eq!(signed.status, 201);
    assert_eq!(
        signed.body["certificateProvider"]["signedAt"],
        json!("2022-01-02T12:13:14.000000006Z")
    );
    assert_eq!(
        signed.body["certificateProvider"]["contactLanguagePreference"],
        json!("en")
    );
    assert_eq!(sim.updates(&u).await.body[0]["changes"], sign["changes"]);
    sim.stop().await;
}
