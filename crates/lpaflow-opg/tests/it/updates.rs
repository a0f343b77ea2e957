//! Create, signatures, `old`/`new` checks, identity checks, the change log and the batch read, over HTTP.

use lpaflow_opg::OpgError;
use serde_json::{Value, json};

use crate::common::{assert_refused, document, start, uid};

const T1: &str = "2025-01-02T10:00:00Z";
const T2: &str = "2025-01-03T10:00:00Z";

fn sign_donor() -> Value {
    json!([{"key": "/signedAt", "old": null, "new": T1}])
}

#[tokio::test]
async fn create_stores_the_document_with_what_the_store_adds() {
    let sim = start().await;
    let u = uid(1);
    sim.create(&u).await;
    let stored = sim.client.get(&u).await.expect("get").expect("stored");
    assert_eq!(stored["uid"], json!(u));
    assert_eq!(stored["status"], json!("in-progress"));
    assert!(stored["updatedAt"].is_string());
    assert_eq!(stored["attorneys"][0]["status"], json!("active"));
    assert_eq!(stored["donor"], document()["donor"]);
    assert_eq!(sim.client.get(&uid(2)).await.expect("get"), None);
    sim.stop().await;
}

#[tokio::test]
async fn create_twice_is_refused_and_counted_as_a_duplicate() {
    let sim = start().await;
    let u = uid(1);
    sim.create(&u).await;
    let again = sim
        .client
        .create(&u, &document())
        .await
        .map(|()| Value::Null);
    assert_refused(again, "LPA with UID already exists");
    let stats = sim.handle.stats();
    assert_eq!(stats.duplicates, 1);
    assert_eq!(stats.duplicates_by_lpa.get(&u), Some(&1));
    assert_eq!(stats.writes_applied, 1);
    sim.stop().await;
}

#[tokio::test]
async fn an_invalid_document_names_every_field() {
    let sim = start().await;
    let result = sim
        .client
        .create(&uid(1), &json!({"lpaType": "nope", "attorneys": []}))
        .await;
    let Err(OpgError::Fatal {
        status: Some(400),
        code,
        errors,
        ..
    }) = result
    else {
        panic!("{result:?}")
    };
    assert_eq!(code, "INVALID_REQUEST");
    let sources: Vec<&str> = errors.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(
        sources,
        [
            "/lpaType",
            "/channel",
            "/donor",
            "/attorneys",
            "/certificateProvider"
        ]
    );
    assert_eq!(sim.client.get(&uid(1)).await.expect("get"), None);
    sim.stop().await;
}

#[tokio::test]
async fn signatures_are_given_once_and_values_are_checked() {
    let sim = start().await;
    let u = uid(1);
    sim.create(&u).await;
    let signed = sim
        .update(&u, "DONOR_SIGN", sign_donor())
        .await
        .expect("donor signs");
    assert_eq!(signed["signedAt"], json!(T1));
    // A verbatim re-send, and one with another time: both "cannot sign again", both duplicates.
    assert_refused(
        sim.update(&u, "DONOR_SIGN", sign_donor()).await,
        "cannot sign again",
    );
    assert_refused(
        sim.update(
            &u,
            "DONOR_SIGN",
            json!([{"key": "/signedAt", "old": T1, "new": T2}]),
        )
        .await,
        "cannot sign again",
    );
    assert_eq!(sim.handle.stats().duplicates_by_lpa.get(&u), Some(&2));
    assert_refused(
        sim.update(
            &u,
            "DONOR_SIGN",
            json!([{"key": "/donor/x", "old": null, "new": 1}]),
        )
        .await,
        "not allowed for DONOR_SIGN",
    );

    let cp = json!([{"key": "/certificateProvider/signedAt", "old": null, "new": T1}]);
    sim.update(&u, "CERTIFICATE_PROVIDER_SIGN", cp.clone())
        .await
        .expect("cp signs");
    assert_refused(
        sim.update(&u, "CERTIFICATE_PROVIDER_SIGN", cp).await,
        "cannot sign again",
    );
    assert_refused(
        sim.update(&u, "CERTIFICATE_PROVIDER_OPT_OUT", json!([]))
            .await,
        "cannot opt out after signing",
    );

    let a0 = json!([{"key": "/attorneys/0/signedAt", "old": null, "new": T1}]);
    sim.update(&u, "ATTORNEY_SIGN", a0.clone())
        .await
        .expect("attorney signs");
    assert_refused(
        sim.update(&u, "ATTORNEY_SIGN", a0).await,
        "cannot sign again",
    );
    assert_refused(
        sim.update(
            &u,
            "ATTORNEY_OPT_OUT",
            json!([{"key": "/attorneys/0/status", "old": "active", "new": "removed"}]),
        )
        .await,
        "attorney cannot opt out after signing",
    );
    assert_refused(
        sim.update(
            &u,
            "ATTORNEY_SIGN",
            json!([{"key": "/attorneys/7/signedAt", "old": null, "new": T1}]),
        )
        .await,
        "no attorney at this index",
    );
    sim.update(
        &u,
        "ATTORNEY_OPT_OUT",
        json!([{"key": "/attorneys/1/status", "old": "active", "new": "removed"}]),
    )
    .await
    .expect("attorney 1 opts out");
    assert_refused(
        sim.update(
            &u,
            "ATTORNEY_SIGN",
            json!([{"key": "/attorneys/1/signedAt", "old": null, "new": T1}]),
        )
        .await,
        "attorney has been removed",
    );
    sim.stop().await;
}

