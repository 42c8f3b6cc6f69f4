//! The job handlers: thin adapters from apalis onto [`crate::sync::jobs`],
//! each attempt run under the [`guard`](super::guard) policy.

use aegis_jobs::{SyncPortfolio, SyncProjectTasks};
use apalis::prelude::{Attempt, BoxDynError, Data, TaskId};

use super::{
    JobContext,
    guard::{Verdict, run_attempt},
};
use crate::{store::children::Outcome, sync};

/// Handles a `SyncPortfolio` job.
pub async fn sync_portfolio(
    job: SyncPortfolio,
    id: TaskId,
    attempt: Attempt,
    ctx: Data<JobContext>,
) -> Result<(), BoxDynError> {
    let job_id = id.to_string();
    let (sync_ctx, run) = (ctx.sync.clone(), job.run);
    let work = move |asana| async move {
        sync::jobs::portfolio_job(&sync_ctx, &asana, &job)
            .await
            .map(|_| ())
    };
    let failed_ctx = ctx.sync.clone();
    let on_failure = move |_asana, verdict, message: String| async move {
        match verdict {
            Verdict::Dead => sync::jobs::portfolio_job_died(&failed_ctx, run, &message).await,
            Verdict::Retry => Ok(()),
        }
    };
    run_attempt(&ctx, (&job_id, attempt.current() as u32), work, on_failure).await
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
    let work = move |asana| async move {
        sync::jobs::project_job(&sync_ctx, &asana, &job, &work_id)
            .await
            .map(|_| ())
    };
    let failed_id = job_id.clone();
    let on_failure = |asana: crate::asana::AsanaClient, verdict, message: String| {
        let ctx = ctx.clone();
        async move {
            let outcome = match verdict {
                Verdict::Dead => Outcome::Dead,
                Verdict::Retry => Outcome::Retrying,
            };
            let requests = sync::run::request_figures(&asana.stats());
            sync::jobs::project_job_failed(&ctx.sync, &failed_id, outcome, requests, &message).await
        }
    };
    run_attempt(&ctx, (&job_id, attempt.current() as u32), work, on_failure).await
}
