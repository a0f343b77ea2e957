//! The API's routes, one module per resource. Handlers are thin: parse into domain types, call the engine
//! once, map the outcome to a status.

pub mod audit;
pub mod dev;
pub mod health;
pub mod lpas;
pub mod opg;
pub mod queues;
pub mod reports;
pub mod reveals;
pub mod sync;
pub mod workflows;
