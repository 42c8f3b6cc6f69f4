//! Job attempts in the process's Prometheus series (when its client has
//! them): each attempt's outcome and duration, and the wait of a job handed
//! back for the token's hold.

use std::time::{Duration, Instant};

use super::JobContext;
use crate::metrics::{JobOutcome, WaitReason};

/// Counts one attempt of `queue` that ended with `outcome`, begun at
/// `started`.
pub(super) fn attempt(ctx: &JobContext, queue: &str, outcome: JobOutcome, started: Instant) {
    if let Some(metrics) = ctx.sync.asana.metrics() {
        metrics.job_attempt(queue, outcome, started.elapsed());
    }
}

/// Counts the wait of a job handed back for the token's hold.
pub(super) fn held(ctx: &JobContext, wait: Duration) {
    if let Some(metrics) = ctx.sync.asana.metrics() {
        metrics.waited(WaitReason::Circuit, wait);
    }
}
