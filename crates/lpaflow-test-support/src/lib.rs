//! Dev-only helpers shared by the test suites: fresh databases on both backends and a small generic workflow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod db;
pub mod fixture;
pub mod lpa_application;
pub mod write_lock;

pub use db::TestDb;
pub use write_lock::WriteLock;
