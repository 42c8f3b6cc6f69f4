//! Whether a fetched job may start: what an attempt checks before it does
//! anything. An operator may have paused the job's kind (`aegis queue
//! pause`: the job is handed back uncharged, to be looked at again after
//! [`queue::pause::PAUSED_RECHECK`]) or cancelled the job while it waited
//! in this worker's buffer (`aegis queue cancel`: it is skipped). Otherwise
//! the attempt runs under the lease it read ([`queue::Lease`]).

use tracing::{debug, error, info};

use super::JobContext;
use crate::queue::{self, Lease};

/// What an attempt does with its fetched job.
#[derive(Debug)]
pub(super) enum Admission {
    /// Run it, fenced by this lease (none: no worker holds the row).
    Run(Option<Lease>),
    /// Do nothing: it was handed back (paused) or cancelled.
    Skip,
}

/// Reads the attempt's lease and checks the job's kind (`queue`, a full
/// queue name) is not paused and the job not cancelled.
pub(super) async fn admit(ctx: &JobContext, job_id: &str, queue: &str) -> Admission {
    let pool = &ctx.sync.pool;
    let lease = match queue::lease(pool, job_id).await {
        Ok(lease) => lease,
        Err(e) => {
            error!(job.id = job_id, error.message = %e, "could not read the attempt's lease");
            return Admission::Run(None);
        }
    };
    let Some(lease) = lease else {
        if queue::is_cancelled(pool, job_id).await.unwrap_or(false) {
            info!(job.id = job_id, "job cancelled before it started; skipped");
            return Admission::Skip;
        }
        return Admission::Run(None);
    };
    match queue::is_paused(pool, queue).await {
        Ok(true) => hand_back_paused(ctx, lease).await,
        Ok(false) => Admission::Run(Some(lease)),
        Err(e) => {
            error!(job.id = job_id, error.message = %e, "could not read whether the job's kind is paused");
            Admission::Run(Some(lease))
        }
    }
}

async fn hand_back_paused(ctx: &JobContext, lease: Lease) -> Admission {
    let (wait, reason) = (queue::pause::PAUSED_RECHECK, queue::pause::PAUSED_REASON);
    match queue::hand_back(&ctx.sync.pool, &lease, wait, reason).await {
        Ok(true) => {
            debug!(job.id = %lease.job_id, "the job's kind is paused; handed back, no attempt spent");
            Admission::Skip
        }
        Ok(false) => Admission::Skip,
        Err(e) => {
            error!(job.id = %lease.job_id, error.message = %e, "could not hand the paused job back");
            Admission::Skip
        }
    }
}
