//! The apalis side of aegis: the handlers (thin adapters onto
//! [`crate::sync::jobs`]), the failure policy, worker registration that a
//! host application can call to embed aegis in its own `Monitor`, and the
//! `aegis worker` process with graceful shutdown and drain.
//!
//! The storage configuration closes apalis 1.0's gaps explicitly: queue names
//! are the setup's [`aegis_jobs::Queues`] (never Rust type paths); pubsub plus a short poll
//! interval (idle pickup in milliseconds, scheduled retries found within the
//! interval); `batch_size` = concurrency (no hoarding); a heartbeat so that a
//! dead worker's jobs are rescued within 30 s by default; worker names unique
//! per process start and restart (a same-name restart would never rescue).

mod admission;
mod guard;
mod handlers;
mod helpers;
mod keepalive;
mod observe;
mod process;
mod running;
pub mod schedule;
mod sizing;
pub mod sweep;

use std::time::Duration;

use aegis_jobs::{Kind, SyncPortfolio, SyncProjectTasks};
use apalis::prelude::{BackendExt, Event, EventListenerExt};
use apalis::prelude::{Monitor, WorkerBuilder, WorkerBuilderExt};
use apalis_postgres::{Config, PostgresStorage};

pub use crate::queue::{DrainReport, drain_report, has_runnable_jobs};
pub use guard::{Failure, RetryPolicy};
pub use handlers::{sync_portfolio, sync_project_tasks};
pub use keepalive::spawn_keepalive;
pub use process::{Error, ProcessEnd, run_process};
pub use sizing::{RegisterError, connections_needed};

use helpers::Helpers;
pub use running::RunningJobs;
use sizing::check_pool;

use crate::sync::SyncContext;

/// How long a draining worker waits out an unreachable database by default.
pub const DEFAULT_OUTAGE_LIMIT: Duration = Duration::from_secs(600);

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
    /// The jobs this process's handlers run now.
    pub running: RunningJobs,
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
    /// How long a draining process waits out an unreachable database
    /// before it gives up (exit 1).
    pub outage_limit: Duration,
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
            outage_limit: DEFAULT_OUTAGE_LIMIT,
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

/// Registers aegis's two workers (portfolio and project queues of
/// `ctx.namespace`) into a host's `Monitor`, with their helpers (the
/// keep-alive beat and `config.schedules`), which start with the first
/// worker and stop when the Monitor is dropped. Nothing else of the Monitor
/// changes: its restart policy stays the host's (combine it with
/// [`WorkerConfig::restart_policy`], or aegis's workers are not restarted
/// after a database error).
///
/// # Errors
/// [`RegisterError::PoolTooSmall`] when `ctx.pool` may open fewer
/// connections than [`connections_needed`] (a starved pool stalls every
/// job; the figure is in the message).
///
/// # Example
/// ```no_run
/// # async fn demo(ctx: aegis::sync::SyncContext) -> Result<(), Box<dyn std::error::Error>> {
/// use apalis::prelude::Monitor;
/// use aegis::worker::{WorkerConfig, register};
///
/// let config = WorkerConfig::default();
/// let restart = config.restart_policy();
/// let monitor = register(Monitor::new(), ctx, config)?
///     // ... the host's own workers, and its own policy for them ...
///     .should_restart(move |w, e| restart(w, e).unwrap_or(false));
/// monitor.run_with_signal(tokio::signal::ctrl_c()).await?;
/// # Ok(())
/// # }
/// ```
pub fn register(
    monitor: Monitor,
    ctx: SyncContext,
    config: WorkerConfig,
) -> Result<Monitor, RegisterError> {
    check_pool(&ctx.pool, &config)?;
    let running = RunningJobs::default();
    let helpers = Helpers::new(&ctx, &config, &running);
    let job_ctx = JobContext {
        sync: ctx,
        policy: config.policy,
        running,
    };
    let (portfolio_ctx, project_ctx) = (job_ctx.clone(), job_ctx);
    let (portfolio_cfg, project_cfg) = (config.clone(), config);
    let (portfolio_helpers, project_helpers) = (helpers.clone(), helpers);
    Ok(monitor
        .register(move |restarts| {
            let queues = &portfolio_ctx.sync.namespace.queues;
            let queue = queues.name(Kind::SyncPortfolio);
            // Portfolio jobs are rare and new ones wake the worker at once:
            // polling for their retries less often halves an idle process's
            // queries.
            let storage = PostgresStorage::<SyncPortfolio>::new(&portfolio_ctx.sync.pool)
                .with_config(storage_config(&queue, 1, &portfolio_cfg))
                .with_pubsub()
                .poll_with_interval(portfolio_cfg.poll_interval * PORTFOLIO_POLL_FACTOR);
            let helpers = portfolio_helpers.clone();
            WorkerBuilder::new(format!("{}-portfolio-r{restarts}", portfolio_cfg.name))
                .backend(storage)
                .concurrency(1)
                .data(portfolio_ctx.clone())
                .on_event(move |_, event| start_helpers(&helpers, event))
                .build(sync_portfolio)
        })
        .register(move |restarts| {
            let queue = project_ctx
                .sync
                .namespace
                .queues
                .name(Kind::SyncProjectTasks);
            let n = project_cfg.concurrency;
            let storage = PostgresStorage::<SyncProjectTasks>::new(&project_ctx.sync.pool)
                .with_config(storage_config(&queue, n, &project_cfg))
                .with_pubsub()
                .poll_with_interval(project_cfg.poll_interval);
            let helpers = project_helpers.clone();
            WorkerBuilder::new(format!("{}-projects-r{restarts}", project_cfg.name))
                .backend(storage)
                .concurrency(n.max(1))
                .data(project_ctx.clone())
                .on_event(move |_, event| start_helpers(&helpers, event))
                .build(sync_project_tasks)
        }))
}

fn start_helpers(helpers: &Helpers, event: &Event) {
    if matches!(event, Event::Start) {
        helpers.start();
    }
}
