//! Integration tests: a real simulator on 127.0.0.1 port 0 with a real SQLite file in a tempdir, and the real
//! client. One tokio runtime per test; waits poll with a deadline.

mod admin;
mod auth;
mod common;
mod deliver;
mod faults;
mod lifecycle;
mod restart;
mod stub;
mod updates;
