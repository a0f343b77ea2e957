//! The tracing subscriber: text for people, JSON for log collectors. Level from `LPAFLOW_LOG` (or `RUST_LOG`),
//! default `info`. Library crates log uids, events and codes, never personal data.

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// Log line format.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the subscriber (once; later calls are ignored). Logs go to stderr so stdout stays scriptable.
pub fn init(format: LogFormat, default_level: &str) {
    let filter = std::env::var("LPAFLOW_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| {
            EnvFilter::new(format!(
                "{default_level},sqlx=warn,hyper=warn,tower_http=warn"
            ))
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
