//! The sync as durable jobs: what a `SyncPortfolio` and a `SyncProjectTasks`
//! job do, apart from how a worker runs them.
//!
//! A portfolio job records its run, syncs the portfolio, and in ONE
//! transaction records the run's children and enqueues (or joins) one project
//! job per selected project. A project job crawls its project, then in ONE
//! transaction writes its last rows, records its result on every run waiting
//! for it, and closes the runs it finished. Runs are recorded through
//! [`crate::runs`], exactly as inline runs are.

use aegis_jobs::{Enqueued, Scope, SyncPortfolio, SyncProjectTasks};
use sqlx::{Acquire, PgConnection};
use tracing::{info, instrument};
use uuid::Uuid;

use super::{
    Attempt, Error, PlainObserver, Result, SyncContext, delivered,
    portfolio::sync_and_record,
    project::apply,
    recording::{record_alone, record_attempt},
    selection::select,
};
use crate::{
    queue,
    runs::{self, Children, NewRun, Origin, Outcome, RunStatus, TaskFigures},
    store::{self, projects::ProjectState},
};

/// Records a queued run and enqueues its `SyncPortfolio` job into the
/// queues of `namespace`, atomically (in a savepoint of the caller's
/// transaction, or a transaction of its own). Returns the run id, which
/// [`runs::get`] knows at once (`queued`). `conn` may be a host's connection:
/// the run is written in `namespace.schema`, whatever its `search_path`.
///
/// # Errors
/// The database's.
pub async fn enqueue_sync(
    conn: &mut PgConnection,
    namespace: &store::Namespace,
    job: &SyncPortfolio,
) -> Result<Uuid> {
    enqueue_sync_once(conn, namespace, job).await?;
    Ok(job.run)
}

/// As [`enqueue_sync`], and says whether the run was new (false: a job of
/// the same run id was enqueued before, and nothing was added).
///
/// # Errors
/// The database's.
pub async fn enqueue_sync_once(
    conn: &mut PgConnection,
    namespace: &store::Namespace,
    job: &SyncPortfolio,
) -> Result<bool> {
    let mut tx = conn.begin().await?;
    let previous = namespace.enter(&mut tx).await?;
    let created = open_queued(&mut *tx, job.run, job.mode, &job.scope, &job.portfolio).await?;
    let enqueued = aegis_jobs::enqueue_in(&mut tx, &namespace.queues, job)
        .await
        .map_err(queue_error)?;
    namespace.leave(&mut tx, &previous).await?;
    tx.commit().await?;
    Ok(created && enqueued != Enqueued::AlreadyPresent)
}

async fn open_queued(
    db: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    mode: aegis_jobs::Mode,
    scope: &Scope,
    portfolio_gid: &str,
) -> Result<bool> {
    let new = NewRun {
        id,
        origin: Origin::Queued,
        mode,
        scope,
        portfolio_gid,
    };
    Ok(runs::open(db, &new).await?)
}

fn queue_error(e: aegis_jobs::Error) -> Error {
    match e {
        aegis_jobs::Error::Database(e) => e.into(),
        aegis_jobs::Error::Encode(e) => Error::Fatal(format!("encoding a job failed: {e}")),
    }
}

/// Runs a `SyncPortfolio` job; returns how many project jobs it enqueued.
///
/// # Errors
/// [`Error::Fatal`] for a job of a portfolio this context does not sync
/// (the job is the truth: it is never run against another portfolio);
/// Asana's or the database's; unknown chosen projects.
#[instrument(skip_all, fields(run.id = %job.run, portfolio.gid = %job.portfolio))]
pub async fn portfolio_job(
    ctx: &SyncContext,
    attempt: &Attempt,
    job: &SyncPortfolio,
) -> Result<usize> {
    // Opened first, so a job enqueued without its run (aegis-jobs alone)
    // still has one to fail.
    open_queued(&ctx.pool, job.run, job.mode, &job.scope, &job.portfolio).await?;
    if job.portfolio != ctx.portfolio.as_str() {
        return Err(Error::Fatal(format!(
            "the job is for portfolio {} but this worker syncs portfolio {} \
             (run a worker with ASANA_PORTFOLIO_GID={})",
            job.portfolio, ctx.portfolio, job.portfolio
        )));
    }
    runs::start(&ctx.pool, job.run).await?;
    let outcome = sync_and_record(ctx, attempt, job.run).await?;
    if job.scope.projects_only {
        runs::close(&ctx.pool, job.run, RunStatus::Done, None).await?;
        return Ok(0);
    }
    let selected = select(&outcome.projects, &job.scope.projects)?;
    let selected = crate::webhooks::health::without_covered(ctx, job, selected).await?;
    fan_out(ctx, attempt, job, &selected).await
}

