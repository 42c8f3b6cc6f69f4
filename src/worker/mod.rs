//! The apalis side of aegis: the handlers (thin adapters onto
//! [`crate::sync::jobs`]), the failure policy, worker registration that a
//! host application can call to embed aegis in its own `Monitor`, and the
//! `aegis worker` process with graceful shutdown and drain.
//!
//! The storage configuration closes apalis 1.0's gaps explicitly: queue names
//! are aegis's constants (never Rust type paths); pubsub plus a short poll
//! interval (idle pickup in milliseconds, scheduled retries found within the
//! interval); `batch_size` = concurrency (no hoarding); a heartbeat so that a
//! dead worker's jobs are rescued within 30 s by default; worker names unique
//! per process start and restart (a same-name restart would never rescue).

mod guard;
mod handlers;
mod keepalive;
mod process;
pub mod schedule;

use std::time::Duration;

use aegis_jobs::{SyncPortfolio, SyncProjectTasks, queue};
use apalis::prelude::BackendExt;
use apalis::prelude::{Monitor, WorkerBuilder, WorkerBuilderExt};
use apalis_postgres::{Config, PostgresStorage};

pub use crate::queue::{DrainReport, drain_report, has_runnable_jobs};
pub use guard::{Failure, RetryPolicy};
pub use handlers::{sync_portfolio, sync_project_tasks};
pub use keepalive::spawn_keepalive;
pub use process::{Error, ProcessEnd, run_process};

use crate::sync::SyncContext;

/// The portfolio queue is polled this many times less often than the
/// project queue.
const PORTFOLIO_POLL_FACTOR: u32 = 5;

/// What the handlers share: the sync's context and the retry policy.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// Pool, Asana client, portfolio.
    pub sync: SyncContext,
    /// How failed attempts are retried.
    pub policy: RetryPolicy,
}

/// How the workers of one process run.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Project jobs run at once by this process (portfolio jobs: one).
    pub concurrency: usize,
    /// Retries, backoff and the attempt timeout.
    pub policy: RetryPolicy,
    /// How often this process tells the queue it is alive.
    pub heartbeat: Duration,
    /// Heartbeats missed before a worker's jobs are rescued by another.
    pub missed_heartbeats: usize,
    /// How often an idle worker looks for scheduled or re-queued jobs
    /// (new jobs wake it at once through LISTEN/NOTIFY).
    pub poll_interval: Duration,
    /// Worker names start with this; make it unique per process start.
    pub name: String,
    /// Periodic syncs this process helps fire (once per tick overall).
    pub schedules: Vec<schedule::Schedule>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 4,
            policy: RetryPolicy::default(),
            heartbeat: Duration::from_secs(5),
            missed_heartbeats: 4,
            poll_interval: Duration::from_secs(1),
            name: unique_name(),
            schedules: Vec::new(),
        }
    }
}

/// `host-pid-nonce`: unique per process start, so a restarted process never
/// takes over the dead one's worker rows (whose jobs must be rescued).
pub fn unique_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".to_owned());
    let nonce: u16 = rand::random();
    format!("{host}-{}-{nonce:04x}", std::process::id())
}

/// The apalis storage settings aegis's workers use for `queue`: batch =
/// concurrency, explicit heartbeat and rescue delay.
pub fn storage_config(queue: &str, batch: usize, config: &WorkerConfig) -> Config {
    Config::default()
        .queue(queue)
        .batch_size(batch.max(1))
        .heartbeat_interval(config.heartbeat)
        .missed_heartbeats(config.missed_heartbeats)
}

/// Registers aegis's two workers (portfolio and project queues) into a
/// host's `Monitor`. Spawn [`spawn_keepalive`] beside it: apalis 1.0 does not
/// heartbeat a worker whose slots are all busy, and another process would
/// otherwise re-run its jobs while they still run.
///
/// # Example
/// ```no_run
/// # async fn demo(ctx: aegis::sync::SyncContext) -> Result<(), Box<dyn std::error::Error>> {
/// use apalis::prelude::Monitor;
/// use aegis::worker::{WorkerConfig, register, spawn_keepalive};
///
/// let config = WorkerConfig::default();
/// let alive = spawn_keepalive(ctx.pool.clone(), config.name.clone(), config.heartbeat);
/// let monitor = register(Monitor::new(), ctx, config);
/// // ... register the host's own workers too ...
/// monitor.run().await?;
/// alive.abort();
/// # Ok(())
/// # }
/// ```
pub fn register(monitor: Monitor, ctx: SyncContext, config: WorkerConfig) -> Monitor {
    let job_ctx = JobContext {
        sync: ctx,
        policy: config.policy,
    };
    let (portfolio_ctx, project_ctx) = (job_ctx.clone(), job_ctx);
    let (portfolio_cfg, project_cfg) = (config.clone(), config);
    monitor
        .register(move |restarts| {
            let pool = &portfolio_ctx.sync.pool;
            // Portfolio jobs are rare and new ones wake the worker at once:
            // polling for their retries less often halves an idle process's
            // queries.
            let storage = PostgresStorage::<SyncPortfolio>::new(pool)
                .with_config(storage_config(queue::SYNC_PORTFOLIO, 1, &portfolio_cfg))
                .with_pubsub()
                .poll_with_interval(portfolio_cfg.poll_interval * PORTFOLIO_POLL_FACTOR);
            WorkerBuilder::new(format!("{}-portfolio-r{restarts}", portfolio_cfg.name))
                .backend(storage)
                .concurrency(1)
                .data(portfolio_ctx.clone())
                .build(sync_portfolio)
        })
        .register(move |restarts| {
            let pool = &project_ctx.sync.pool;
            let n = project_cfg.concurrency;
            let storage = PostgresStorage::<SyncProjectTasks>::new(pool)
                .with_config(storage_config(queue::SYNC_PROJECT_TASKS, n, &project_cfg))
                .with_pubsub()
                .poll_with_interval(project_cfg.poll_interval);
            WorkerBuilder::new(format!("{}-projects-r{restarts}", project_cfg.name))
                .backend(storage)
                .concurrency(n.max(1))
                .data(project_ctx.clone())
                .build(sync_project_tasks)
        })
        .should_restart(|ctx, _error| ctx.restarts() < 1_000)
}
