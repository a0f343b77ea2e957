//! lpaflow-http: what the two HTTP adapters over `lpaflow-app` share, so that the API (`lpaflow-api`) and the
//! web console (`lpaflow-console`) answer alike without depending on each other: problem+json ([`problem`])
//! and the one mapping of the service's errors to it ([`errors`]), extractors and body readers that refuse
//! with problems ([`extract`], [`body`]), bearer-token authentication ([`auth`]), trusted proxies
//! ([`proxy`]), LPA uid parsing ([`uid`]), and the metrics recorder with request timing ([`metrics`]).

// The error *is* the HTTP response body, built once per failed request.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod body;
pub mod errors;
pub mod extract;
pub mod metrics;
pub mod problem;
pub mod proxy;
pub mod uid;
