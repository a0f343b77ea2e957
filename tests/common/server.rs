//! The real `lpaflow serve` as a child process: development mode on 127.0.0.1:0 in a temporary working
//! directory (it writes `.lpaflow-dev-secret` there), its own SQLite database and embedded OPG simulator; the
//! address and the four development tokens read from what it prints; killed when dropped.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the server may take to start.
const START_DEADLINE: Duration = Duration::from_secs(60);

pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Development tokens by role name.
    pub tokens: BTreeMap<String, String>,
    pub client: reqwest::Client,
    /// The working directory (database, simulator database, log).
    pub dir: tempfile::TempDir,
    database_url: String,
    extra: Vec<String>,
}

/// Starts the binary in `dir` and reads its address and tokens.
fn spawn(
    dir: &std::path::Path,
    database_url: &str,
    extra: &[String],
) -> (Child, String, BTreeMap<String, String>) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_lpaflow"));
    command
        .current_dir(dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--dev", "--dev-clock"])
        .arg("--database-url")
        .arg(database_url)
        .arg("--opg-sim-db")
        .arg(dir.join("opg-sim.db"))
        .arg("--workflows")
        .arg(workflows_dir())
        .args(extra)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log));
    for (name, _) in std::env::vars() {
        if name.starts_with("LPAFLOW_") {
            command.env_remove(name);
        }
    }
    let mut child = command.spawn().expect("the lpaflow binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (lines, received) = mpsc::channel();
    // Reads stdout to its end, so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // Keep reading after the test stopped listening: a closed pipe would fail the server's writes.
            let _ = lines.send(line);
        }
    });
    let (mut base, mut tokens) = (String::new(), BTreeMap::new());
    let mut banner = Vec::new();
    let started = Instant::now();
    while base.is_empty() || tokens.len() < 4 {
        let left = START_DEADLINE.saturating_sub(started.elapsed());
        let line = match received.recv_timeout(left) {
            Ok(l) => l,
            Err(e) => panic!(
                "the server did not announce itself ({e}); its log:\n{}",
                std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
            ),
        };
        banner.push(line.clone());
        if let Some(rest) = line.strip_prefix("lpaflow listening on ") {
            base = rest.split_whitespace().next().unwrap().to_owned();
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [role, token] = words[..]
            && ["service", "caseworker", "auditor", "admin"].contains(&role)
        {
            tokens.insert(role.to_owned(), token.to_owned());
        }
    }
    std::fs::write(dir.join("banner.txt"), banner.join("\n")).unwrap();
    (child, base, tokens)
}

/// The repository's `workflows/` directory.
pub fn workflows_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workflows")
}

impl Server {
    /// Starts `lpaflow serve --dev --dev-clock` with `extra` arguments and waits for its announcement.
    pub fn start_dev(extra: &[&str]) -> Server {
        Self::start_dev_on(None, extra)
    }

    /// [`Server::start_dev`] on the database at `database_url` (default: a SQLite file in its directory).
    pub fn start_dev_on(database_url: Option<&str>, extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let database_url = database_url.map_or_else(
            || format!("sqlite://{}", dir.path().join("lpaflow.db").display()),
            str::to_owned,
        );
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let (child, base, tokens) = spawn(dir.path(), &database_url, &extra);
        Server {
            child,
            base,
            tokens,
            client: reqwest::Client::new(),
            dir,
            database_url,
            extra,
        }
    }

    /// Kills the server with SIGKILL and starts it again in the same directory (same database, simulator
    /// database and development secret); the address changes.
    pub fn kill_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, base, tokens) = spawn(self.dir.path(), &self.database_url, &self.extra);
        self.child = child;
        self.base = base;
        self.tokens = tokens;
    }

    /// What the server printed when it started, up to its last token.
    pub fn banner(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("banner.txt")).unwrap_or_default()
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Sends `method path` as `role` (no token for `None`) with an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        role: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        self.call_keyed(method, path, role, body, None).await
    }

    /// [`Server::call`] with an `Idempotency-Key`.
    pub async fn call_keyed(
        &self,
        method: Method,
        path: &str,
        role: Option<&str>,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        if let Some(role) = role {
            req = req.bearer_auth(&self.tokens[role]);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let log = self.log();
                let head: Vec<&str> = log.lines().take(40).collect();
                let pid = self.child.id();
                // A process that exited but was not waited for is a zombie: state `Z` in /proc.
                let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|s| s.rsplit(')').next().map(|r| r.trim().to_owned()))
                    .and_then(|r| r.chars().next())
                    .unwrap_or('-');
                panic!(
                    "{method} {path}: the server (pid {pid}, process state {state}) did not answer: {e:?}\n\
                     its log ({} bytes in {}) begins:\n{}",
                    log.len(),
                    self.dir.path().display(),
                    head.join("\n")
                )
            }
        };
        let status = response.status();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
