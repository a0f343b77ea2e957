//! The constraints `/openapi.json` declares, each checked against what the server does (issue 17, point 9):
//! the document passes `openapi-spec-validator` (CI installs it, `.ci/run`); operation ids are unique;
//! `Idempotency-Key` is declared exactly on the routes that honour it; every operation lists 500 and 503;
//! the uid pattern, the enumerations and the `limit` bounds accept what the server accepts and refuse what it
//! refuses; request bodies are typed; the 304 declares and sends its `ETag`.

use crate::common::{Harness, application, uid_of};
use crate::openapi::{concrete, document, method, operations, validate};
use axum::http::StatusCode;
use lpaflow_api::Role;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The validator's path, exported by `.ci/run`.
const VALIDATOR_ENV: &str = "LPAFLOW_OPENAPI_VALIDATOR";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_passes_openapi_spec_validator() {
    let Some(validator) = std::env::var_os(VALIDATOR_ENV) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI must set {VALIDATOR_ENV} (.ci/run installs openapi-spec-validator)"
        );
        eprintln!("skipped: {VALIDATOR_ENV} is not set (.ci/run installs openapi-spec-validator)");
        return;
    };
    let h = Harness::start().await;
    let doc = document(&h).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = std::process::Command::new(&validator)
        .arg("--errors")
        .arg("all")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{validator:?} does not run: {e}"));
    assert!(
        out.status.success(),
        "openapi-spec-validator refuses the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_has_its_own_operation_id() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let mut seen = BTreeSet::new();
    for (m, template, op) in operations(&doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{m} {template} has an operationId"));
        assert!(seen.insert(id.to_owned()), "{id} is used twice");
    }
}

fn declares_idempotency_key(op: &Value) -> bool {
    let declared: Vec<&Value> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == "Idempotency-Key")
        .collect();
    if let [p] = declared.as_slice() {
        assert_eq!(p["in"], "header");
        assert_eq!(p["schema"]["maxLength"], 255);
        return true;
    }
    assert!(declared.is_empty(), "declared at most once: {op}");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_key_is_declared_exactly_where_the_router_honours_it() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let mut honoured_routes = 0;
    for (m, template, op) in operations(&doc) {
        // A malformed key is refused (400 `invalid_idempotency_key`) by the idempotency layer only.
        let mut honoured = false;
        for role in Role::ALL {
            let r = h
                .req(method(&m), &concrete(&template))
                .role(role)
                .header("idempotency-key", "not a key")
                .json(&json!({}))
                .send()
                .await;
            honoured |= r.status == StatusCode::BAD_REQUEST
                && r.json()["code"] == "invalid_idempotency_key";
        }
        honoured_routes += usize::from(honoured);
        assert_eq!(
            declares_idempotency_key(&op),
            honoured,
            "{m} {template}: Idempotency-Key declared iff honoured"
        );
    }
    assert_eq!(honoured_routes, 6, "the six idempotent POST routes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_lists_500_and_503_as_problems() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    for (m, template, op) in operations(&doc) {
        for status in ["500", "503"] {
            let response = &op["responses"][status];
            assert!(response.is_object(), "{m} {template} lists {status}");
            if template != "/readyz" {
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{m} {template} {status}"
                );
            }
        }
        if template != "/readyz" {
            assert_eq!(
                op["responses"]["503"]["headers"]["Retry-After"]["schema"]["type"], "integer",
                "{m} {template}"
            );
        }
    }
}

