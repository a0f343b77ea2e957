//! `--node-dead-after-ms`: how long another process may go without a heartbeat before this one takes its work
//! over (issue 19). Every process sharing a database should use the same bound.

use clap::Args;
use lpaflow_engine::LivenessOptions;
use std::time::Duration;

/// The shortest bound accepted: a process beats every second, and one late beat must not look like a death.
const DEAD_AFTER_MIN_MS: u64 = 2_000;

/// The takeover bound flag.
#[derive(Clone, Debug, Args)]
pub struct NodeLivenessArgs {
    /// A process whose last heartbeat (one a second) is older than this is taken over: its step and timer
    /// leases are released (steps read back before any re-send) so its work resumes here within seconds.
    #[arg(long, env = "LPAFLOW_NODE_DEAD_AFTER_MS", default_value_t = 3_000)]
    pub node_dead_after_ms: u64,
}

impl NodeLivenessArgs {
    /// The engine's liveness options, `address` shown with this process.
    pub fn options(&self, address: Option<String>) -> anyhow::Result<LivenessOptions> {
        if self.node_dead_after_ms < DEAD_AFTER_MIN_MS {
            anyhow::bail!(
                "--node-dead-after-ms is {} ms; it must be at least {DEAD_AFTER_MIN_MS} ms (heartbeats are one a second)",
                self.node_dead_after_ms
            );
        }
        Ok(LivenessOptions {
            heartbeat: Duration::from_secs(1),
            dead_after: Duration::from_millis(self.node_dead_after_ms),
            address,
        })
    }
}
