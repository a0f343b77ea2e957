//! A throwaway PostgreSQL cluster of the test's own (`initdb` in a temporary directory, its own port), so a
//! test can stop and restart the database server under load without touching the shared one. Needs the
//! PostgreSQL server binaries (`/usr/lib/postgresql/*/bin` or `pg_config --bindir`); when run as root, the
//! cluster runs as the `postgres` user (PostgreSQL refuses to run as root). Stopped when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    bin: PathBuf,
    /// Keeps the data directory alive.
    dir: tempfile::TempDir,
    pub port: u16,
    as_postgres: bool,
}

fn required() -> bool {
    std::env::var("LPAFLOW_REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

/// The directory of `initdb` and `pg_ctl`.
fn server_binaries() -> Option<PathBuf> {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let mut candidates: Vec<PathBuf> = from_pg_config.into_iter().collect();
    if let Ok(versions) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut found: Vec<PathBuf> = versions
            .filter_map(Result::ok)
            .map(|v| v.path().join("bin"))
            .collect();
        found.sort();
        candidates.extend(found.into_iter().rev());
    }
    candidates
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Cluster {
    /// Creates and starts a cluster, or `None` (with a message) when this machine cannot, unless PostgreSQL is
    /// required (`LPAFLOW_REQUIRE_POSTGRES=1`): then it panics with the reason.
    pub fn start() -> Option<Cluster> {
        let Some(bin) = server_binaries() else {
            return skip_or_fail("no PostgreSQL server binaries (initdb, pg_ctl) found");
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let as_postgres = is_root();
        if as_postgres {
            let owned = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status();
            if !owned.is_ok_and(|s| s.success()) {
                return skip_or_fail("cannot hand the data directory to the postgres user");
            }
        }
        let cluster = Cluster {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        let data = cluster.data();
        let initdb = cluster
            .command("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .expect("initdb runs");
        if !initdb.status.success() {
            return skip_or_fail(&format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&initdb.stderr)
            ));
        }
        cluster.pg_ctl(&["start"]);
        Some(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// Runs `pg_ctl ACTION` and waits for it to finish (`-w`); panics with the server's log on failure.
    fn pg_ctl(&self, action: &[&str]) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log");
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-t", "60", "-l"])
            .arg(&log)
            .args(["-o", &options])
            .args(action)
            .output()
            .expect("pg_ctl runs");
        assert!(
            out.status.success(),
            "pg_ctl {action:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// The URL of the cluster's `postgres` database, lpaflow's tables in schema `lpaflow`.
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?schema=lpaflow",
            self.port
        )
    }

    /// Stops the server (fast shutdown: open transactions are rolled back, connections closed).
    pub fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "fast"]);
    }

    /// Starts it again on the same port and data.
    pub fn start_again(&self) {
        self.pg_ctl(&["start"]);
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn skip_or_fail(why: &str) -> Option<Cluster> {
    if required() {
        panic!(
            "LPAFLOW_REQUIRE_POSTGRES=1 but a throwaway PostgreSQL cluster cannot be started: {why}"
        );
    }
    eprintln!("skipping: {why}");
    None
}
