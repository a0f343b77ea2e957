//! Integration tests: a real simulator on 127.0.0.1 port 0 with a real SQLite file in a tempdir. The
//! simulator's own tests (`sim_common` and the modules using it) speak raw HTTP; `common` and `deliver` test
//! lpaflow's client against it. One tokio runtime per test; waits poll with a deadline.

mod admin;
mod auth;
// The client's helpers; only `deliver` uses them now.
#[allow(dead_code)]
mod common;
mod contract;
mod deliver;
mod faults;
mod lifecycle;
mod restart;
mod sim_common;
mod stub;
mod updates;
