//! Syncing one project's tasks: either the tasks its events name (see
//! `incremental`), or a crawl of its task pages and of
//! every subtask level into page upserts followed by reconciliation: tasks
//! the crawl no longer saw are fetched one by one, tombstoned when Asana
//! says 404 and dropped from the project when they moved out.
//!
//! A task the crawl listed may be deleted before its subtasks are asked
//! for: Asana then answers 404 for them, and the task is tombstoned with its
//! stored subtree like any other deletion while the crawl goes on.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt, pin_mut};
use sqlx::PgConnection;
use tracing::{debug, instrument};

use aegis_jobs::Mode;

use super::{
    AegisUser, Attempt, Error, Observer, Result, SyncContext,
    convert::task_row,
    crawled::{Crawled, in_project},
    incremental::{self, Plan},
};
use crate::{
    asana::{self, Gid, Page, Task},
    runs::{self, TaskFigures},
    store::{self, projects::ProjectState, tasks::EncodedPage},
};

/// Syncs the tasks and subtasks of `project` and reconciles what left it,
/// committing the final writes on their own. The attempt's figures are
/// its requests and its tally (pages written count even on failure).
///
/// # Errors
/// Asana's or the database's; pages already written stay written.
pub async fn sync_project_tasks(
    ctx: &SyncContext,
    attempt: &Attempt,
    project: &ProjectState,
    mode: Mode,
    observer: &dyn Observer,
) -> Result<TaskFigures> {
    let crawled = crawl_project(ctx, attempt, project, mode, observer).await?;
    let mut tx = ctx.pool.begin().await?;
    let figures = apply(&mut tx, project, crawled).await?;
    tx.commit().await?;
    Ok(figures)
}

/// Syncs the project's tasks into page upserts (each page committed as it
/// comes, so a retry redoes little): the changed tasks its events name, or
/// a crawl of every page and subtask level followed by a look-up of the
/// tasks the crawl did not confirm. Tombstones, removals and the new sync
/// state are not written yet: see [`apply`].
///
/// # Errors
/// Asana's or the database's.
#[instrument(skip_all, fields(project.gid = %project.asana_gid, project.name = %project.name))]
pub async fn crawl_project(
    ctx: &SyncContext,
    attempt: &Attempt,
    project: &ProjectState,
    mode: Mode,
    observer: &dyn Observer,
) -> Result<Crawled> {
    let started = Utc::now();
    let gid = Gid::parse(&project.asana_gid).map_err(|e| Error::Fatal(e.to_string()))?;
    let (asana, me) = (&attempt.asana, &AegisUser::new(ctx, &attempt.asana));
    let mut crawl = Crawled::new(attempt);
    let token = match incremental::plan(asana, project, mode, &gid).await? {
        Plan::Crawl { token, reason } => {
            crawl.crawl_reason = Some(reason);
            token
        }
        Plan::Changes { gids, token } => {
            crawl.token = Some(token);
            let present = sync_changes(ctx, attempt, project, gids, me, &mut crawl).await?;
            observer.tasks_synced(&project.name, present);
            return Ok(crawl);
        }
    };
    crawl.token = token;
    crawl.full = true;
    crawl_tree(ctx, asana, project, &gid, me, &mut crawl, observer).await?;
    store::tasks::link_orphans(&ctx.pool).await?;
    reconcile(ctx, asana, project, me, started, &mut crawl).await?;
    Ok(crawl)
}

/// Fetches and stores the changed tasks the events named, but those another
/// project of the run fetched already ([`runs::fetched_elsewhere`]), and
/// records what it fetched for the run's other projects. Returns how many
/// it stored.
async fn sync_changes(
    ctx: &SyncContext,
    attempt: &Attempt,
    project: &ProjectState,
    mut gids: BTreeSet<String>,
    me: &AegisUser,
    crawl: &mut Crawled,
) -> Result<u64> {
    if let Some(run) = attempt.run {
        let listed: Vec<String> = gids.iter().cloned().collect();
        let elsewhere = runs::fetched_elsewhere(&ctx.pool, run, &project.asana_gid, &listed);
        for gid in elsewhere.await? {
            gids.remove(&gid);
        }
    }
    let present = incremental::fetch_changes(&attempt.asana, project, &gids, crawl).await?;
    write_tasks(ctx, project, &present, me, crawl).await?;
    store::tasks::link_orphans(&ctx.pool).await?;
    if let Some(run) = attempt.run {
        let stored: Vec<String> = present.iter().map(|t| t.gid.to_string()).collect();
        runs::record_fetched(&ctx.pool, run, &project.asana_gid, &stored).await?;
    }
    Ok(present.len() as u64)
}

/// Every page of the project's tasks, then of every subtask level. A
/// parent whose subtasks Asana answers 404 for was deleted after the crawl
/// listed it: it joins the tombstones (its subtree with it) and the crawl
/// goes on. A 404 for the project's own listing is an error.
async fn crawl_tree(
    ctx: &SyncContext,
    asana: &asana::AsanaClient,
    project: &ProjectState,
    gid: &Gid,
    me: &AegisUser,
    crawl: &mut Crawled,
    observer: &dyn Observer,
) -> Result<()> {
    let listing = asana.project_tasks(gid, None);
    if let Listed::NotFound(e) = crawl_pages(ctx, project, listing, me, crawl, observer).await? {
        return Err(e.into());
    }
    while let Some(parent) = crawl.parents.pop() {
        let listing = asana.subtasks(&parent);
        if let Listed::NotFound(e) = crawl_pages(ctx, project, listing, me, crawl, observer).await?
        {
            debug!(task.gid = %parent, error = %e, "task deleted since the crawl listed it");
            crawl.deleted.push(parent.to_string());
        }
    }
    Ok(())
}

