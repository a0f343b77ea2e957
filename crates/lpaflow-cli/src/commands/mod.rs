//! One module per top-level command.

pub mod serve;
pub mod workflow;
