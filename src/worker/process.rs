//! The `aegis worker` process: aegis's workers in a `Monitor` of their own
//! (with their keep-alive and schedules, and aegis's restart policy),
//! stopped gracefully by SIGTERM or ctrl-c (in-flight jobs finish; fetched
//! but unstarted ones go back to the queue), or, with `--drain`, once no
//! aegis job can run any more.
//!
//! A job still running when the shutdown timeout passes is not left
//! `Running` for a rescuer: once the workers are stopped, every job the
//! process's workers still hold is handed back at once (pending, lock
//! cleared, no attempt charged; [`crate::queue::hand_back_unfinished`]),
//! named in a warning, and the process ends [`ProcessEnd::HandedBack`]. The
//! abandoned attempts can write nothing more: their leases no longer hold.

use std::time::Duration;

use apalis::prelude::Monitor;
use chrono::Utc;
use tracing::{info, warn};

use super::{DrainReport, RegisterError, WorkerConfig, drain_report, has_runnable_jobs, register};
use crate::{
    queue::{self, HandedBack},
    sync::SyncContext,
};

/// How a worker process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessEnd {
    /// Stopped by a signal.
    Stopped,
    /// Nothing was left to run; what the drained work came to.
    Drained(DrainReport),
    /// The shutdown timeout passed with these jobs unfinished; they were
    /// handed back to the queue (runnable now by any worker).
    HandedBack(Vec<HandedBack>),
    /// A second stop signal ended the wait for running jobs at once; they
    /// were handed back to the queue (runnable now, no attempt charged).
    StoppedAtOnce(Vec<HandedBack>),
}

/// Errors of the worker process.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A worker ended with an error it could not restart from.
    #[error("the workers stopped: {0}")]
    Monitor(String),
    /// The workers could not be registered (a pool too small).
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// The database failed while checking the queue.
    #[error("checking the queue failed: {}", crate::store::describe(.0))]
    Database(#[from] sqlx::Error),
}

/// Runs aegis's workers until a signal, or (with `drain`) until nothing is
/// runnable. `shutdown_timeout` bounds how long in-flight jobs may take to
/// finish after the stop.
///
/// # Errors
/// When the database is not migrated (checked first, before any worker
/// starts), the workers cannot run, or the queue cannot be read.
pub async fn run_process(
    ctx: SyncContext,
    config: WorkerConfig,
    drain: bool,
    shutdown_timeout: Duration,
) -> Result<ProcessEnd, Error> {
    let started = Utc::now();
    let pool = ctx.pool.clone();
    crate::store::check_migrated(&pool).await?;
    let poll = config.poll_interval.min(Duration::from_millis(250));
    info!(worker.name = %config.name, concurrency = config.concurrency, drain, "worker starting");
    let ctx_queues = ctx.namespace.queues.clone();
    let (name, outage_limit) = (config.name.clone(), config.outage_limit);
    let restart = config.restart_policy();
    let monitor = register(Monitor::new(), ctx, config)?
        .should_restart(move |worker, error| restart(worker, error).unwrap_or(false))
        .shutdown_timeout(shutdown_timeout);
    let watch_pool = pool.clone();
    let queues = ctx_queues.clone();
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let (signals, counting) = count_stop_signals();
    let first = signals.clone();
    let signal = async move {
        tokio::select! {
            _ = stop_signals(first, 1) => {
                info!(
                    timeout_s = shutdown_timeout.as_secs_f64(),
                    "stop signal received; finishing in-flight jobs for at most the shutdown \
                     timeout (send it again to hand them back now)"
                );
                let _ = stopping.send(());
            }
            result = drained(&watch_pool, &queues, poll, outage_limit), if drain => {
                result.map_err(std::io::Error::other)?;
                info!("queue drained");
            }
        }
        Ok(())
    };
    // The Monitor (and with it the keep-alive and schedules) is dropped here;
    // a second signal drops it at once, and the jobs still running go back.
    let again = async {
        if stopped.await.is_ok() {
            stop_signals(signals, 2).await;
            warn!("second stop signal: handing the running jobs back now");
        } else {
            std::future::pending::<()>().await;
        }
    };
    let (ended, at_once) = tokio::select! {
        ended = monitor.run_with_signal(signal) => (ended, false),
        () = again => (Ok(()), true),
    };
    counting.abort();
    let unfinished = queue::hand_back_unfinished(&pool, &ctx_queues, &format!("{name}-")).await?;
    if at_once {
        return Ok(ProcessEnd::StoppedAtOnce(unfinished));
    }
    if !unfinished.is_empty() {
        warn!(
            jobs = %HandedBack::line(&unfinished),
            "the shutdown timeout passed before these jobs finished; handed them back to the queue"
        );
        return Ok(ProcessEnd::HandedBack(unfinished));
    }
    ended.map_err(|e| Error::Monitor(e.to_string()))?;
    if drain {
        return Ok(ProcessEnd::Drained(
            drain_report(&pool, &ctx_queues, started).await?,
        ));
    }
    Ok(ProcessEnd::Stopped)
}

/// Returns once no aegis job can run any more. An unreachable database is
/// waited out (the workers' own queries fail and are retried meanwhile)
/// for at most `outage_limit`.
async fn drained(
    pool: &sqlx::PgPool,
    queues: &aegis_jobs::Queues,
    poll: Duration,
    outage_limit: Duration,
) -> Result<(), sqlx::Error> {
    let mut outage: Option<tokio::time::Instant> = None;
    loop {
        match has_runnable_jobs(pool, queues).await {
            Ok(false) => return Ok(()),
            Ok(true) => {
                if outage.take().is_some() {
                    info!("the database is reachable again; draining on");
                }
            }
            Err(e) if crate::store::is_unreachable(&e) => {
                let since = *outage.get_or_insert_with(|| {
                    warn!(
                        error = %crate::store::describe(&e),
                        limit_s = outage_limit.as_secs(),
                        "the database is unreachable; waiting for it before draining on"
                    );
                    tokio::time::Instant::now()
                });
                if since.elapsed() >= outage_limit {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
        tokio::time::sleep(poll).await;
    }
}

/// Counts the process's stop signals (SIGTERM or ctrl-c) from its start:
/// one stream, created before anything can say "send it again", so a
/// signal that comes quickly after the first is never missed (a stream
/// created later would not see it).
fn count_stop_signals() -> (
    tokio::sync::watch::Receiver<u32>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = tokio::sync::watch::channel(0u32);
    let task = tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            if let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                loop {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                    tx.send_modify(|n| *n += 1);
                }
            }
        }
        while tokio::signal::ctrl_c().await.is_ok() {
            tx.send_modify(|n| *n += 1);
        }
    });
    (rx, task)
}

/// Waits until `n` stop signals have come.
async fn stop_signals(mut count: tokio::sync::watch::Receiver<u32>, n: u32) {
    if count.wait_for(|seen| *seen >= n).await.is_err() {
        std::future::pending::<()>().await;
    }
}
