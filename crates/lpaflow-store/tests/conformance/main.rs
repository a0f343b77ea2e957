//! One conformance suite for both backends: every test runs on a fresh SQLite file and, when PostgreSQL
//! answers (or `LPAFLOW_REQUIRE_POSTGRES=1`), on a fresh PostgreSQL database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod commits;
mod concurrency;
mod history;
mod log;
mod misc;
mod nodes;
mod outbox;
mod processes;
mod queries;
mod reveals;
mod search;
mod sessions;
mod state_binding;
mod timers;
