//! Benchmark output: one metric per line on stdout (`name  value`), and a JSON record (`--json FILE`) with
//! the configuration, machine facts and every metric.

use serde_json::{Map, Value, json};
use std::path::Path;

/// Metrics in the order they were measured.
#[derive(Debug, Default)]
pub struct Report {
    metrics: Vec<(String, Value)>,
}

impl Report {
    /// Records and prints one metric.
    pub fn metric(&mut self, name: &str, value: impl Into<Value>) {
        let value = value.into();
        let shown = match &value {
            Value::Number(n) if n.is_f64() => format!("{:.3}", n.as_f64().unwrap_or_default()),
            other => other.to_string(),
        };
        println!("{name}  {shown}");
        self.metrics.push((name.to_owned(), value));
    }

    /// A metric's value, if recorded.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.metrics.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Writes the JSON record.
    pub fn write_json(&self, path: &Path, config: Value) -> anyhow::Result<()> {
        let metrics: Map<String, Value> = self.metrics.iter().cloned().collect();
        let record = json!({"config": config, "machine": machine(), "metrics": metrics});
        std::fs::write(path, serde_json::to_vec_pretty(&record)?)?;
        Ok(())
    }
}

/// What the group-commit writer had done at one moment: transactions, commits, busy microseconds.
#[derive(Clone, Copy, Debug)]
pub struct WriterCounts {
    counts: (u64, u64, u64),
    gathering_us: u64,
    at: std::time::Instant,
}

impl WriterCounts {
    /// The store's writer counts now.
    pub fn now(store: &lpaflow_store::Store) -> Self {
        Self {
            counts: store.writer_counts(),
            gathering_us: store.writer_gathering_us(),
            at: std::time::Instant::now(),
        }
    }

    /// Writes what the writer did since `self` under `prefix`: commits per transaction, the time of one, and
    /// the shares of the time it was writing and waiting for commits being prepared. Together they say whether the writer is the bottleneck (busy near 1)
    /// or waits for work (callers' latency lies elsewhere).
    pub fn record_since(&self, report: &mut Report, prefix: &str, store: &lpaflow_store::Store) {
        let after = store.writer_counts();
        let transactions = after.0.saturating_sub(self.counts.0).max(1) as f64;
        let commits = after.1.saturating_sub(self.counts.1) as f64;
        let busy_ms = after.2.saturating_sub(self.counts.2) as f64 / 1000.0;
        let elapsed_ms = self.at.elapsed().as_secs_f64() * 1000.0;
        report.metric(
            &format!("{prefix}.commits_per_transaction"),
            commits / transactions,
        );
        report.metric(&format!("{prefix}.transaction_ms"), busy_ms / transactions);
        let gathering_ms = store
            .writer_gathering_us()
            .saturating_sub(self.gathering_us) as f64
            / 1000.0;
        report.metric(
            &format!("{prefix}.writer_busy"),
            busy_ms / elapsed_ms.max(1e-9),
        );
        report.metric(
            &format!("{prefix}.writer_gathering"),
            gathering_ms / elapsed_ms.max(1e-9),
        );
    }
}

/// Facts about this machine and build.
pub fn machine() -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let meminfo = read("/proc/meminfo");
    let mem_kb = |key: &str| {
        meminfo
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned());
    json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "memTotalMb": mem_kb("MemTotal:").map(|k| k / 1024),
        "memAvailableMb": mem_kb("MemAvailable:").map(|k| k / 1024),
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
        "lpaflow": env!("CARGO_PKG_VERSION"),
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "sqlite": "bundled (sqlx 0.8)",
    })
}

/// The CPU time this process has used so far, all threads, user and system, in seconds (`/proc/self/stat`,
/// in the kernel's fixed 100 ticks per second). CPU per request is steadier than requests per second on a
/// shared machine: time the process waits for a core is not counted.
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the state.
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// Makes this process's peak resident set size its current size (Linux: `5` into `/proc/self/clear_refs`),
/// so that a later [`peak_rss_mb`] measures only what runs from now on; `false` where that is not possible.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident set size of a process in MiB (`VmHWM`), `pid` `None` for this one.
pub fn peak_rss_mb(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Nearest-rank percentile: element `round(q/100 * (n-1))` of the sorted values.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((q / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}
