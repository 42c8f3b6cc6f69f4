//! A queued sync as an operator runs one: `aegis enqueue sync [--full]`,
//! then worker processes `aegis worker --drain` until the queue is empty,
//! timed from the enqueue to the last worker's exit, with each worker's
//! peak resident memory.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use futures::future::join_all;
use tokio::process::Child;

use crate::{
    env::{Bench, progress},
    proc::{self, AegisEnv, Ended},
};

/// How to run the workers.
#[derive(Debug, Clone, Copy)]
pub struct Workers {
    /// Worker processes.
    pub processes: usize,
    /// `--concurrency` of each.
    pub concurrency: u16,
    /// Give up after this long.
    pub timeout: Duration,
    /// More `aegis worker` flags.
    pub extra: &'static [&'static str],
}

/// What a drained sync came to.
#[derive(Debug, Clone)]
pub struct Drained {
    /// Enqueue to the last worker's exit.
    pub wall: Duration,
    /// The largest peak RSS of the workers, in MB.
    pub peak_rss_mb: f64,
    /// Each worker's peak RSS, in MB.
    pub rss_mb: Vec<f64>,
    /// Workers that did not exit 0 (drained with dead jobs, or failed).
    pub failed: Vec<String>,
}

/// Enqueues a sync and drains it with `workers`; `label` names the logs.
pub async fn sync(
    bench: &Bench,
    env: &AegisEnv,
    label: &str,
    full: bool,
    workers: Workers,
) -> anyhow::Result<Drained> {
    let mut args = vec!["enqueue", "sync"];
    if full {
        args.push("--full");
    }
    let started = Instant::now();
    let run = env
        .run(bench, &args, &bench.log(&format!("{label}-enqueue")))
        .await?;
    progress(&format!(
        "{label}: queued run {run}; {} worker(s) draining",
        workers.processes
    ));
    let concurrency = workers.concurrency.to_string();
    let mut worker_args = vec!["worker", "--drain", "--concurrency", &concurrency];
    worker_args.extend_from_slice(workers.extra);
    let mut children = Vec::new();
    for k in 0..workers.processes {
        let log = bench.log(&format!("{label}-worker-{k}"));
        children.push((log.clone(), env.spawn(bench, &worker_args, &log)?));
    }
    let ends = join_all(
        children
            .iter_mut()
            .map(|(_, child)| proc::watch(child, workers.timeout)),
    )
    .await;
    let drained = collect(started.elapsed(), &children, ends)?;
    progress(&format!(
        "{label}: drained in {:.1} s",
        drained.wall.as_secs_f64()
    ));
    Ok(drained)
}

/// What the workers' ends add up to.
fn collect(
    wall: Duration,
    children: &[(PathBuf, Child)],
    ends: Vec<anyhow::Result<Ended>>,
) -> anyhow::Result<Drained> {
    let mut drained = Drained {
        wall,
        peak_rss_mb: 0.0,
        rss_mb: Vec::new(),
        failed: Vec::new(),
    };
    for ((log, _), end) in children.iter().zip(ends) {
        let end = end?;
        drained.peak_rss_mb = drained.peak_rss_mb.max(end.peak_rss_mb);
        drained.rss_mb.push((end.peak_rss_mb * 10.0).round() / 10.0);
        if !end.status.success() {
            drained.failed.push(format!(
                "worker exited {} (see {})",
                end.status,
                log.display()
            ));
        }
    }
    Ok(drained)
}
