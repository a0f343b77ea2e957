//! Helpers shared by the end-to-end tests of the root package.
#![allow(dead_code, clippy::unwrap_used)]

pub mod cluster;
pub mod opg;
pub mod rules;
pub mod server;
