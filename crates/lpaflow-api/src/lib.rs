//! lpaflow-api: the HTTP API of lpaflow (JSON, camelCase, under `/v1`), for services that advance LPAs,
//! caseworkers who decide, auditors who verify, and admins who plan OPG maintenance.
//!
//! [`router`] builds the whole application from an [`AppState`], so tests drive it with
//! `tower::ServiceExt::oneshot`; [`serve`] (`server.rs`) runs it on a listener, with connection limits and
//! graceful shutdown. Only this crate knows
//! HTTP wire types; handlers parse input, call the engine once and map the outcome (see `errors.rs`).

// Handlers return `Result<_, Problem>`: the error *is* the HTTP response body, built once per failed request,
// so its size does not matter and boxing it would only add noise to every handler.
#![allow(clippy::result_large_err)]

pub use lpaflow_http::auth;
pub mod authorize;
pub use lpaflow_http::body;
pub use lpaflow_http::errors;
pub mod etag;
pub use lpaflow_http::extract;
pub mod idempotency;
pub use lpaflow_http::metrics;
pub mod openapi;
pub mod prefer;
pub use lpaflow_http::problem;
pub use lpaflow_http::proxy;
pub mod routes;
pub mod server;
mod state;
pub use lpaflow_http::uid;

pub use auth::{Authenticator, Caller, Role};
pub use proxy::TrustedProxies;
pub use server::{ConnectionLimits, serve};
pub use state::{ApiConfig, AppState};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use problem::Problem;
use routes::queues;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// The HTTP API alone (no console).
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The whole HTTP application: the API, and `pages` (the web console, built by its own crate with its own
/// state) served beside it under the same layers (request ids, trusted proxies, the time limit, request
/// metrics, the body limit) and the same problem answers for unknown paths.
pub fn router_with(state: AppState, pages: Router) -> Router {
    use authorize::Who::{self, Anyone, Creators, EventFirers, Roles};
    const ADMIN: &[Role] = &[Role::Admin];
    use routes::audit::{READERS, VERIFIERS};
    // Route layers run outside in: the gate (authorization) is added last so it runs before idempotency.
    let gate = |who: Who, what: &'static str| {
        from_fn_with_state(authorize::Gate::new(&state, who, what), authorize::gate)
    };
    let idempotent = from_fn_with_state(state.clone(), idempotency::middleware);
    let v1 = Router::new()
        .route(
            "/lpas",
            post(routes::lpas::create)
                .route_layer(idempotent.clone())
                .route_layer(gate(Creators, "create LPAs"))
                .merge(
                    get(routes::queues::list)
                        .route_layer(gate(Roles(queues::LISTERS), "list LPAs")),
                ),
        )
        .route(
            "/lpas/next-case",
            post(routes::queues::next_case)
                .route_layer(gate(Roles(&[lpaflow_app::Role::Caseworker]), "take cases")),
        )
        .route(
            "/lpas/{uid}",
            get(routes::lpas::get).route_layer(gate(Anyone, "read LPAs")),
        )
        .route(
            "/lpas/{uid}/events",
            post(routes::lpas::fire)
                .route_layer(idempotent.clone())
                .route_layer(gate(EventFirers, "fire events")),
        )
        .route(
            "/lpas/{uid}/history",
            get(routes::audit::history).route_layer(gate(Roles(READERS), "read history")),
        )
        .route(
            "/lpas/{uid}/chain-head",
            get(routes::audit::chain_head).route_layer(gate(Roles(READERS), "read chain heads")),
        )
        .route(
            "/lpas/{uid}/sync",
            get(routes::sync::steps).route_layer(gate(Anyone, "read OPG steps")),
        )
        .route(
            "/lpas/{uid}/sync/{id}/retry",
            post(routes::sync::retry)
                .route_layer(idempotent.clone())
                .route_layer(gate(Roles(ADMIN), "retry OPG steps")),
        )
        .route(
            "/lpas/{uid}/sync/{id}/skip",
            post(routes::sync::skip)
                .route_layer(idempotent.clone())
                .route_layer(gate(Roles(ADMIN), "skip OPG steps")),
        )
        .route(
            "/audit/verify",
            get(routes::audit::verify).route_layer(gate(Roles(VERIFIERS), "verify history chains")),
        )
        .route(
            "/audit/checkpoint",
            get(routes::audit::checkpoint).route_layer(gate(Roles(VERIFIERS), "read checkpoints")),
        )
        .route(
            "/audit/consistency",
            get(routes::audit::consistency_proof)
                .route_layer(gate(Roles(VERIFIERS), "read consistency proofs")),
        )
        .route(
            "/lpas/{uid}/history/{seq}/proof",
            get(routes::audit::inclusion_proof).route_layer(gate(Roles(READERS), "read history")),
        )
        .route(
            "/lpas/{uid}/history/{seq}/reveal",
            post(routes::reveals::reveal).route_layer(gate(
                Roles(routes::reveals::REVEALERS),
                "reveal personal values",
            )),
        )
        .route(
            "/lpas/{uid}/reveals",
            get(routes::reveals::list).route_layer(gate(
                Roles(routes::reveals::REVEAL_READERS),
                "read the reveals",
            )),
        )
        .route(
            "/reports/fees",
            get(routes::reports::fees)
                .route_layer(gate(Roles(routes::reports::READERS), "read the fee report")),
        )
        .route(
            "/opg/status",
            get(routes::opg::status).route_layer(gate(Anyone, "read OPG's status")),
        )
        .route(
            "/opg/maintenance",
            post(routes::opg::add_maintenance)
                .route_layer(idempotent.clone())
                .route_layer(gate(Roles(ADMIN), "plan OPG maintenance"))
                .merge(
                    get(routes::opg::list_maintenance)
                        .route_layer(gate(Anyone, "list OPG maintenance")),
                ),
        )
        .route(
            "/opg/maintenance/{id}",
            delete(routes::opg::remove_maintenance)
                .route_layer(gate(Roles(ADMIN), "cancel OPG maintenance")),
        )
        .route(
            "/workflows",
            get(routes::workflows::list).route_layer(gate(Anyone, "read workflows")),
        )
        .route(
            "/workflows/{name}/{version}",
            get(routes::workflows::get).route_layer(gate(Anyone, "read workflows")),
        )
        .route(
            "/workflows/{name}/{version}/graph",
            get(routes::workflows::graph).route_layer(gate(Anyone, "read workflows")),
        )
        .route(
            "/dev/clock",
            post(routes::dev::advance)
                .route_layer(idempotent)
                .route_layer(gate(Roles(ADMIN), "move the development clock")),
        );
    // Built once: the loaded workflows do not change while the process runs.
    let served_document =
        openapi::catalogue::served(&openapi::catalogue::Catalogue::of(&state.lpas));
    let timeout = state.config.request_timeout;
    let body_limit = state.config.body_limit_bytes;
    let trusted_proxies = state.config.trusted_proxies.clone();
    Router::new()
        .nest("/v1", v1)
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::health::metrics))
        .route(
            "/openapi.json",
            get(move || {
                let body = served_document.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                }
            }),
        )
        .with_state(state)
        .merge(pages)
        .fallback(|| async {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "there is no such resource",
            )
            .into_response()
        })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this resource does not accept that method",
            )
            .into_response()
        })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(from_fn(metrics::track))
        .layer(from_fn_with_state(timeout, time_limit))
        .layer(from_fn_with_state(trusted_proxies, proxy::strip_untrusted))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Answers 503 `request_timeout` (a problem, like every failure) for a request not answered within `limit`.
async fn time_limit(
    axum::extract::State(limit): axum::extract::State<std::time::Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => Problem::internal(
            StatusCode::SERVICE_UNAVAILABLE,
            "request_timeout",
            "the request took longer than the server allows; retry",
            &format_args!("no answer within {limit:?}"),
        )
        .retry_after(1)
        .into_response(),
    }
}
