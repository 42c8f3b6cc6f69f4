//! The `aegis` processes a scenario runs (`aegis enqueue sync`, `aegis
//! worker`), with the environment pointing them at the scenario's database
//! and the fake, their output in `target/bench/logs/`, and the peak resident
//! memory of a worker read from `/proc/<pid>/status` (`VmHWM`) until it exits.

use std::{
    path::Path,
    process::{ExitStatus, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

use crate::env::Bench;

/// Where an aegis process finds its database and Asana.
#[derive(Debug, Clone)]
pub struct AegisEnv {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `ASANA_BASE_URL` (the fake's).
    pub base_url: String,
    /// `ASANA_ACCESS_TOKEN`.
    pub token: String,
    /// `ASANA_PORTFOLIO_GID`.
    pub portfolio: String,
    /// `ASANA_REQUESTS_PER_MINUTE`.
    pub requests_per_minute: u32,
}

impl AegisEnv {
    fn command(&self, bench: &Bench, args: &[&str], log: &Path) -> anyhow::Result<Command> {
        let file = std::fs::File::create(log)?;
        let mut cmd = Command::new(&bench.aegis);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.database_url)
            .env("ASANA_BASE_URL", &self.base_url)
            // `aegis serve`'s key for the webhooks' sealed secrets (a
            // bench-only value).
            .env("AEGIS_WEBHOOK_KEY", "42".repeat(32))
            .env("ASANA_ACCESS_TOKEN", &self.token)
            .env("ASANA_PORTFOLIO_GID", &self.portfolio)
            .env(
                "ASANA_REQUESTS_PER_MINUTE",
                self.requests_per_minute.to_string(),
            )
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(file)
            .kill_on_drop(true);
        Ok(cmd)
    }

    /// Runs a short command (e.g. `enqueue sync --full`) to its end and
    /// returns its standard output.
    pub async fn run(&self, bench: &Bench, args: &[&str], log: &Path) -> anyhow::Result<String> {
        let out = self
            .command(bench, args, log)?
            .output()
            .await
            .with_context(|| format!("running {} {}", bench.aegis.display(), args.join(" ")))?;
        if !out.status.success() {
            bail!(
                "aegis {} failed ({}); see {}",
                args.join(" "),
                out.status,
                log.display()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Starts a long-running process (a worker); its stdout goes to the log too.
    pub fn spawn(&self, bench: &Bench, args: &[&str], log: &Path) -> anyhow::Result<Child> {
        let mut cmd = self.command(bench, args, log)?;
        let stdout = std::fs::OpenOptions::new().append(true).open(log)?;
        cmd.stdout(stdout);
        cmd.spawn()
            .with_context(|| format!("starting {} (was it built?)", bench.aegis.display()))
    }
}

/// How a watched process ended.
#[derive(Debug, Clone, Copy)]
pub struct Ended {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its peak resident set (`VmHWM`), in MB.
    pub peak_rss_mb: f64,
}

/// The high-water mark of the resident set of `pid`, in kB.
pub fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Waits for `child` to exit (killing it after `timeout`), polling its
/// `VmHWM` every 20 ms.
pub async fn watch(child: &mut Child, timeout: Duration) -> anyhow::Result<Ended> {
    let started = Instant::now();
    let pid = child.id().context("the process has no pid")?;
    let mut peak_kb = 0;
    loop {
        if let Some(kb) = vm_hwm_kb(pid) {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait()? {
            return Ok(Ended {
                status,
                peak_rss_mb: peak_kb as f64 / 1024.0,
            });
        }
        if started.elapsed() > timeout {
            child.kill().await.ok();
            bail!(
                "process {pid} still running after {} s: killed",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asks `child` to stop (SIGTERM, as an operator would) and waits for it,
/// killing it after 10 s.
pub async fn terminate(child: &mut Child) -> anyhow::Result<()> {
    if let Some(pid) = child.id() {
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()?;
    }
    match tokio::time::timeout(Duration::from_secs(10), child.wait()).await {
        Ok(status) => {
            status?;
        }
        Err(_) => child.kill().await?,
    }
    Ok(())
}
