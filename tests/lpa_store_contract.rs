//! Every request lpaflow sends during whole lifecycles, checked against the LPA Store's contract (issue 12,
//! "contract tests" b): LPAs made online and on paper, with a replacement attorney stepping in after an
//! opt-out, a trust corporation (on paper too, beside a waiting replacement attorney), identity checks before
//! and after the create, withdrawals, opt-outs and status changes, driven through the real engine to the
//! simulator (which runs the store's ported rules) over HTTP.
//!
//! For each LPA: every step is accepted by the ported rules and reads back as sent (no step failed, no
//! read-back mismatch, no duplicate), every create body is valid against the store's published schema (merged
//! where it contradicts itself: `tests/lpa_store/README.md`), every update against the OpenAPI's `Update`, and
//! reconcile finds OPG holding exactly what lpaflow expects.
#![allow(clippy::unwrap_used)]

mod common;

use common::opg::*;
use lpaflow_core::InstanceId;
use lpaflow_engine::Engine;
use lpaflow_lpa::steps::SENT_UPDATE_TYPES;
use lpaflow_store::StepStatus;
use lpaflow_test_support::TestDb;
use lpaflow_test_support::lpa_application::{address, trust_corporation};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

fn schema(name: &str) -> Value {
    let path = format!("{}/tests/lpa_store/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// `donor-details.json` with its parts merged into one schema (see `tests/lpa_store/README.md`).
fn create_schema() -> Value {
    let mut merged = schema("donor-details-partial.json");
    let outer = schema("donor-details.json");
    let properties = merged["properties"].as_object_mut().unwrap();
    for (k, v) in outer["properties"].as_object().unwrap() {
        properties.insert(k.clone(), v.clone());
    }
    let images = merged["then"]["properties"].as_object().unwrap().clone();
    let properties = merged["properties"].as_object_mut().unwrap();
    for (k, v) in images {
        properties.insert(k, v);
    }
    merged.as_object_mut().unwrap().remove("$id");
    merged
}

/// Serves the data dictionary's schemas (`https://data-dictionary.opg.service.justice.gov.uk/schema/lpa/
/// 2024-10/<file>`) from the copies in `tests/lpa_store/`: no network.
struct DataDictionary;

impl jsonschema::Retrieve for DataDictionary {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .as_str()
            .strip_prefix("https://data-dictionary.opg.service.justice.gov.uk/schema/lpa/2024-10/")
            .ok_or_else(|| format!("no local copy of {}", uri.as_str()))?;
        Ok(schema(name))
    }
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .with_retriever(DataDictionary)
        .build(schema)
        .unwrap()
}

#[track_caller]
fn assert_valid(v: &jsonschema::Validator, body: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\n{body:#}");
}

/// An online LPA with one original attorney, a replacement, an original trust corporation (so two act, and
/// decide jointly) and a person to notify.
fn online_with_everyone() -> Value {
    let mut app = lpaflow_test_support::lpa_application::application();
    app["trustCorporations"] = json!([trust_corporation("original")]);
    app["howAttorneysMakeDecisions"] = json!("jointly");
    app["peopleToNotify"] =
        json!([{"firstNames": "Grace", "lastName": "Hopper", "address": address("6 Road")}]);
    app["restrictionsAndConditions"] =
        json!("My attorneys must consult my family before selling my home.");
    app
}

/// A paper LPA: every actor on paper, so no one has an email. The original attorney acts jointly with a trust
/// corporation; the replacement attorney waits (`inactive` in the create).
fn paper() -> Value {
    let mut app = lpaflow_test_support::lpa_application::application();
    let mut tc = trust_corporation("original");
    tc["channel"] = json!("paper");
    tc.as_object_mut().unwrap().remove("email");
    app["trustCorporations"] = json!([tc]);
    app["howAttorneysMakeDecisions"] = json!("jointly");
    app["channel"] = json!("paper");
    app["lpaType"] = json!("personal-welfare");
    let o = app.as_object_mut().unwrap();
    o.remove("whenTheLpaCanBeUsed");
    o.insert("lifeSustainingTreatmentOption".into(), json!("option-a"));
    for a in app["attorneys"].as_array_mut().unwrap() {
        a["channel"] = json!("paper");
        a.as_object_mut().unwrap().remove("email");
    }
    app["certificateProvider"]["channel"] = json!("paper");
    app["certificateProvider"]
        .as_object_mut()
        .unwrap()
        .remove("email");
    app
}

fn uids_of(engine_data: &Value, list: &str) -> Vec<String> {
    engine_data["application"][list]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|a| a["uid"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn data(engine: &Engine, id: &InstanceId) -> Value {
    engine
        .get(id)
        .await
        .unwrap()
        .unwrap()
        .instance
        .data
        .to_value()
}

/// The online LPA: identity checks before the create, an opt-out with the replacement stepping in, every
/// kind of signature, the waiting period.
async fn online_lifecycle(engine: &Engine, id: &InstanceId) {
    create(engine, id, online_with_everyone()).await;
    send_to_opg(engine, id).await;
    let d = data(engine, id).await;
    let [original, replacement] = <[String; 2]>::try_from(uids_of(&d, "attorneys")).unwrap();
    let [tc] = <[String; 1]>::try_from(uids_of(&d, "trustCorporations")).unwrap();
    fire(
        engine,
        id,
        "service",
        "attorney_opt_out",
        json!({"uid": original}),
    )
    .await;
    let cp = json!({"contactLanguagePreference": "cy"});
    fire(engine, id, "service", "sign_as_certificate_provider", cp).await;
    let attorney =
        json!({"uid": replacement, "confirmedNotBankrupt": true, "mobile": "07700900123"});
    fire(engine, id, "service", "sign_as_attorney", attorney).await;
    let signatories = json!([
        {"firstNames": "Sam", "lastName": "Smith", "professionalTitle": "Director"},
        {"firstNames": "Sandra", "lastName": "Smith", "professionalTitle": "Company secretary"}
    ]);
    let tc_sign = json!({"uid": tc, "signatories": signatories});
    fire(engine, id, "service", "sign_as_trust_corporation", tc_sign).await;
    fire(engine, id, "service", "enter_waiting_period", json!({})).await;
}

/// The paper LPA: both identities checked after the create (updates), then everyone signs.
async fn paper_lifecycle(engine: &Engine, id: &InstanceId) {
    create(engine, id, paper()).await;
    submit_and_pay_unchecked(engine, id).await;
    fire(engine, id, "service", "sign_as_donor", json!({})).await;
    let checked = chrono::Utc::now().to_rfc3339();
    let donor = json!({"type": "opg-paper-id", "checkedAt": checked});
    fire(engine, id, "service", "confirm_donor_identity", donor).await;
    let cp = json!({"type": "opg-paper-id", "checkedAt": checked});
    fire(
        engine,
        id,
        "service",
        "confirm_certificate_provider_identity",
        cp,
    )
    .await;
    sign_after_donor(engine, id).await;
    let [tc] =
        <[String; 1]>::try_from(uids_of(&data(engine, id).await, "trustCorporations")).unwrap();
    let signatories = json!([
        {"firstNames": "Sam", "lastName": "Smith", "professionalTitle": "Director"}
    ]);
    let tc_sign = json!({"uid": tc, "signatories": signatories});
    fire(engine, id, "service", "sign_as_trust_corporation", tc_sign).await;
    fire(engine, id, "service", "enter_waiting_period", json!({})).await;
}

/// The paper LPA's create carries its waiting replacement attorney and its trust corporation, on paper.
async fn assert_paper_create_has_everyone(engine: &Engine, id: &InstanceId) {
    let steps = engine.steps(id).await.unwrap();
    let create = steps
        .iter()
        .find(|s| s.step.as_str() == "opg.create")
        .expect("the paper LPA was created at OPG");
    let lpa = &create.payload["lpa"];
    let attorneys: Vec<(&str, &str, &str)> = lpa["attorneys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap_or_default();
            (s("appointmentType"), s("status"), s("channel"))
        })
        .collect();
    assert_eq!(
        attorneys,
        [
            ("original", "active", "paper"),
            ("replacement", "inactive", "paper")
        ],
        "{lpa:#}"
    );
    assert_eq!(lpa["trustCorporations"][0]["channel"], "paper", "{lpa:#}");
    assert_eq!(lpa["trustCorporations"][0]["status"], "active", "{lpa:#}");
}

/// LPAs that end early, each after the create: withdrawn, the certificate provider opting out, a trust
/// corporation opting out, a caseworker's status change.
async fn early_ends(engine: &Engine, ids: &[InstanceId; 4]) {
    for id in ids {
        create(engine, id, online_with_everyone()).await;
        send_to_opg(engine, id).await;
    }
    fire(engine, &ids[0], "service", "withdraw", json!({})).await;
    fire(
        engine,
        &ids[1],
        "service",
        "certificate_provider_opt_out",
        json!({}),
    )
    .await;
    let tc = uids_of(&data(engine, &ids[2]).await, "trustCorporations")[0].clone();
    fire(
        engine,
        &ids[2],
        "service",
        "trust_corporation_opt_out",
        json!({"uid": tc}),
    )
    .await;
    let reason = json!({"reason": "the donor lacked capacity when signing"});
    fire(
        engine,
        &ids[3],
        "caseworker",
        "change_status:cannot_register",
        reason,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_of_whole_lifecycles_is_one_the_lpa_store_accepts() {
    let sim = start_sim().await;
    let db = TestDb::sqlite();
    let clock = clock();
    let engine = start_engine(db.url(), Some(&sim.url()), clock.clone(), 4, |_| {}).await;
    let (online, paper_lpa) = (uid(1), uid(2));
    let ends = [uid(3), uid(4), uid(5), uid(6)];
    online_lifecycle(&engine, &online).await;
    paper_lifecycle(&engine, &paper_lpa).await;
    early_ends(&engine, &ends).await;
    drained(engine.store(), LIMIT).await;
    end_waiting_period(&engine, &clock).await;
    for id in [&online, &paper_lpa] {
        eventually("registered", LIMIT, || async {
            engine.get(id).await.unwrap().unwrap().instance.state == "registered"
        })
        .await;
    }
    drained(engine.store(), LIMIT).await;

    assert_paper_create_has_everyone(&engine, &paper_lpa).await;

    let create_v = validator(&create_schema());
    let update_v = validator(&schema("update.json"));
    let mut sent: BTreeSet<String> = BTreeSet::new();
    let all: Vec<InstanceId> = [online.clone(), paper_lpa.clone()]
        .into_iter()
        .chain(ends.iter().cloned())
        .collect();
    for id in &all {
        for step in engine.steps(id).await.unwrap() {
            let what = format!("{id} {}", step.step);
            assert_eq!(
                step.status,
                StepStatus::Done,
                "{what}: {:?}",
                step.last_error
            );
            let result = step.result.clone().unwrap_or(Value::Null);
            assert_eq!(
                result["readback"]["readback"], "matched",
                "{what} reads back as sent: {result}"
            );
            if step.step.as_str() == "opg.create" {
                assert_valid(&create_v, &step.payload["lpa"], &what);
            } else {
                let mut body = Map::new();
                body.insert("type".into(), step.payload["type"].clone());
                body.insert("changes".into(), step.payload["changes"].clone());
                assert_valid(&update_v, &Value::Object(body), &what);
                sent.insert(step.payload["type"].as_str().unwrap().to_owned());
            }
        }
    }
    let every: BTreeSet<String> = SENT_UPDATE_TYPES
        .iter()
        .map(|t| t.as_str().to_owned())
        .collect();
    assert_eq!(sent, every, "every update type lpaflow sends was sent");
    let stats = sim.handle.stats();
    assert_eq!(stats.duplicates, 0, "{:?}", stats.duplicates_by_lpa);
    let report = reconcile_all(&engine, &sim).await;
    assert_eq!(
        report.summary.in_sync,
        all.len() as u64,
        "{:#?}",
        report.lpas
    );
    engine.shutdown().await;
    sim.handle.shutdown().await.unwrap();
}

#[test]
fn the_merged_schema_accepts_the_stores_own_examples_and_the_literal_one_does_not() {
    let merged = validator(&create_schema());
    let literal = validator(&schema("donor-details.json"));
    for name in ["example-lpa.json", "example-lpa-all-paper.json"] {
        let lpa = schema(name);
        assert_valid(&merged, &lpa, name);
        assert!(
            !literal.is_valid(&lpa),
            "{name}: read literally, the published schema refuses the store's own example"
        );
    }
    let mut extra = schema("example-lpa.json");
    extra["fee"] = json!({"claimedType": "FullFee"});
    assert!(
        !merged.is_valid(&extra),
        "a field the store does not model is refused"
    );
}
