//! What the load generators share: starting `mentor-app serve` as a child process and reading back its address,
//! stopping it on every way out, and reading a process's CPU time and memory from `/proc`.
//!
//! Each example includes this module (`mod support;`); it is not an example of its own.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `mentor-app serve`: the child, its pid and the address it serves on.
pub struct Server {
    /// The process (its stderr is read by a thread of this module).
    pub child: Child,
    /// Its pid, for `/proc`.
    pub pid: u32,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

/// Starts `bin serve` with JSON logs and `envs` (which name at least the database, secret, App and GitHub URL),
/// listening on a free port, and waits for its "serving" line. Every further stderr line is handed to `log_line`
/// on a thread of its own.
pub fn spawn_server(
    bin: &Path,
    envs: &[(&str, String)],
    mut log_line: impl FnMut(String) + Send + 'static,
) -> anyhow::Result<Server> {
    let mut child = Command::new(bin)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .env("MENTOR_LISTEN", "127.0.0.1:0")
        .args(["--log-format", "json", "serve"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let mut lines = BufReader::new(child.stderr.take().expect("stderr is piped")).lines();
    let addr = loop {
        let Some(line) = lines.next() else {
            let _ = child.kill();
            anyhow::bail!("server exited before serving");
        };
        let line = line?;
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if v["fields"]["message"] == "serving" {
            break v["fields"]["addr"].as_str().unwrap_or_default().to_string();
        }
        log_line(line);
    };
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            log_line(line);
        }
    });
    Ok(Server { child, pid, addr })
}

/// Sends SIGKILL to a process when dropped (after a clean stop it is gone and this does nothing), so a server
/// never outlives its benchmark, holding its port and any lock the caller took.
pub struct Reaper(pub u32);

impl Drop for Reaper {
    fn drop(&mut self) {
        // Quiet: after a clean stop there is no such process any more.
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(self.0.to_string())
            .stderr(Stdio::null())
            .status();
    }
}

/// Stops `server` with SIGTERM (a graceful drain) and waits for it.
pub fn stop(server: &mut Server) {
    let _ = Command::new("kill").arg("-TERM").arg(server.pid.to_string()).status();
    let _ = server.child.wait();
}

/// Returns (user, system) CPU seconds of a process from its `/proc/<pid>/stat`.
pub fn cpu_split(stat_path: &str) -> (f64, f64) {
    let text = std::fs::read_to_string(stat_path).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = text.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) / 100.0, ticks(12) / 100.0)
}

/// Returns a `/proc/<pid>/status` field in kB (`VmRSS`, `VmHWM`), or None when the process is gone.
pub fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line =
        status.lines().find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Returns the `p` quantile (0..=1) of `sorted` (ascending), nearest rank; 0 when empty.
pub fn quantile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// A scratch PostgreSQL database made for one run on a server the caller names, dropped by [`Postgres::drop`].
pub struct Postgres {
    /// The server's URL (any database on it) the scratch one was made through.
    base: String,
    /// The scratch database's name.
    name: String,
    /// The scratch database's URL.
    pub url: String,
}

impl Postgres {
    /// Makes `mentor_<tag>_<pid>` on the server of `base` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
    pub async fn create(base: &str, tag: &str) -> anyhow::Result<Postgres> {
        let name = format!("mentor_{tag}_{}", std::process::id());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(base).await?;
        sqlx::Executor::execute(
            &mut conn,
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
        )
        .await?;
        sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await?;
        let (prefix, _) = base.rsplit_once('/').unwrap_or((base, ""));
        Ok(Postgres { base: base.to_owned(), url: format!("{prefix}/{name}"), name })
    }

    /// Drops the scratch database, closing what still uses it.
    pub async fn drop(self) -> anyhow::Result<()> {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&self.base).await?;
        sqlx::Executor::execute(
            &mut conn,
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str(),
        )
        .await?;
        Ok(())
    }
}
