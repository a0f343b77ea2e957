//! The HTTP API on its router (`tower::ServiceExt::oneshot`), over the real LPA engine and a fresh SQLite
//! database per test: every status and error code of issue 7, idempotency under concurrency, the OpenAPI
//! description against the router, and random bodies at every POST endpoint. One binary, so one link.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod audit;
mod auth;
mod authorize;
mod console_audit;
mod console_forms;
mod disconnect;
mod fuzz;
mod health;
mod idempotency;
mod input;
mod lpas;
mod openapi;
mod openapi_rules;
mod opg;
mod prefer;
mod queues;
mod reports;
mod reveals;
mod search;
mod sessions;
mod sync;
mod workflows;