fn uid_pattern(doc: &Value) -> regex::Regex {
    let mut patterns = BTreeSet::new();
    for (m, template, op) in operations(doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["name"] == "uid" {
                let pattern = p["schema"]["pattern"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{m} {template}: uid has a pattern"));
                patterns.insert(pattern.to_owned());
            }
        }
    }
    for shape in doc["components"]["schemas"]["Application"]["oneOf"]
        .as_array()
        .unwrap()
    {
        patterns.insert(
            shape["properties"]["uid"]["pattern"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(patterns.len(), 1, "one uid pattern: {patterns:?}");
    regex::Regex::new(patterns.first().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_uid_pattern_accepts_what_the_server_accepts_and_no_more() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let pattern = uid_pattern(&doc);
    for _ in 0..200 {
        let uid = lpaflow_api::uid::generate();
        assert!(pattern.is_match(uid.as_str()), "{uid}");
    }
    for candidate in [
        "M-QWER-TY34-6789",
        "M-1234-5678-9ABC",
        "M-QWER-TY34-678",
        "m-qwer-ty34-6789",
        "M-QWER-TY34-6789-",
        "X-QWER-TY34-6789",
        "M-QWER_TY34-6789",
        "M-OOOO-TY34-6789",
    ] {
        let r = h
            .get(&format!("/v1/lpas/{candidate}"))
            .role(Role::Service)
            .send()
            .await;
        let accepted = r.status == StatusCode::NOT_FOUND;
        assert!(
            accepted || r.status == StatusCode::BAD_REQUEST,
            "{candidate}"
        );
        assert_eq!(pattern.is_match(candidate), accepted, "{candidate}");
    }
}

/// The `enum` of the query parameter `name` of `GET template`.
fn query_enum(doc: &Value, template: &str, name: &str) -> Vec<String> {
    let params = doc["paths"][template]["get"]["parameters"]
        .as_array()
        .unwrap();
    let p = params.iter().find(|p| p["name"] == name).unwrap();
    p["schema"]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{template} {name} is an enum: {p}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enumerated_query_values_are_exactly_the_ones_the_server_accepts() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let cases = [
        ("/v1/lpas", "finding", "/v1/lpas?finding={}"),
        ("/v1/lpas", "label", "/v1/lpas?label={}"),
        ("/v1/lpas", "sync", "/v1/lpas?sync={}"),
        (
            "/v1/workflows/{name}/{version}/graph",
            "format",
            "/v1/workflows/lpa/4/graph?format={}",
        ),
    ];
    for (template, name, query) in cases {
        let values = query_enum(&doc, template, name);
        assert!(!values.is_empty());
        for value in values.iter().map(String::as_str).chain(["nope", "svg"]) {
            let r = h
                .get(&query.replace("{}", value))
                .role(Role::Caseworker)
                .send()
                .await;
            let documented = values.iter().any(|v| v == value);
            let expected = if documented {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            assert_eq!(r.status, expected, "{name}={value}: {}", r.text());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_bounds_are_declared_and_are_the_servers() {
    let h = Harness::start().await;
    let uid = h.create().await;
    let doc = document(&h).await;
    for (template, path) in [
        ("/v1/lpas", "/v1/lpas".to_owned()),
        ("/v1/lpas/{uid}/history", format!("/v1/lpas/{uid}/history")),
    ] {
        let params = doc["paths"][template]["get"]["parameters"]
            .as_array()
            .unwrap();
        let limit = &params.iter().find(|p| p["name"] == "limit").unwrap()["schema"];
        let min = limit["minimum"].as_u64().unwrap();
        let max = limit["maximum"].as_u64().unwrap();
        assert_eq!(min, 1, "{template}");
        for (value, status) in [
            (min - 1, StatusCode::UNPROCESSABLE_ENTITY),
            (min, StatusCode::OK),
            (max, StatusCode::OK),
            (max + 1, StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let r = h
                .get(&format!("{path}?limit={value}"))
                .role(Role::Caseworker)
                .send()
                .await;
            assert_eq!(r.status, status, "{template} limit={value}: {}", r.text());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_are_typed_and_their_enums_are_the_servers() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let body_schema = |template: &str| {
        doc["paths"][template]["post"]["requestBody"]["content"]["application/json"]["schema"]
            .clone()
    };
    let create = body_schema("/v1/lpas");
    assert_eq!(create["$ref"], "#/components/schemas/Application");
    let clock = body_schema("/v1/dev/clock");
    assert_eq!(clock["$ref"], "#/components/schemas/ClockRequest");
    validate(&doc, &clock, &json!({"advance": "28d"}), "").unwrap();
    assert!(validate(&doc, &clock, &json!({}), "").is_err());
    validate(&doc, &create, &application(), "").unwrap();
    // Online (the default): each enumerated field's value outside the enum is refused by the schema and by
    // the server.
    let online = &doc["components"]["schemas"]["Application"]["oneOf"][0];
    assert_eq!(online["additionalProperties"], json!(false), "{online}");
    let properties = online["properties"].as_object().unwrap();
    let mut keys: BTreeSet<&str> = lpaflow_lpa::validation::TOP_KEYS.iter().copied().collect();
    keys.insert("uid");
    assert_eq!(
        properties
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        keys,
        "the online schema names exactly the keys the rules read (and the API's uid)"
    );
    let mut without_channel = application();
    without_channel.as_object_mut().unwrap().remove("channel");
    assert!(validate(&doc, &create, &without_channel, "").is_err());
    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&without_channel)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let enumerated: Vec<&String> = properties
        .iter()
        .filter(|(_, p)| p["enum"].is_array())
        .map(|(name, _)| name)
        .collect();
    assert!(enumerated.len() >= 6, "{enumerated:?}");
    for name in enumerated {
        let mut body = application();
        body[name.as_str()] = json!("not-a-value");
        assert!(validate(&doc, &create, &body, "").is_err(), "{name}");
        let r = h
            .post("/v1/lpas")
            .role(Role::Service)
            .json(&body)
            .send()
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.text()
        );
        assert!(
            r.pointers().contains(&format!("/{name}")),
            "{name}: {:?}",
            r.pointers()
        );
    }
    // Paper: accepted as received, each problem a finding; the schema says so.
    let mut paper = application();
    paper["channel"] = json!("paper");
    paper["lpaType"] = json!("not-a-value");
    paper["unknownKey"] = json!(1);
    validate(&doc, &create, &paper, "").unwrap();
    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&paper)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_names_the_loaded_workflows_states_and_events() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let names = |schema: &Value| -> Vec<String> {
        schema["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("an enum: {schema}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let events = names(&doc["components"]["schemas"]["EventRequest"]["properties"]["event"]);
    for event in [
        "submit",
        "update_application",
        "accept_finding",
        "sign_as_donor",
    ] {
        assert!(events.contains(&event.to_owned()), "{event}: {events:?}");
    }
    let state_param = doc["paths"]["/v1/lpas"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "state")
        .unwrap()["schema"]
        .clone();
    let states = names(&state_param);
    assert!(states.contains(&"registered".to_owned()), "{states:?}");
    // Every state the document names is one the server filters by.
    for state in &states {
        let r = h
            .get(&format!("/v1/lpas?state={state}"))
            .role(Role::Caseworker)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{state}: {}", r.text());
    }
    // And a name it does not know is refused, as the enum says.
    let r = h
        .get("/v1/lpas?state=not-a-state")
        .role(Role::Caseworker)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_304_declares_its_etag_and_sends_it() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let declared = &doc["paths"]["/v1/lpas/{uid}"]["get"]["responses"]["304"]["headers"]["ETag"];
    assert!(declared["schema"].is_object(), "{declared}");
    let uid = uid_of(&h.create_with(application()).await);
    let first = h
        .get(&format!("/v1/lpas/{uid}"))
        .role(Role::Service)
        .send()
        .await;
    let tag = first.header("etag").unwrap().to_owned();
    let again = h
        .get(&format!("/v1/lpas/{uid}"))
        .role(Role::Service)
        .header("if-none-match", &tag)
        .send()
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.header("etag"), Some(tag.as_str()));
}
