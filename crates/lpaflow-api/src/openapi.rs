//! The OpenAPI description, generated from the handlers' annotations (utoipa) and served at
//! `/openapi.json`. A test checks that every route of the router is described, and CI runs
//! `openapi-spec-validator` on the served document. What every operation shares is added by
//! [`refine::Refine`]; schemas no Rust type derives are in [`schemas`].

pub mod catalogue;
pub mod refine;
pub mod schemas;

use crate::routes;
use refine::Refine;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "HS256; claims `sub`, `role` (service, caseworker, auditor, admin), `exp`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "lpaflow", description = "Progressive approval of Lasting Powers of Attorney: a durable workflow engine synced to the OPG database. Errors are `application/problem+json` with a stable `code`."),
    paths(
        routes::lpas::create, routes::lpas::get, routes::lpas::fire,
        routes::queues::list, routes::queues::next_case,
        routes::reports::fees,
        routes::audit::history, routes::audit::chain_head, routes::audit::verify,
        routes::audit::checkpoint, routes::audit::inclusion_proof, routes::audit::consistency_proof,
        routes::reveals::reveal, routes::reveals::list,
        routes::sync::steps, routes::sync::retry, routes::sync::skip,
        routes::opg::status, routes::opg::add_maintenance, routes::opg::list_maintenance, routes::opg::remove_maintenance,
        routes::workflows::list, routes::workflows::get, routes::workflows::graph,
        routes::health::healthz, routes::health::readyz, routes::health::metrics,
        routes::dev::advance,
    ),
    components(schemas(
        crate::problem::Problem, crate::problem::FieldProblem, crate::auth::Role,
        lpaflow_app::view::LpaView, routes::lpas::Answer, crate::prefer::Written, lpaflow_app::view::StepView, lpaflow_app::view::SyncView, lpaflow_app::view::TimerView, lpaflow_app::view::WorkflowRefView,
        routes::lpas::EventRequest, routes::queues::QueuePage, routes::queues::NextCase, routes::audit::HistoryEntryView, routes::audit::ChainHeadView,
        routes::audit::VerifyView, routes::sync::SyncStepsView, routes::opg::OpgStatus, routes::opg::MaintenanceRequest,
        routes::workflows::WorkflowSummary, routes::reports::FeeReportView, routes::dev::ClockView,
        routes::reveals::RevealRequest, routes::reveals::RevealView, routes::reveals::RevealedEntry,
        schemas::Application, schemas::ClockRequest,
    )),
    modifiers(&BearerAuth, &Refine),
    tags(
        (name = "lpas", description = "Create LPAs, fire events, caseworker queues"),
        (name = "audit", description = "History, hash chains and their verification"),
        (name = "sync", description = "OPG steps of one LPA"),
        (name = "reports", description = "Figures over many LPAs: fees, reductions and refunds by month"),
        (name = "opg", description = "The OPG database: status and maintenance windows"),
        (name = "workflows", description = "Loaded workflow definitions"),
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "dev", description = "Development only"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document as the code alone gives it (without the loaded workflows' names: see
/// [`catalogue::document_for`], which `/openapi.json` serves).
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
