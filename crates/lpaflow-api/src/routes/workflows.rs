//! `GET /v1/workflows`, `GET /v1/workflows/{name}/{version}` and its graph.

use crate::auth::Caller;
use crate::extract::{Path, Query};
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lpaflow_core::graph::{GraphFormat, render};
use lpaflow_core::{StateName, WorkflowDef};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// One loaded definition.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowSummary {
    /// Name.
    pub name: String,
    /// Version.
    pub version: u32,
    /// SHA-256 of its text.
    pub hash: String,
    /// New instances use it.
    pub current: bool,
    /// Plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Every loaded workflow version.
#[utoipa::path(get, path = "/v1/workflows", operation_id = "listWorkflows", tag = "workflows",
    responses((status = 200, description = "Definitions", body = [WorkflowSummary]), (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, _caller: Caller) -> Json<Vec<WorkflowSummary>> {
    Json(
        state
            .lpas
            .workflows()
            .into_iter()
            .map(|w| WorkflowSummary {
                name: w.def.name().to_owned(),
                version: w.def.version(),
                hash: w.def.hash().to_owned(),
                current: w.current,
                description: w.def.description().map(str::to_owned),
            })
            .collect(),
    )
}

fn find(state: &AppState, name: &str, version: u32) -> Result<Arc<WorkflowDef>, Problem> {
    state.lpas.workflow(name, version).ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "workflow_not_found",
            format!("no workflow {name}@v{version} is loaded"),
        )
    })
}

/// One definition: states, transitions, roles, guards, steps, timers; and its source text.
#[utoipa::path(get, path = "/v1/workflows/{name}/{version}", operation_id = "getWorkflow", tag = "workflows",
    params(("name" = String, Path), ("version" = u32, Path)),
    responses(
        (status = 200, description = "The definition", body = Object),
        (status = 400, description = "`invalid_path`: the version is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`workflow_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller,
    Path((name, version)): Path<(String, u32)>,
) -> Result<Json<Value>, Problem> {
    let def = find(&state, &name, version)?;
    let mut v = serde_json::to_value(&*def).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        let source = state.lpas.workflow_source(&def).unwrap_or_default();
        obj.insert("source".to_owned(), Value::String(source));
    }
    Ok(Json(v))
}

/// Graph options.
#[derive(Debug, Deserialize, IntoParams)]
pub struct GraphQuery {
    /// `mermaid` (default) or `dot`.
    #[param(schema_with = crate::openapi::schemas::graph_format)]
    pub format: Option<String>,
    /// A state to highlight.
    pub highlight: Option<String>,
}

/// The definition drawn as a Mermaid state diagram or a Graphviz digraph.
#[utoipa::path(get, path = "/v1/workflows/{name}/{version}/graph", operation_id = "getWorkflowGraph", tag = "workflows",
    params(("name" = String, Path), ("version" = u32, Path), GraphQuery),
    responses(
        (status = 200, description = "The graph: Mermaid as `text/plain`, dot as `text/vnd.graphviz`", content((String = "text/plain"), (String = "text/vnd.graphviz"))),
        (status = 400, description = "`invalid_path`: the version is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`workflow_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: unknown format or state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn graph(
    State(state): State<AppState>,
    _caller: Caller,
    Path((name, version)): Path<(String, u32)>,
    Query(q): Query<GraphQuery>,
) -> Result<Response, Problem> {
    let def = find(&state, &name, version)?;
    let format = match q
        .format
        .as_deref()
        .unwrap_or("mermaid")
        .parse::<GraphFormat>()
    {
        Ok(f) => f,
        Err(_) => {
            return Err(Problem::validation(vec![
                crate::problem::FieldProblem::new("/format", "must be `mermaid` or `dot`"),
            ]));
        }
    };
    let highlight = match q.highlight {
        Some(h) if def.state(&StateName::new(&h)).is_none() => {
            return Err(Problem::validation(vec![
                crate::problem::FieldProblem::new(
                    "/highlight",
                    format!("{h:?} is not a state of {name}@v{version}"),
                ),
            ]));
        }
        other => other.map(StateName::new),
    };
    let text = render(&def, format, highlight.as_ref());
    let content_type = match format {
        GraphFormat::Mermaid => "text/plain; charset=utf-8",
        GraphFormat::Dot => "text/vnd.graphviz; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}
