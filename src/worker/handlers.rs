//! The job handlers: thin adapters from apalis onto [`crate::sync::jobs`],
//! each attempt run under the [`guard`](super::guard) policy.

use aegis_jobs::{Kind, SyncPortfolio, SyncProjectTasks};
use apalis::prelude::{Attempt, BoxDynError, Data, TaskId};

use super::{
    JobContext,
    guard::{Verdict, run_attempt},
};
use crate::{runs::Outcome, sync};

fn outcome(verdict: Verdict) -> Outcome {
    match verdict {
        Verdict::Dead => Outcome::Dead,
        Verdict::Retry => Outcome::Retrying,
    }
}

/// Handles a `SyncPortfolio` job.
pub async fn sync_portfolio(
    job: SyncPortfolio,
    id: TaskId,
    attempt: Attempt,
    ctx: Data<JobContext>,
) -> Result<(), BoxDynError> {
    let job_id = id.to_string();
    let (sync_ctx, run) = (ctx.sync.clone(), job.run);
    let work = move |attempt: sync::Attempt| async move {
        sync::jobs::portfolio_job(&sync_ctx, &attempt, &job)
            .await
            .map(|_| ())
    };
    let failed_ctx = ctx.sync.clone();
    let on_failure = move |attempt: sync::Attempt, verdict, message: String| async move {
        sync::jobs::portfolio_job_failed(&failed_ctx, run, &attempt, outcome(verdict), &message)
            .await
    };
    let attempt = (
        Kind::SyncPortfolio,
        job_id.as_str(),
        attempt.current() as u32,
    );
    run_attempt(&ctx, attempt, work, on_failure).await
}

/// Handles a `SyncProjectTasks` job.
pub async fn sync_project_tasks(
    job: SyncProjectTasks,
    id: TaskId,
    attempt: Attempt,
    ctx: Data<JobContext>,
) -> Result<(), BoxDynError> {
    let job_id = id.to_string();
    let (sync_ctx, work_id) = (ctx.sync.clone(), job_id.clone());
    let work = move |attempt: sync::Attempt| async move {
        sync::jobs::project_job(&sync_ctx, &attempt, &job, &work_id)
            .await
            .map(|_| ())
    };
    let (failed_ctx, failed_id) = (ctx.sync.clone(), job_id.clone());
    let on_failure = move |attempt: sync::Attempt, verdict, message: String| async move {
        let outcome = outcome(verdict);
        sync::jobs::project_job_failed(&failed_ctx, &failed_id, &attempt, outcome, &message).await
    };
    let attempt = (
        Kind::SyncProjectTasks,
        job_id.as_str(),
        attempt.current() as u32,
    );
    run_attempt(&ctx, attempt, work, on_failure).await
}
