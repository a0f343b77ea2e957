//! One module per top-level command.

pub mod audit;
pub mod migrate;
pub mod serve;
pub mod token;
pub mod workflow;
