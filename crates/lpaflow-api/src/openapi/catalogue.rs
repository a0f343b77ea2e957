//! The parts of the document the loaded workflows decide: the states an LPA can be in (the queues' `state`
//! filter, a graph's `highlight`) and the events a request can fire. The static document ([`super::document`])
//! cannot know them; the served one ([`document_for`]) enumerates them, so a client or a fuzzer generating
//! requests from the document sends names the server knows.

use lpaflow_app::LpaService;
use lpaflow_app::schema::text_enum;
use utoipa::openapi::path::{Operation, Parameter};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi, RefOr};

/// What the loaded definitions allow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalogue {
    /// States of the current LPA workflow (what `GET /v1/lpas?state=` accepts).
    pub lpa_states: Vec<String>,
    /// States of every loaded definition (what a graph can highlight).
    pub all_states: Vec<String>,
    /// Events of every loaded LPA definition (an LPA fires its pinned version's).
    pub lpa_events: Vec<String>,
}

impl Catalogue {
    /// What `lpas` has loaded.
    pub fn of(lpas: &LpaService) -> Self {
        let workflows = lpas.workflows();
        let lpa_workflow = &lpas.settings().lpa_workflow;
        let mut all_states = Vec::new();
        let mut lpa_events = Vec::new();
        for w in &workflows {
            push_new(
                &mut all_states,
                w.def.states().iter().map(|s| s.name.to_string()),
            );
            if w.def.name() == lpa_workflow.as_str() {
                push_new(
                    &mut lpa_events,
                    w.def.events().into_iter().map(ToString::to_string),
                );
            }
        }
        Self {
            lpa_states: lpas.lpa_states(),
            all_states,
            lpa_events,
        }
    }
}

fn push_new(into: &mut Vec<String>, names: impl Iterator<Item = String>) {
    for name in names {
        if !into.contains(&name) {
            into.push(name);
        }
    }
}

/// The document with the names `catalogue` holds enumerated.
pub fn document_for(catalogue: &Catalogue) -> OpenApi {
    let mut doc = super::document();
    if let (Some(op), Some(states)) = (
        operation(&mut doc, "/v1/lpas", "get"),
        enumerated(&catalogue.lpa_states, "A state of the LPA workflow"),
    ) {
        set_parameter(op, "state", states);
    }
    if let (Some(op), Some(states)) = (
        operation(&mut doc, "/v1/workflows/{name}/{version}/graph", "get"),
        enumerated(
            &catalogue.all_states,
            "A state of that workflow to highlight",
        ),
    ) {
        set_parameter(op, "highlight", states);
    }
    if let (Some(RefOr::T(Schema::Object(request))), Some(events)) = (
        doc.components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("EventRequest")),
        enumerated(
            &catalogue.lpa_events,
            "The event, e.g. `submit`, `accept_finding`, `sign_as_donor`",
        ),
    ) {
        request.properties.insert("event".to_owned(), events.into());
    }
    doc
}

/// [`document_for`] as the JSON `/openapi.json` answers.
pub fn served(catalogue: &Catalogue) -> axum::body::Bytes {
    match serde_json::to_vec(&document_for(catalogue)) {
        Ok(json) => json.into(),
        // A document of derived types always serializes; should it not, say so rather than serve nothing.
        Err(e) => {
            format!("{{\"error\":\"the OpenAPI document could not be serialized: {e}\"}}").into()
        }
    }
}

/// A text enum of `values`; none when there are none (an empty enum would allow nothing).
fn enumerated(values: &[String], description: &str) -> Option<utoipa::openapi::schema::Object> {
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    (!values.is_empty()).then(|| text_enum(&values, description))
}

fn operation<'a>(doc: &'a mut OpenApi, path: &str, method: &str) -> Option<&'a mut Operation> {
    let item = doc.paths.paths.get_mut(path)?;
    match method {
        "get" => item.get.as_mut(),
        "post" => item.post.as_mut(),
        _ => None,
    }
}

fn set_parameter(op: &mut Operation, name: &str, schema: utoipa::openapi::schema::Object) {
    if let Some(p) = op
        .parameters
        .get_or_insert_with(Vec::new)
        .iter_mut()
        .find(|p: &&mut Parameter| p.name == name)
    {
        p.schema = Some(schema.into());
    }
}
