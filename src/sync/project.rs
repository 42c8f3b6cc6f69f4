//! Syncing one project's tasks: a crawl of its task pages and of every
//! subtask level into page upserts, then reconciliation: tasks the crawl no
//! longer saw are fetched one by one, tombstoned when Asana says 404 and
//! dropped from the project when they moved out.

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt, pin_mut};
use tracing::instrument;

use super::{Result, SyncContext, convert::task_row, run::Observer};
use crate::{
    asana::{self, AsanaClient, Gid, Page, Task},
    store::{self, projects::ProjectState, runs::TaskFigures},
};

/// What a crawl saw and did.
#[derive(Debug, Default)]
struct Crawl {
    figures: TaskFigures,
    /// Tasks with subtasks still to list.
    parents: Vec<Gid>,
    /// Highest `modified_at` seen.
    watermark: Option<DateTime<Utc>>,
}

/// Syncs the tasks and subtasks of `project` and reconciles what left it.
/// `asana` is the caller's client handle (its stats are the caller's).
///
/// # Errors
/// Asana's or the database's; pages already written stay written.
#[instrument(skip_all, fields(project.gid = %project.asana_gid, project.name = %project.name), err)]
pub async fn sync_project_tasks(
    ctx: &SyncContext,
    asana: &AsanaClient,
    project: &ProjectState,
    aegis_user: Option<&Gid>,
    observer: &dyn Observer,
) -> Result<TaskFigures> {
    let started = Utc::now();
    let gid = Gid::parse(&project.asana_gid).map_err(|e| store::Error::NotFound(e.to_string()))?;
    let mut crawl = Crawl::default();
    let listing = asana.project_tasks(&gid, None);
    crawl_pages(ctx, project, listing, aegis_user, &mut crawl, observer).await?;
    while let Some(parent) = crawl.parents.pop() {
        let listing = asana.subtasks(&parent);
        crawl_pages(ctx, project, listing, aegis_user, &mut crawl, observer).await?;
    }
    store::tasks::link_orphans(&ctx.pool).await?;
    reconcile(ctx, asana, project, aegis_user, started, &mut crawl).await?;
    store::projects::record_tasks_synced(
        &ctx.pool,
        project.id,
        None,
        crawl.watermark,
        true,
        Utc::now(),
    )
    .await?;
    Ok(crawl.figures)
}

async fn crawl_pages(
    ctx: &SyncContext,
    project: &ProjectState,
    pages: impl Stream<Item = asana::Result<Page<Task>>>,
    aegis_user: Option<&Gid>,
    crawl: &mut Crawl,
    observer: &dyn Observer,
) -> Result<()> {
    pin_mut!(pages);
    while let Some(page) = pages.next().await {
        let page = page?;
        write_tasks(ctx, project, &page.data, aegis_user, crawl).await?;
        observer.tasks_synced(&project.name, page.data.len() as u64);
    }
    Ok(())
}

async fn write_tasks(
    ctx: &SyncContext,
    project: &ProjectState,
    tasks: &[Task],
    aegis_user: Option<&Gid>,
    crawl: &mut Crawl,
) -> Result<()> {
    let rows: Vec<_> = tasks.iter().map(|t| task_row(t, aegis_user)).collect();
    for task in tasks {
        if task.num_subtasks.unwrap_or(0) > 0 {
            crawl.parents.push(task.gid.clone());
        }
        crawl.watermark = crawl.watermark.max(task.modified_at);
    }
    let mut tx = ctx.pool.begin().await?;
    let counts = store::tasks::upsert_page(&mut tx, project.id, &rows, Utc::now()).await?;
    tx.commit().await?;
    let f = &mut crawl.figures;
    f.tasks_created += counts.created as i32;
    f.tasks_updated += counts.updated as i32;
    f.tasks_unchanged += counts.unchanged as i32;
    Ok(())
}

/// Tasks of the project that the crawl did not confirm: each is fetched;
/// 404 → tombstone; no longer in the project → membership dropped; still
/// there (a listing race) → stored again.
async fn reconcile(
    ctx: &SyncContext,
    asana: &AsanaClient,
    project: &ProjectState,
    aegis_user: Option<&Gid>,
    since: DateTime<Utc>,
    crawl: &mut Crawl,
) -> Result<()> {
    let candidates = store::tasks::unconfirmed_members(&ctx.pool, project.id, since).await?;
    let (mut deleted, mut removed, mut present) = (Vec::new(), Vec::new(), Vec::new());
    for gid in candidates {
        let Ok(parsed) = Gid::parse(&gid) else {
            continue;
        };
        match asana.task(&parsed).await {
            Err(asana::Error::NotFound { .. }) => deleted.push(gid),
            Ok(task) if in_project(&task, &project.asana_gid) => present.push(task),
            Ok(_) => removed.push(gid),
            Err(e) => return Err(e.into()),
        }
    }
    write_tasks(ctx, project, &present, aegis_user, crawl).await?;
    let mut tx = ctx.pool.begin().await?;
    let tombstoned = store::tasks::mark_deleted(&mut *tx, &deleted, Utc::now()).await?;
    let moved = store::tasks::remove_from_project(&mut tx, project.id, &removed).await?;
    tx.commit().await?;
    crawl.figures.tasks_deleted += tombstoned as i32;
    crawl.figures.tasks_removed += moved as i32;
    Ok(())
}

fn in_project(task: &Task, project_gid: &str) -> bool {
    task.memberships.iter().any(|m| {
        m.project
            .as_ref()
            .is_some_and(|p| p.gid.as_str() == project_gid)
    })
}
