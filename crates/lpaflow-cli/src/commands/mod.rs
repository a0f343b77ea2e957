//! One module per top-level command.

pub mod audit;
pub mod migrate;
pub mod opg;
pub mod opg_sim;
pub mod reconcile;
pub mod run_engine;
pub mod serve;
pub mod token;
pub mod workflow;