/// The final writes of a project sync, in the caller's transaction:
/// tombstones, removals, and the project's sync state. Returns the
/// attempt's figures (its tally, plus the tombstones and removals).
///
/// # Errors
/// The database's.
pub async fn apply(
    conn: &mut PgConnection,
    project: &ProjectState,
    crawled: Crawled,
) -> Result<TaskFigures> {
    let at = Utc::now();
    let deleted = store::tasks::mark_deleted(&mut *conn, &crawled.deleted, at).await? as i32;
    let removed =
        store::tasks::remove_from_project(conn, project.id, &crawled.removed).await? as i32;
    let token = crawled.token.as_deref();
    let how = store::projects::SyncedHow {
        full: crawled.full,
        crawl_reason: crawled.crawl_reason,
        crawl_pages: crawled.full.then_some(crawled.pages),
    };
    if !crawled.named_only {
        store::projects::record_tasks_synced(
            &mut *conn,
            project.id,
            token,
            crawled.watermark,
            how,
            at,
        )
        .await?;
    }
    let mut figures = crawled.tally.get();
    figures.tasks_deleted += deleted;
    figures.tasks_removed += removed;
    Ok(figures)
}

/// How a listing ended.
enum Listed {
    /// Every page was read and written.
    Whole,
    /// Asana answered 404 for a page (the pages before it are written): what
    /// was listed is gone or no longer visible.
    NotFound(asana::Error),
}

/// Writes every page of a listing as it comes, fetching the next page
/// while the last one is written (one write in flight, in Asana's order);
/// a 404 for a page is returned for the caller to judge (the pages before
/// it written), any other error is one.
async fn crawl_pages(
    ctx: &SyncContext,
    project: &ProjectState,
    pages: impl Stream<Item = asana::Result<Page<Task>>>,
    me: &AegisUser,
    crawl: &mut Crawled,
    observer: &dyn Observer,
) -> Result<Listed> {
    pin_mut!(pages);
    let mut in_flight: Option<EncodedPage> = None;
    loop {
        let next = match in_flight.take() {
            None => pages.next().await,
            Some(page) => {
                let rows = page.len() as u64;
                let write = write_page(ctx, page, crawl);
                let (written, next) = futures::join!(write, pages.next());
                let written = written?;
                crawl.tally.update(|f| f.add_page(&written));
                observer.tasks_synced(&project.name, rows);
                next
            }
        };
        let page = match next {
            None => return Ok(Listed::Whole),
            Some(Err(e @ asana::Error::NotFound { .. })) => return Ok(Listed::NotFound(e)),
            Some(page) => page?,
        };
        crawl.pages += 1;
        in_flight = encode_tasks(project, &page.data, me, crawl).await?;
    }
}

/// Writes `tasks` (fetched for `project`) as one page.
pub(super) async fn write_tasks(
    ctx: &SyncContext,
    project: &ProjectState,
    tasks: &[Task],
    me: &AegisUser,
    crawl: &mut Crawled,
) -> Result<()> {
    if let Some(page) = encode_tasks(project, tasks, me, crawl).await? {
        let counts = write_page(ctx, page, crawl).await?;
        crawl.tally.update(|f| f.add_page(&counts));
    }
    Ok(())
}

/// The page of `tasks` ready to write (none for no task), noting the
/// parents whose subtasks to crawl and the watermark.
async fn encode_tasks(
    project: &ProjectState,
    tasks: &[Task],
    me: &AegisUser,
    crawl: &mut Crawled,
) -> Result<Option<EncodedPage>> {
    if tasks.is_empty() {
        return Ok(None);
    }
    let me = me.gid().await?;
    let rows: Vec<_> = tasks.iter().map(|t| task_row(t, me.as_ref())).collect();
    for task in tasks {
        if task.num_subtasks.unwrap_or(0) > 0 {
            crawl.parents.push(task.gid.clone());
        }
        crawl.watermark = crawl.watermark.max(task.modified_at);
    }
    Ok(Some(EncodedPage::new(&rows, project.id, Utc::now())?))
}

/// Writes one page in its own transaction, fenced by the attempt's lease
/// and run lock.
async fn write_page(
    ctx: &SyncContext,
    page: EncodedPage,
    crawl: &Crawled,
) -> Result<store::projects::UpsertCounts> {
    let mut tx = ctx.pool.begin().await?;
    super::fence(&mut tx, crawl.lease.as_ref(), crawl.run_lock.as_ref()).await?;
    let counts = page.upsert(&mut *tx).await?;
    tx.commit().await?;
    Ok(counts)
}

/// Tasks of the project that the crawl did not confirm: each is fetched;
/// 404 → to tombstone; no longer in the project → to drop from it; still
/// there (a listing race) → stored again.
async fn reconcile(
    ctx: &SyncContext,
    asana: &asana::AsanaClient,
    project: &ProjectState,
    me: &AegisUser,
    since: DateTime<Utc>,
    crawl: &mut Crawled,
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
    write_tasks(ctx, project, &present, me, crawl).await?;
    crawl.deleted.extend(deleted);
    crawl.removed.extend(removed);
    Ok(())
}
