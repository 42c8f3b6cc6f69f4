//! The background tasks that belong to registered workers: the keep-alive
//! beat ([`super::spawn_keepalive`]), the poison sweep ([`super::sweep`]),
//! the schedules, and the one-off record of the process's version and
//! concurrency ([`crate::queue::register_process`]). [`super::register`]
//! ties them to the host's `Monitor`: they start when the first aegis
//! worker starts (its `Start` event, inside the Monitor's runtime) and are
//! aborted when the Monitor, which holds the workers' factories, is dropped
//! (after `run`/`run_with_signal` return). Nothing else of the Monitor is
//! touched, and nothing runs before the Monitor does.

use std::sync::{Arc, OnceLock};

use tokio::task::JoinHandle;

use super::{RunningJobs, WorkerConfig, schedule, spawn_keepalive, sweep};
use crate::{queue, sync::SyncContext};

/// The helper tasks of one registration; aborted on drop.
#[derive(Debug)]
pub(super) struct Helpers {
    plan: Plan,
    running: OnceLock<Vec<JoinHandle<()>>>,
}

/// What to start.
#[derive(Debug)]
struct Plan {
    ctx: SyncContext,
    config: WorkerConfig,
    running: RunningJobs,
}

impl Helpers {
    /// Helpers for the workers registered with `ctx` and `config`, not
    /// started yet.
    pub(super) fn new(
        ctx: &SyncContext,
        config: &WorkerConfig,
        running: &RunningJobs,
    ) -> Arc<Self> {
        Arc::new(Helpers {
            plan: Plan {
                ctx: ctx.clone(),
                config: config.clone(),
                running: running.clone(),
            },
            running: OnceLock::new(),
        })
    }

    /// Starts the tasks, once (later calls do nothing). Call it within a
    /// tokio runtime.
    pub(super) fn start(&self) {
        self.running.get_or_init(|| {
            let Plan {
                ctx,
                config,
                running,
            } = &self.plan;
            let alive = spawn_keepalive(ctx.pool.clone(), config.name.clone(), config.heartbeat);
            let sweeper = tokio::spawn(sweep::run(
                ctx.pool.clone(),
                ctx.namespace.queues.clone(),
                (format!("{}-", config.name), running.clone()),
                config.heartbeat,
            ));
            let schedules = config.schedules.iter().map(|s| {
                tokio::spawn(schedule::run(
                    ctx.pool.clone(),
                    ctx.namespace.clone(),
                    ctx.portfolio.to_string(),
                    *s,
                ))
            });
            let process = queue::ProcessInfo {
                name: config.name.clone(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                concurrency: i32::try_from(config.concurrency).unwrap_or(i32::MAX),
            };
            let pool = ctx.pool.clone();
            let registered = tokio::spawn(async move {
                if let Err(e) = queue::register_process(&pool, &process).await {
                    tracing::warn!(error.message = %e, "could not record this worker process");
                }
            });
            [alive, sweeper, registered]
                .into_iter()
                .chain(schedules)
                .collect()
        });
    }
}

impl Drop for Helpers {
    fn drop(&mut self) {
        for task in self.running.get().into_iter().flatten() {
            task.abort();
        }
    }
}
