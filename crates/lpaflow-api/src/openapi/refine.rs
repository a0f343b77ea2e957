//! What every operation shares, added once rather than in each of the 22 annotations, so a new route cannot
//! forget it: the 500 and 503 any route may answer (a fault; an unavailable database or `request_timeout`,
//! both with `Retry-After`), the `Idempotency-Key` header on exactly the routes the router gives the
//! idempotency layer ([`IDEMPOTENT`]; the OpenAPI test checks that list against the router) with what that
//! layer answers (422 reused key, 409 key in progress, 413), the uid
//! pattern on every parameter named `uid`, and header parameters typed as text (never `null`).

use super::schemas;
use utoipa::Modify;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, header::HeaderBuilder};

/// The (method, path) of every route with the idempotency layer in `lib.rs`'s router.
pub const IDEMPOTENT: &[(&str, &str)] = &[
    ("post", "/v1/lpas"),
    ("post", "/v1/lpas/{uid}/events"),
    ("post", "/v1/lpas/{uid}/sync/{id}/retry"),
    ("post", "/v1/lpas/{uid}/sync/{id}/skip"),
    ("post", "/v1/opg/maintenance"),
    ("post", "/v1/dev/clock"),
];

/// The modifier.
pub struct Refine;

impl Modify for Refine {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, op) in operations(item) {
                add_failures(op);
                let idempotent = IDEMPOTENT.contains(&(method, path.as_str()));
                if idempotent {
                    add_key_answers(op);
                }
                let params = op.parameters.get_or_insert_with(Vec::new);
                if idempotent {
                    params.retain(|p| !p.name.eq_ignore_ascii_case("idempotency-key"));
                    params.push(idempotency_key());
                }
                for p in params.iter_mut().filter(|p| p.name == "uid") {
                    p.schema = Some(schemas::uid().into());
                }
                for p in params
                    .iter_mut()
                    .filter(|p| p.parameter_in == ParameterIn::Header)
                {
                    not_null(p);
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("post", item.post.as_mut()),
        ("put", item.put.as_mut()),
        ("patch", item.patch.as_mut()),
        ("delete", item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

fn add_failures(op: &mut Operation) {
    let responses = &mut op.responses.responses;
    responses
        .entry("500".to_owned())
        .or_insert_with(|| problem("`internal_error`: a fault on the server; the details are in its log, never in the answer", false));
    responses.entry("503".to_owned()).or_insert_with(|| {
        problem(
            "`store_unavailable`, `database_read_only`, `database_full` (the database), `request_timeout`, `contended`, `shutting_down`: retry after `Retry-After` seconds",
            true,
        )
    });
}

/// What the idempotency layer itself may answer on a route it guards: a key used with another request (422),
/// a key whose first request is still running (409, with `Retry-After`), a body too large to fingerprint (413).
const KEY_ANSWERS: [(&str, &str, &str, bool); 3] = [
    (
        "422",
        "idempotency_key_reused",
        "`idempotency_key_reused`: this `Idempotency-Key` was used with a different request",
        false,
    ),
    (
        "409",
        "idempotency_key_in_progress",
        "`idempotency_key_in_progress`: the first request with this `Idempotency-Key` is still running; retry after `Retry-After` seconds",
        true,
    ),
    (
        "413",
        "payload_too_large",
        "`payload_too_large`: the body is larger than the server accepts",
        false,
    ),
];

fn add_key_answers(op: &mut Operation) {
    for (status, code, description, retry_after) in KEY_ANSWERS {
        match op.responses.responses.get_mut(status) {
            Some(RefOr::T(response)) if !response.description.contains(code) => {
                response.description = format!("{}; {description}", response.description);
            }
            Some(_) => {}
            None => {
                op.responses
                    .responses
                    .insert(status.to_owned(), problem(description, retry_after));
            }
        }
    }
}

fn problem(description: &str, retry_after: bool) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build();
    let mut response = ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", content);
    if retry_after {
        let seconds = HeaderBuilder::new()
            .schema(schemas::integer(0))
            .description(Some("Seconds to wait before retrying"))
            .build();
        response = response.header("Retry-After", seconds);
    }
    response.build().into()
}

/// A header is text or absent, never JSON `null`: an optional header's schema is a string (utoipa types an
/// `Option<String>` as string-or-null, and a generator then sends the text `null`).
fn not_null(p: &mut Parameter) {
    if let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut()
        && let SchemaType::Array(types) = &o.schema_type
        && types.contains(&Type::Null)
    {
        o.schema_type = SchemaType::Type(Type::String);
    }
}

fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Retries with the same key and body return the original response (`Idempotent-Replayed: true`); the same key with another body is 422 `idempotency_key_reused`; an invalid key is 400 `invalid_idempotency_key`. Keys belong to the token's role and subject.",
        ))
        .schema(Some(schemas::idempotency_key()))
        .build()
}
