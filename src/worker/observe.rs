//! Job attempts in the process's Prometheus series (when its client has
//! them): each attempt's outcome and duration, and the wait of a job handed
//! back for the token's hold.

use std::time::{Duration, Instant};

use super::{JobContext, guard::Failure};
use crate::metrics::{JobOutcome, WaitReason};

/// How an attempt that failed with `failure` ends, as
/// [`settle`](super::guard) decides it.
pub(super) fn outcome(
    ctx: &JobContext,
    failure: &Failure,
    attempt: u32,
    leased: bool,
) -> JobOutcome {
    if failure.lost {
        JobOutcome::Lost
    } else if failure.hold.is_some() && leased {
        JobOutcome::HandedBack
    } else if failure.fatal || attempt >= ctx.policy.max_attempts {
        JobOutcome::Dead
    } else {
        JobOutcome::Retry
    }
}

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
