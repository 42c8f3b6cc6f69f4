//! A project job that names its tasks (a webhook delivery's, see
//! `crate::webhooks`): exactly those tasks are fetched, through the
//! incremental path's fetch of changed tasks (404 → tombstone, gone from
//! the project → removal); the project's events are not read and its
//! events token does not move, so the next events poll still sees every
//! event (the safety net for lost deliveries), and its sync time does not
//! move (it confirms every task of the project: `tasks.last_synced_at`).
//! A full job ignores the list.

use std::collections::BTreeSet;

use aegis_jobs::{Mode, SyncProjectTasks};

use super::{
    AegisUser, Attempt, Observer, Result, SyncContext,
    crawled::Crawled,
    incremental,
    project::{crawl_project, write_tasks},
};
use crate::store::{self, projects::ProjectState};

/// What the job `job` syncs of `project`: its named tasks, or (no list, or
/// a full job) what [`crawl_project`] does.
///
/// # Errors
/// Asana's or the database's.
pub(crate) async fn crawl_for_job(
    ctx: &SyncContext,
    attempt: &Attempt,
    project: &ProjectState,
    job: &SyncProjectTasks,
    observer: &dyn Observer,
) -> Result<Crawled> {
    if job.tasks.is_empty() || job.mode == Mode::Full {
        return crawl_project(ctx, attempt, project, job.mode, observer).await;
    }
    let gids: BTreeSet<String> = job.tasks.iter().cloned().collect();
    let (asana, me) = (&attempt.asana, &AegisUser::new(ctx, &attempt.asana));
    let mut crawl = Crawled::new(attempt);
    crawl.named_only = true;
    let present = incremental::fetch_changes(asana, project, &gids, &mut crawl).await?;
    write_tasks(ctx, project, &present, me, &mut crawl).await?;
    store::tasks::link_orphans(&ctx.pool).await?;
    observer.tasks_synced(&project.name, present.len() as u64);
    Ok(crawl)
}