/// Records the children and enqueues (or joins) their jobs in one
/// transaction; a retried parent finds its children and adds none.
async fn fan_out(
    ctx: &SyncContext,
    attempt: &Attempt,
    job: &SyncPortfolio,
    selected: &[ProjectState],
) -> Result<usize> {
    let mut tx = ctx.pool.begin().await?;
    attempt.fence(&mut tx).await?;
    let mut enqueued = 0;
    for project in selected {
        store::locks::lock_project(&mut tx, &project.asana_gid).await?;
        if runs::has_child(&mut *tx, job.run, &project.asana_gid).await? {
            continue;
        }
        let job_id = match queue::join_queued_job(
            &mut tx,
            &ctx.namespace.queues,
            &project.asana_gid,
            job.mode,
            &[],
        )
        .await?
        {
            Some(existing) => existing,
            None => match enqueue_child(&mut tx, &ctx.namespace.queues, job, project).await? {
                Some(id) => {
                    enqueued += 1;
                    id
                }
                None => continue,
            },
        };
        let child = (project.asana_gid.as_str(), project.name.as_str());
        runs::add_child(&mut *tx, job.run, child, &job_id).await?;
    }
    if selected.is_empty() {
        runs::close(&mut *tx, job.run, RunStatus::Done, None).await?;
    }
    tx.commit().await?;
    info!(children = selected.len(), enqueued, "fanned out");
    Ok(enqueued)
}

async fn enqueue_child(
    conn: &mut PgConnection,
    queues: &aegis_jobs::Queues,
    job: &SyncPortfolio,
    project: &ProjectState,
) -> Result<Option<String>> {
    let child = SyncProjectTasks::new(job.run, project.asana_gid.clone(), job.mode);
    match aegis_jobs::enqueue_in(conn, queues, &child)
        .await
        .map_err(queue_error)?
    {
        Enqueued::Inserted(id) => Ok(Some(id)),
        Enqueued::AlreadyPresent => Ok(None),
    }
}

/// Runs one attempt of a `SyncProjectTasks` job (`job_id` is its queue id).
///
/// # Errors
/// Asana's or the database's; a project aegis does not know is fatal.
#[instrument(skip_all, fields(run.id = %job.run, project.gid = %job.project, job.id = job_id))]
pub async fn project_job(
    ctx: &SyncContext,
    attempt: &Attempt,
    job: &SyncProjectTasks,
    job_id: &str,
) -> Result<TaskFigures> {
    let attempt = &attempt.for_run(job.run);
    let project = store::projects::by_gid(&ctx.pool, &job.project)
        .await?
        .ok_or_else(|| {
            Error::Fatal(format!(
                "project {} is not known to aegis (sync the portfolio first)",
                job.project
            ))
        })?;
    let started = std::time::Instant::now();
    adopt_orphan_job(ctx, job, job_id, &project).await?;
    let running = store::locks::hold_project_run(&ctx.pool, &project.asana_gid).await?;
    attempt.holds_run_lock(&project.asana_gid, &running);
    let children = Children::OfJob(job_id);
    runs::child_started(&ctx.pool, children).await?;
    let crawled = delivered::crawl_for_job(ctx, attempt, &project, job, &PlainObserver).await?;
    let mut tx = ctx.pool.begin().await?;
    attempt.fence(&mut tx).await?;
    runs::lock_runs(&mut tx, children).await?;
    let figures = apply(&mut tx, &project, crawled).await?;
    let (requests, _) = attempt.unrecorded();
    record_attempt(&mut tx, children, Outcome::Done, (requests, figures), None).await?;
    tx.commit().await?;
    attempt.mark_recorded();
    info!(
        project.gid = %project.asana_gid,
        project = %project.name,
        created = figures.tasks_created,
        updated = figures.tasks_updated,
        unchanged = figures.tasks_unchanged,
        removed = figures.tasks_removed,
        deleted = figures.tasks_deleted,
        requests = requests.api_requests,
        rate_limited = requests.rate_limited,
        duration_ms = started.elapsed().as_millis() as u64,
        "project job done"
    );
    Ok(figures)
}

/// A project job enqueued by hand (no portfolio job) still gets a run.
async fn adopt_orphan_job(
    ctx: &SyncContext,
    job: &SyncProjectTasks,
    job_id: &str,
    project: &ProjectState,
) -> Result<()> {
    let scope = Scope {
        projects_only: false,
        projects: vec![job.project.clone()],
    };
    let portfolio = ctx.portfolio.as_str();
    if open_queued(&ctx.pool, job.run, job.mode, &scope, portfolio).await? {
        let child = (project.asana_gid.as_str(), project.name.as_str());
        runs::add_child(&ctx.pool, job.run, child, job_id).await?;
    }
    runs::start(&ctx.pool, job.run).await?;
    Ok(())
}

/// Records a failed attempt of a project job on its runs: what it did
/// (requests, and the pages it committed) counts; `Retrying` keeps the
/// runs open, `Dead` may close them as `partial`.
///
/// # Errors
/// The database's.
pub async fn project_job_failed(
    ctx: &SyncContext,
    job_id: &str,
    attempt: &Attempt,
    outcome: Outcome,
    error: &str,
) -> Result<()> {
    let children = Children::OfJob(job_id);
    let figures = attempt.unrecorded();
    record_alone(ctx, attempt, (children, outcome), figures, Some(error)).await
}

/// Records a failed attempt of a portfolio job: its requests count; a dead
/// one fails its run.
///
/// # Errors
/// The database's.
pub async fn portfolio_job_failed(
    ctx: &SyncContext,
    run: Uuid,
    attempt: &Attempt,
    outcome: Outcome,
    error: &str,
) -> Result<()> {
    let (requests, _) = attempt.unrecorded();
    let mut tx = ctx.pool.begin().await?;
    attempt.fence(&mut tx).await?;
    runs::record_portfolio(&mut *tx, run, requests, None).await?;
    if outcome == Outcome::Dead {
        runs::close(&mut *tx, run, RunStatus::Failed, Some(error)).await?;
    }
    tx.commit().await?;
    attempt.mark_recorded();
    Ok(())
}
