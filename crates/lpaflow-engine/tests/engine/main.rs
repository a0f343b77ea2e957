//! Engine tests on real databases (SQLite, and PostgreSQL when it answers): commands, conflicts, timers
//! (also across a restart), step delivery with a scripted handler, the breaker, maintenance windows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod cache;
mod claims;
mod commands;
mod delivery;
mod handoff;
mod liveness;
mod plans;
mod search;
mod timers;
