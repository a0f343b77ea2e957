//! The `--database-url` option shared by every command that opens the store.

use clap::Args;
use lpaflow_store::{Store, StoreOptions};

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://lpaflow.db";

/// Where the data lives.
#[derive(Clone, Debug, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB[?schema=NAME]`.
    #[arg(long, env = "LPAFLOW_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Database connections in the pool.
    #[arg(long, env = "LPAFLOW_DATABASE_CONNECTIONS", default_value_t = 8)]
    pub database_connections: u32,
    /// SQLite only: page cache per connection, in MiB. Memory use can reach connections times this; a
    /// smaller cache reads more from the operating system's file cache.
    #[arg(long, env = "LPAFLOW_SQLITE_CACHE_MIB", default_value_t = 64)]
    pub sqlite_cache_mib: u32,
}

impl DatabaseArgs {
    /// Store options from the flags.
    pub fn options(&self) -> StoreOptions {
        StoreOptions {
            max_connections: self.database_connections,
            sqlite_cache_mib: self.sqlite_cache_mib,
            ..StoreOptions::new(&self.database_url)
        }
    }

    /// Connects and migrates.
    pub async fn open(&self) -> anyhow::Result<Store> {
        Ok(Store::open(self.options()).await?)
    }
}
