//! What one statement costs through sqlx's SQLite driver (handed to the connection's worker thread and its
//! result handed back) and on a connection of one's own, as the SQLite writer does it (`src/sqlite/direct.rs`):
//! `cargo run --release -p lpaflow-store --example handoff`. Issue 18 measured 53-75 µs against about 1 µs.

use sqlx::Connection;
use std::time::Instant;

const STATEMENTS: u32 = 20_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut through_sqlx = sqlx::SqliteConnection::connect("sqlite::memory:").await?;
    let own = rusqlite::Connection::open_in_memory()?;
    for round in 1..=3 {
        let started = Instant::now();
        for _ in 0..STATEMENTS {
            let _: i64 = sqlx::query_scalar("SELECT 1")
                .fetch_one(&mut through_sqlx)
                .await?;
        }
        let sqlx_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(STATEMENTS);
        let started = Instant::now();
        for _ in 0..STATEMENTS {
            let _: i64 = own
                .prepare_cached("SELECT 1")?
                .query_row([], |r| r.get(0))?;
        }
        let own_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(STATEMENTS);
        println!(
            "round {round}: sqlx {sqlx_us:.1} µs, own connection {own_us:.2} µs per statement"
        );
    }
    Ok(())
}
