//! Keeps a process's apalis worker rows alive while the process lives,
//! whatever its workers are doing.
//!
//! apalis 1.0 beats a worker's heartbeat from its job stream's readiness,
//! which is not polled while every slot of the worker is busy: a saturated
//! worker stops heartbeating, and once it has missed `missed_heartbeats`
//! beats another process re-enqueues its *running* jobs as orphans, so they
//! run twice (seen with two draining workers and jobs longer than the rescue
//! delay). This task marks the rows seen every heartbeat interval from a task
//! of its own. A killed process stops beating at once, so its jobs are still
//! rescued on time.
//!
//! Only the newest incarnation (`-r<restarts>` suffix, see
//! [`crate::worker::register`]) of each of the process's workers is kept
//! alive: the rows of a worker that crashed and was restarted age out, and
//! their jobs are rescued as they should be. [`run_process`] runs it; a host
//! that embeds aegis's workers with [`register`] spawns it with
//! [`spawn_keepalive`].
//!
//! [`run_process`]: super::run_process
//! [`register`]: super::register

use std::time::Duration;

use sqlx::PgPool;
use tokio::task::JoinHandle;
use tracing::warn;

use crate::queue;

/// Marks the newest worker rows of the workers named `name-…` (the
/// [`WorkerConfig::name`](super::WorkerConfig::name) given to
/// [`register`](super::register)) seen every `every`, until the returned
/// task is aborted. Call it from within a tokio runtime.
pub fn spawn_keepalive(pool: PgPool, name: String, every: Duration) -> JoinHandle<()> {
    let prefix = format!("{name}-");
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = queue::beat(&pool, &prefix).await {
                warn!(%error, "could not mark this worker alive; retrying at the next beat");
            }
        }
    })
}
