//! `/openapi.json` against the router: every route is described with its method and no other; every
//! operation documents the statuses it really answers (probed with real requests), its security and its
//! problems as `application/problem+json`; every `$ref` resolves; and real responses of every kind validate
//! against the schemas the document gives them (as do examples, should any be added).
//!
//! The schemas are checked by a small validator for the JSON Schema keywords utoipa emits; it refuses any
//! keyword it does not know, so a schema it cannot judge fails the test instead of passing it.

use crate::common::{Harness, Reply, application, blocked_application, uid_of};
use axum::http::{Method, StatusCode};
use lpaflow_api::Role;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Every route `lpaflow_api::router` registers for the API (read from `src/lib.rs`).
const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/lpas"),
    ("get", "/v1/lpas"),
    ("post", "/v1/lpas/next-case"),
    ("get", "/v1/lpas/{uid}"),
    ("post", "/v1/lpas/{uid}/events"),
    ("get", "/v1/lpas/{uid}/history"),
    ("get", "/v1/lpas/{uid}/chain-head"),
    ("get", "/v1/lpas/{uid}/sync"),
    ("post", "/v1/lpas/{uid}/sync/{id}/retry"),
    ("post", "/v1/lpas/{uid}/sync/{id}/skip"),
    ("get", "/v1/audit/verify"),
    ("get", "/v1/audit/checkpoint"),
    ("get", "/v1/audit/consistency"),
    ("get", "/v1/lpas/{uid}/history/{seq}/proof"),
    ("post", "/v1/lpas/{uid}/history/{seq}/reveal"),
    ("get", "/v1/lpas/{uid}/reveals"),
    ("get", "/v1/reports/fees"),
    ("get", "/v1/opg/status"),
    ("post", "/v1/opg/maintenance"),
    ("get", "/v1/opg/maintenance"),
    ("delete", "/v1/opg/maintenance/{id}"),
    ("get", "/v1/workflows"),
    ("get", "/v1/workflows/{name}/{version}"),
    ("get", "/v1/workflows/{name}/{version}/graph"),
    ("post", "/v1/dev/clock"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

pub(crate) async fn document(h: &Harness) -> Value {
    let r = h.get("/openapi.json").send().await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    doc
}

/// Every (method, path template) the document describes.
pub(crate) fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// A concrete path for a template.
pub(crate) fn concrete(template: &str) -> String {
    template
        .replace("{uid}", "M-QWER-TY34-6789")
        .replace("{id}", "1")
        .replace("{seq}", "1")
        .replace("{name}", "lpa")
        .replace("{version}", "1")
}

pub(crate) fn method(m: &str) -> Method {
    m.to_uppercase().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_of_the_router_is_described_with_its_method_and_no_other() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let described: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(described, routed);
    // And the router agrees: each described operation is routed, each other method on its path is 405.
    for (m, template, _) in operations(&doc) {
        let r = h
            .req(method(&m), &concrete(&template))
            .role(Role::Admin)
            .json(&json!({}))
            .send()
            .await;
        if r.status == StatusCode::NOT_FOUND || r.status == StatusCode::METHOD_NOT_ALLOWED {
            let code = r.json()["code"].clone();
            assert!(
                code != "not_found" && code != "method_not_allowed",
                "{m} {template} is described but not routed: {}",
                r.text()
            );
        }
        for other in METHODS {
            if doc["paths"][&template].get(*other).is_none() {
                h.req(method(other), &concrete(&template))
                    .role(Role::Admin)
                    .send()
                    .await
                    .problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
            }
        }
    }
}

fn statuses(op: &Value) -> BTreeSet<String> {
    op["responses"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_documents_its_security_and_the_statuses_it_answers() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let mut missing = Vec::new();
    for (m, template, op) in operations(&doc) {
        let name = format!("{} {template}", m.to_uppercase());
        assert!(op["summary"].is_string(), "{name} has a summary");
        let documented = statuses(&op);
        assert!(!documented.is_empty(), "{name} has responses");
        for (status, response) in op["responses"].as_object().unwrap() {
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{name} {status} is described"
            );
            // `/readyz` answers probes with its own small body, also when not ready.
            if (status.starts_with('4') || status.starts_with('5')) && template != "/readyz" {
                let content = response["content"].as_object();
                assert_eq!(
                    content.map(|c| c.keys().cloned().collect::<Vec<_>>()),
                    Some(vec!["application/problem+json".to_owned()]),
                    "{name} {status} is a problem"
                );
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{name} {status}"
                );
            }
        }
        // Security is documented exactly where a request without a token is refused.
        let anonymous = h
            .req(method(&m), &concrete(&template))
            .json(&json!({}))
            .send()
            .await;
        let secured = anonymous.status == StatusCode::UNAUTHORIZED;
        assert_eq!(
            op.get("security").cloned(),
            secured.then(|| json!([{"bearer": []}])),
            "{name}: security matches what the router enforces"
        );
        let mut expected: BTreeSet<&str> = BTreeSet::new();
        if secured {
            expected.insert("401");
        }
        if template.contains("{uid}") {
            expected.extend(["400", "404"]);
        }
        if template.contains("{id}") || template.contains("{version}") {
            expected.insert("400");
        }
        if op.get("requestBody").is_some() {
            expected.extend(["400", "413", "422"]);
        }
        for role in Role::ALL {
            let r = h
                .req(method(&m), &concrete(&template))
                .role(role)
                .json(&json!({}))
                .send()
                .await;
            if r.status == StatusCode::FORBIDDEN {
                expected.insert("403");
            }
        }
        for status in expected {
            if !documented.contains(status) {
                missing.push(format!("{name} does not document {status}"));
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ref_and_security_scheme_resolves() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(
        refs.len() > 20,
        "the document uses components: {}",
        refs.len()
    );
    for r in refs {
        let target = resolve(&doc, &r);
        assert!(target.is_object(), "{r} resolves to a schema");
    }
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    for (_, _, op) in operations(&doc) {
        for requirement in op["security"].as_array().into_iter().flatten() {
            for scheme in requirement.as_object().unwrap().keys() {
                assert!(schemes.contains_key(scheme), "{scheme} is declared");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_in_the_document_validates_against_its_schema() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let mut examples = Vec::new();
    collect_examples(&doc, &mut examples);
    for (schema, example) in &examples {
        if let Err(why) = validate(&doc, schema, example, "") {
            panic!("the example {example} does not match {schema}: {why}");
        }
    }
}

/// Checks `reply` to `method template` against the document: its status is documented, and its body
/// validates against the schema documented for that status.
#[track_caller]
fn check_documented(doc: &Value, m: &str, template: &str, reply: &Reply) {
    let status = reply.status.as_u16().to_string();
    let response = &doc["paths"][template][m]["responses"][&status];
    assert!(
        response.is_object(),
        "{m} {template} answered {status}, which is not documented: {}",
        reply.text()
    );
    let content_type = reply.header("content-type").unwrap_or_default();
    let Some(content) = response["content"].as_object() else {
        assert!(
            reply.bytes.is_empty(),
            "{m} {template} {status} has no documented body"
        );
        return;
    };
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let documented = content.get(media).unwrap_or_else(|| {
        panic!("{m} {template} {status}: {media} is not documented: {content:?}")
    });
    if media.ends_with("json")
        && let Err(why) = validate(doc, &documented["schema"], &reply.json(), "")
    {
        panic!(
            "{m} {template} {status}: the body does not match its schema: {why}\n{}",
            reply.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_responses_match_their_documented_statuses_and_schemas() {
    let h = Harness::start().await;
    let doc = document(&h).await;
    let check = |m: &str, template: &str, r: &Reply| check_documented(&doc, m, template, r);

    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&application())
        .send()
        .await;
    check("post", "/v1/lpas", &r);
    let uid = uid_of(&r.json());
    for (role, body) in [
        (Role::Service, json!([])),
        (Role::Caseworker, application()),
        (Role::Service, json!({"uid": "nope"})),
        (Role::Service, json!({"lpaType": 3})),
    ] {
        let r = h.post("/v1/lpas").role(role).json(&body).send().await;
        check("post", "/v1/lpas", &r);
    }
    let r = h
        .post("/v1/lpas")
        .role(Role::Service)
        .body("{")
        .send()
        .await;
    check("post", "/v1/lpas", &r);
    let r = h.post("/v1/lpas").send().await;
    check("post", "/v1/lpas", &r);

    let blocked = uid_of(&h.create_with(blocked_application()).await);
    let events = "/v1/lpas/{uid}/events";
    for (target, role, body, if_match) in [
        (&uid, Role::Service, json!({"event": "submit"}), None),
        (&uid, Role::Service, json!({"event": "submit"}), None),
        (&uid, Role::Caseworker, json!({"event": "withdraw"}), None),
        (&uid, Role::Service, json!({"event": "nope"}), None),
        (
            &uid,
            Role::Service,
            json!({"event": "withdraw"}),
            Some("\"1\""),
        ),
        (
            &uid,
            Role::Service,
            json!({"event": "update_application", "payload": {}}),
            None,
        ),
        (&blocked, Role::Service, json!({"event": "submit"}), None),
    ] {
        let mut req = h
            .post(&format!("/v1/lpas/{target}/events"))
            .role(role)
            .json(&body);
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        check("post", events, &req.send().await);
    }
    let r = h
        .post("/v1/lpas/M-QWER-TY34-6789/events")
        .role(Role::Service)
        .json(&json!({"event": "submit"}))
        .send()
        .await;
    check("post", events, &r);

    for (m, template, path, role) in [
        (
            "get",
            "/v1/lpas/{uid}",
            format!("/v1/lpas/{uid}?explain=true"),
            Role::Service,
        ),
        (
            "get",
            "/v1/lpas/{uid}",
            "/v1/lpas/M-QWER-TY34-6789".to_owned(),
            Role::Service,
        ),
        (
            "get",
            "/v1/lpas/{uid}",
            "/v1/lpas/bad".to_owned(),
            Role::Service,
        ),
        (
            "get",
            "/v1/lpas",
            "/v1/lpas?limit=1".to_owned(),
            Role::Caseworker,
        ),
        (
            "get",
            "/v1/lpas",
            "/v1/lpas?state=nowhere".to_owned(),
            Role::Caseworker,
        ),
        (
            "get",
            "/v1/lpas",
            "/v1/lpas?cursor=bad".to_owned(),
            Role::Caseworker,
        ),
        (
            "get",
            "/v1/lpas",
            "/v1/lpas?limit=x".to_owned(),
            Role::Caseworker,
        ),
        ("get", "/v1/lpas", "/v1/lpas".to_owned(), Role::Service),
        (
            "get",
            "/v1/lpas/{uid}/history",
            format!("/v1/lpas/{uid}/history"),
            Role::Auditor,
        ),
        (
            "get",
            "/v1/lpas/{uid}/history",
            format!("/v1/lpas/{uid}/history"),
            Role::Service,
        ),
        (
            "get",
            "/v1/lpas/{uid}/chain-head",
            format!("/v1/lpas/{uid}/chain-head"),
            Role::Auditor,
        ),
        (
            "get",
            "/v1/audit/verify",
            "/v1/audit/verify".to_owned(),
            Role::Auditor,
        ),
        (
            "get",
            "/v1/audit/verify",
            "/v1/audit/verify".to_owned(),
            Role::Caseworker,
        ),
        (
            "get",
            "/v1/reports/fees",
            "/v1/reports/fees?from=2026-01-01&to=2026-12-31".to_owned(),
            Role::Auditor,
        ),
        (
            "get",
            "/v1/reports/fees",
            "/v1/reports/fees?from=2026-02-30".to_owned(),
            Role::Caseworker,
        ),
        (
            "get",
            "/v1/reports/fees",
            "/v1/reports/fees".to_owned(),
            Role::Service,
        ),
        (
            "get",
            "/v1/lpas/{uid}/sync",
            format!("/v1/lpas/{uid}/sync"),
            Role::Service,
        ),
        (
            "get",
            "/v1/opg/status",
            "/v1/opg/status".to_owned(),
            Role::Service,
        ),
        (
            "get",
            "/v1/opg/maintenance",
            "/v1/opg/maintenance".to_owned(),
            Role::Service,
        ),
        (
            "get",
            "/v1/workflows",
            "/v1/workflows".to_owned(),
            Role::Service,
        ),
        (
            "get",
            "/v1/workflows/{name}/{version}",
            "/v1/workflows/lpa/4".to_owned(),
            Role::Service,
        ),
        (
            "get",
            "/v1/workflows/{name}/{version}",
            "/v1/workflows/lpa/9".to_owned(),
            Role::Service,
        ),
        (
            "get",
            "/v1/workflows/{name}/{version}/graph",
            "/v1/workflows/lpa/4/graph".to_owned(),
            Role::Service,
        ),
        (
            "get",
            "/v1/workflows/{name}/{version}/graph",
            "/v1/workflows/lpa/4/graph?format=dot".to_owned(),
            Role::Service,
        ),
        (
            "get",
            "/v1/workflows/{name}/{version}/graph",
            "/v1/workflows/lpa/4/graph?format=svg".to_owned(),
            Role::Service,
        ),
        (
            "post",
            "/v1/lpas/{uid}/sync/{id}/retry",
            format!("/v1/lpas/{uid}/sync/1/retry"),
            Role::Admin,
        ),
        (
            "post",
            "/v1/lpas/{uid}/sync/{id}/skip",
            format!("/v1/lpas/{uid}/sync/999/skip"),
            Role::Admin,
        ),
        (
            "post",
            "/v1/lpas/{uid}/sync/{id}/skip",
            format!("/v1/lpas/{uid}/sync/1/skip"),
            Role::Service,
        ),
        (
            "delete",
            "/v1/opg/maintenance/{id}",
            "/v1/opg/maintenance/77".to_owned(),
            Role::Admin,
        ),
        (
            "post",
            "/v1/dev/clock",
            "/v1/dev/clock".to_owned(),
            Role::Admin,
        ),
        ("get", "/healthz", "/healthz".to_owned(), Role::Service),
        ("get", "/readyz", "/readyz".to_owned(), Role::Service),
        ("get", "/metrics", "/metrics".to_owned(), Role::Service),
    ] {
        let body = if m == "post" {
            json!({"advance": "1h"})
        } else {
            Value::Null
        };
        let mut req = h.req(method(m), &path).role(role);
        if !body.is_null() {
            req = req.json(&body);
        }
        check(m, template, &req.send().await);
    }
    let window =
        json!({"from": "2030-01-01T00:00:00Z", "to": "2030-01-01T02:00:00Z", "reason": "upgrade"});
    for (role, body) in [
        (Role::Admin, window.clone()),
        (Role::Admin, json!({})),
        (Role::Service, window),
    ] {
        let r = h
            .post("/v1/opg/maintenance")
            .role(role)
            .json(&body)
            .send()
            .await;
        check("post", "/v1/opg/maintenance", &r);
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// Every (schema, example) pair: `example` beside a schema, or `examples` of a media type or parameter.
fn collect_examples(v: &Value, out: &mut Vec<(Value, Value)>) {
    match v {
        Value::Object(m) => {
            if let Some(example) = m.get("example") {
                let schema = m.get("schema").cloned().unwrap_or_else(|| v.clone());
                out.push((schema, example.clone()));
            }
            if let (Some(Value::Object(examples)), Some(schema)) =
                (m.get("examples"), m.get("schema"))
            {
                for e in examples.values() {
                    out.push((schema.clone(), e["value"].clone()));
                }
            }
            if let (Some(Value::Array(examples)), Some(Value::String(_))) =
                (m.get("examples"), m.get("type"))
            {
                for e in examples {
                    out.push((v.clone(), e.clone()));
                }
            }
            m.values().for_each(|x| collect_examples(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_examples(x, out)),
        _ => {}
    }
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("{reference} is not local"));
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("{reference} does not resolve"))
}

fn type_matches(name: &str, v: &Value) -> bool {
    match name {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        other => panic!("unknown JSON Schema type {other}"),
    }
}

/// Validates `v` against `schema` (the subset of JSON Schema 2020-12 utoipa emits); the first mismatch.
pub(crate) fn validate(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let Some(s) = schema.as_object() else {
        return match schema {
            Value::Bool(true) => Ok(()),
            _ => Err(format!("{at}: unusable schema {schema}")),
        };
    };
    for (key, rule) in s {
        match key.as_str() {
            "description" | "title" | "default" | "example" | "examples" | "deprecated"
            | "readOnly" | "writeOnly" | "contentMediaType" => {}
            "$ref" => validate(doc, resolve(doc, rule.as_str().unwrap()), v, at)?,
            "type" => {
                let names: Vec<&str> = match rule {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                    _ => return Err(format!("{at}: bad type {rule}")),
                };
                if !names.iter().any(|t| type_matches(t, v)) {
                    return Err(format!("{at}: {v} is not {names:?}"));
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, sub) in rule.as_object().unwrap() {
                        if let Some(x) = o.get(name) {
                            validate(doc, sub, x, &format!("{at}/{name}"))?;
                        }
                    }
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for name in rule.as_array().unwrap() {
                        let name = name.as_str().unwrap();
                        if !o.contains_key(name) {
                            return Err(format!("{at}: {name} is required"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let (Some(o), Some(props)) = (v.as_object(), Some(empty_or(s.get("properties"))))
                {
                    for (name, x) in o {
                        if !props.contains_key(name) {
                            match rule {
                                Value::Bool(false) => {
                                    return Err(format!("{at}: {name} is not allowed"));
                                }
                                Value::Bool(true) => {}
                                sub => validate(doc, sub, x, &format!("{at}/{name}"))?,
                            }
                        }
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        validate(doc, rule, x, &format!("{at}/{i}"))?;
                    }
                }
            }
            "enum" => {
                if !rule.as_array().unwrap().contains(v) {
                    return Err(format!("{at}: {v} is not one of {rule}"));
                }
            }
            "const" => {
                if rule != v {
                    return Err(format!("{at}: {v} is not {rule}"));
                }
            }
            "pattern" => {
                if let Some(text) = v.as_str() {
                    let re = regex::Regex::new(rule.as_str().unwrap()).unwrap();
                    if !re.is_match(text) {
                        return Err(format!("{at}: {text:?} does not match {rule}"));
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let (Some(text), Some(bound)) = (v.as_str(), rule.as_u64()) {
                    let n = text.chars().count() as u64;
                    if (key == "minLength" && n < bound) || (key == "maxLength" && n > bound) {
                        return Err(format!("{at}: {text:?} breaks {key} {bound}"));
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let (Some(items), Some(bound)) = (v.as_array(), rule.as_u64()) {
                    let n = items.len() as u64;
                    if (key == "minItems" && n < bound) || (key == "maxItems" && n > bound) {
                        return Err(format!("{at}: {n} items break {key} {bound}"));
                    }
                }
            }
            "minimum" => {
                if let (Some(x), Some(min)) = (v.as_f64(), rule.as_f64())
                    && x < min
                {
                    return Err(format!("{at}: {v} is below {min}"));
                }
            }
            "maximum" => {
                if let (Some(x), Some(max)) = (v.as_f64(), rule.as_f64())
                    && x > max
                {
                    return Err(format!("{at}: {v} is above {max}"));
                }
            }
            "format" => {
                if let (Some(text), Some("date-time")) = (v.as_str(), rule.as_str())
                    && chrono::DateTime::parse_from_rfc3339(text).is_err()
                {
                    return Err(format!("{at}: {text} is not a date-time"));
                }
            }
            "allOf" => {
                for sub in rule.as_array().unwrap() {
                    validate(doc, sub, v, at)?;
                }
            }
            "anyOf" => {
                if !rule
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|sub| validate(doc, sub, v, at).is_ok())
                {
                    return Err(format!("{at}: {v} matches none of {rule}"));
                }
            }
            "oneOf" => {
                let n = rule
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|sub| validate(doc, sub, v, at).is_ok())
                    .count();
                if n != 1 {
                    return Err(format!("{at}: {v} matches {n} of {rule}"));
                }
            }
            other => panic!("the test's validator does not know the keyword {other:?} ({at})"),
        }
    }
    Ok(())
}

fn empty_or(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object).cloned().unwrap_or_default()
}