#[tokio::test]
async fn old_must_match_and_a_change_must_change_something() {
    let sim = start().await;
    let u = uid(1);
    sim.create(&u).await;
    let mismatch =
        json!([{"key": "/donor/email", "old": "someone@else.org", "new": "b@example.org"}]);
    let result = sim.update(&u, "CORRECTION", mismatch).await;
    let Err(OpgError::Fatal { errors, .. }) = &result else {
        panic!("{result:?}")
    };
    assert_eq!(errors[0].source, "/changes/0/old");
    assert_eq!(errors[0].detail, "does not match existing value");
    let redundant =
        json!([{"key": "/donor/email", "old": "a@example.org", "new": "a@example.org"}]);
    assert_refused(
        sim.update(&u, "CORRECTION", redundant).await,
        "change is redundant",
    );
    // Absent equals null.
    sim.update(
        &u,
        "CORRECTION",
        json!([{"key": "/donor/otherNames", "old": null, "new": "Countess"}]),
    )
    .await
    .expect("absent is null");
    for key in ["/uid", "/status", "/signedAt", "/registrationDate"] {
        assert_refused(
            sim.update(
                &u,
                "CORRECTION",
                json!([{"key": key, "old": null, "new": "x"}]),
            )
            .await,
            "cannot be corrected",
        );
    }
    sim.stop().await;
}

#[tokio::test]
async fn identity_checks_need_a_method_and_a_time_and_lock_the_date_of_birth() {
    let sim = start().await;
    let u = uid(1);
    sim.create(&u).await;
    let id = |t: &str| {
        json!([{"key": "/donor/identityCheck/checkedAt", "old": null, "new": T1},
               {"key": "/donor/identityCheck/type", "old": null, "new": t}])
    };
    assert_refused(
        sim.update(&u, "DONOR_CONFIRM_IDENTITY", id("passport"))
            .await,
        "identity check type must be one-login or opg-paper-id",
    );
    assert_refused(
        sim.update(
            &u,
            "DONOR_CONFIRM_IDENTITY",
            json!([{"key": "/donor/identityCheck/type", "old": null, "new": "one-login"}]),
        )
        .await,
        "identity check needs a check time",
    );
    assert_refused(
        sim.update(
            &u,
            "DONOR_CONFIRM_IDENTITY",
            json!([{"key": "/donor/firstNames", "old": "Ada", "new": "X"}]),
        )
        .await,
        "not allowed for DONOR_CONFIRM_IDENTITY",
    );
    sim.update(&u, "DONOR_CONFIRM_IDENTITY", id("one-login"))
        .await
        .expect("identity confirmed");
    assert_refused(
        sim.update(
            &u,
            "CORRECTION",
            json!([{"key": "/donor/dateOfBirth", "old": "1950-01-02", "new": "1950-01-03"}]),
        )
        .await,
        "date of birth cannot be corrected after the identity check",
    );
    let cp = json!([{"key": "/certificateProvider/identityCheck/checkedAt", "old": null, "new": T1},
                    {"key": "/certificateProvider/identityCheck/type", "old": null, "new": "opg-paper-id"}]);
    sim.update(&u, "CERTIFICATE_PROVIDER_CONFIRM_IDENTITY", cp)
        .await
        .expect("cp identity");
    sim.stop().await;
}

#[tokio::test]
async fn the_change_log_records_author_type_and_changes() {
    let sim = start().await;
    let u = uid(1);
    sim.create(&u).await;
    sim.update(&u, "DONOR_SIGN", sign_donor())
        .await
        .expect("sign");
    sim.update(
        &u,
        "CORRECTION",
        json!([{"key": "/donor/email", "old": "a@example.org", "new": "b@example.org"}]),
    )
    .await
    .expect("correct");
    let log = sim
        .client
        .updates(&u)
        .await
        .expect("log")
        .expect("known LPA");
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].kind, "DONOR_SIGN");
    assert_eq!(log[0].author, lpaflow_opg::jwt::DEFAULT_SUBJECT);
    assert_eq!(log[0].uid, u);
    assert_eq!(log[1].changes[0].new, json!("b@example.org"));
    assert!(log[0].id != log[1].id && !log[0].applied.is_empty());
    assert_eq!(sim.client.updates(&uid(9)).await.expect("log"), None);
    let unknown = sim.update(&uid(9), "DONOR_SIGN", sign_donor()).await;
    assert!(
        matches!(
            unknown,
            Err(OpgError::Fatal {
                status: Some(404),
                ..
            })
        ),
        "{unknown:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn batch_read_leaves_out_unknown_uids() {
    let sim = start().await;
    sim.create(&uid(1)).await;
    sim.create(&uid(2)).await;
    let got = sim
        .client
        .get_many(&[uid(2), uid(7), uid(1)])
        .await
        .expect("batch");
    let uids: Vec<&str> = got.iter().filter_map(|l| l["uid"].as_str()).collect();
    assert_eq!(uids, [uid(2), uid(1)]);
    let (status, _, body) = sim
        .call(
            reqwest::Method::POST,
            "/lpas",
            Some(json!({"uids": ["nope"]})),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["source"].as_str()),
        (400, Some("/uids/0"))
    );
    sim.stop().await;
}
