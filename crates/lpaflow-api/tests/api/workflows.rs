//! `GET /v1/workflows`, one definition with its source, and its graph as Mermaid or dot.

use crate::common::{Harness, workflows_dir};
use axum::http::StatusCode;
use lpaflow_api::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loaded_workflows_are_listed_and_each_is_readable_with_its_source() {
    let h = Harness::start().await;
    let r = h.get("/v1/workflows").role(Role::Service).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list = r.json();
    let lpa = list
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "lpa")
        .unwrap_or_else(|| panic!("lpa is listed: {list}"))
        .clone();
    assert_eq!(lpa["version"], 4);
    assert_eq!(lpa["current"], true);
    assert!(
        lpa["hash"]
            .as_str()
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())),
        "{lpa}"
    );
    let r = h
        .get("/v1/workflows/lpa/4")
        .role(Role::Auditor)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let def = r.json();
    let source = std::fs::read_to_string(workflows_dir().join("lpa.toml")).unwrap();
    assert_eq!(def["source"], source.as_str());
    assert_eq!(def["reference"], json!({"name": "lpa", "version": 4}));
    assert_eq!(def["hash"], lpa["hash"]);
    assert_eq!(def["initial"], "created");
    assert!(
        def["transitions"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["event"] == "submit")),
        "{def}"
    );
    for (path, code) in [
        ("/v1/workflows/lpa/5", "workflow_not_found"),
        ("/v1/workflows/nope/1", "workflow_not_found"),
        ("/v1/workflows/lpa/5/graph", "workflow_not_found"),
    ] {
        h.get(path)
            .role(Role::Admin)
            .send()
            .await
            .problem(StatusCode::NOT_FOUND, code);
    }
    for path in ["/v1/workflows/lpa/latest", "/v1/workflows/lpa/-1/graph"] {
        h.get(path)
            .role(Role::Admin)
            .send()
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_path");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graph_is_mermaid_by_default_or_dot_and_may_highlight_a_state() {
    let h = Harness::start().await;
    let graph = |query: &'static str| {
        let h = &h;
        async move {
            h.get(&format!("/v1/workflows/lpa/4/graph{query}"))
                .role(Role::Caseworker)
                .send()
                .await
        }
    };
    let mermaid = graph("").await;
    assert_eq!(mermaid.status, StatusCode::OK);
    assert_eq!(
        mermaid.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(
        mermaid.text().starts_with("stateDiagram"),
        "{}",
        mermaid.text()
    );
    assert!(mermaid.text().contains("statutory_waiting_period"));
    assert_eq!(graph("?format=mermaid").await.text(), mermaid.text());
    let dot = graph("?format=dot").await;
    assert_eq!(dot.status, StatusCode::OK);
    assert_eq!(
        dot.header("content-type"),
        Some("text/vnd.graphviz; charset=utf-8")
    );
    assert!(dot.text().starts_with("digraph"), "{}", dot.text());
    let highlighted = graph("?format=dot&highlight=signing").await;
    assert_eq!(highlighted.status, StatusCode::OK);
    assert_ne!(highlighted.text(), dot.text(), "the highlight shows");

    let r = graph("?format=png").await;
    r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.pointers(), ["/format"]);
    let r = graph("?highlight=nowhere").await;
    r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.pointers(), ["/highlight"]);
}
