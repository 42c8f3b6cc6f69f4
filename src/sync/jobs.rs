//! The sync as durable jobs: what a `SyncPortfolio` and a `SyncProjectTasks`
//! job do, apart from how a worker runs them.
//!
//! A portfolio job records its run, syncs the portfolio, and in ONE
//! transaction records the run's children and enqueues (or joins) one project
//! job per selected project. A project job crawls its project, then in ONE
//! transaction writes its last rows, records its result on every run waiting
//! for it, and closes the runs it finished.

use aegis_jobs::{Enqueued, SyncPortfolio, SyncProjectTasks};
use chrono::Utc;
use serde_json::json;
use sqlx::PgConnection;
use tracing::{info, instrument};
use uuid::Uuid;

use super::{
    AegisUser, Error, Result, SyncContext,
    portfolio::sync_and_record,
    project::{apply, crawl_project},
    run::{PlainObserver, request_figures, select},
};
use crate::{
    asana::AsanaClient,
    store::{
        self,
        children::{self, Outcome},
        projects::ProjectState,
        runs::{RequestFigures, TaskFigures},
    },
};

/// Records a queued run and enqueues its `SyncPortfolio` job, in one
/// transaction. Returns the run id.
///
/// # Errors
/// The database's.
pub async fn enqueue_sync(conn: &mut PgConnection, job: &SyncPortfolio) -> Result<Uuid> {
    enqueue_sync_once(conn, job).await?;
    Ok(job.run)
}

/// As [`enqueue_sync`], and says whether the run was new (false: a job of
/// the same run id was enqueued before, and nothing was added).
///
/// # Errors
/// The database's.
pub async fn enqueue_sync_once(conn: &mut PgConnection, job: &SyncPortfolio) -> Result<bool> {
    let scope = serde_json::to_value(&job.scope).unwrap_or_default();
    let mode = job.mode.as_str();
    let created =
        children::create_queued_run(&mut *conn, job.run, mode, &scope, &job.portfolio).await?;
    let enqueued = aegis_jobs::enqueue(conn, job).await.map_err(queue_error)?;
    Ok(created && enqueued != Enqueued::AlreadyPresent)
}

fn queue_error(e: aegis_jobs::Error) -> Error {
    match e {
        aegis_jobs::Error::Database(e) => e.into(),
        aegis_jobs::Error::Encode(e) => Error::Store(store::Error::NotFound(e.to_string())),
    }
}

/// Runs a `SyncPortfolio` job; returns how many project jobs it enqueued.
/// `asana` is the attempt's client handle (its stats are the attempt's).
///
/// # Errors
/// Asana's or the database's; unknown chosen projects.
#[instrument(skip_all, fields(run.id = %job.run, portfolio.gid = %job.portfolio))]
pub async fn portfolio_job(
    ctx: &SyncContext,
    asana: &AsanaClient,
    job: &SyncPortfolio,
) -> Result<usize> {
    let scope = serde_json::to_value(&job.scope).unwrap_or_default();
    children::create_queued_run(
        &ctx.pool,
        job.run,
        job.mode.as_str(),
        &scope,
        &job.portfolio,
    )
    .await?;
    children::start_run(&ctx.pool, job.run).await?;
    let outcome = sync_and_record(ctx, asana, job.run).await?;
    if job.scope.projects_only {
        store::runs::finish(&ctx.pool, job.run, "done", None).await?;
        return Ok(0);
    }
    let selected = select(&outcome.projects, &job.scope.projects)?;
    fan_out(ctx, job, &selected).await
}

/// Records the children and enqueues (or joins) their jobs in one
/// transaction; a retried parent finds its children and adds none.
async fn fan_out(
    ctx: &SyncContext,
    job: &SyncPortfolio,
    selected: &[ProjectState],
) -> Result<usize> {
    let mut tx = ctx.pool.begin().await?;
    let mut enqueued = 0;
    for project in selected {
        children::lock_project(&mut tx, &project.asana_gid).await?;
        if children::has_child(&mut *tx, job.run, &project.asana_gid).await? {
            continue;
        }
        let job_id = match children::join_queued_job(&mut tx, &project.asana_gid, job.mode.as_str())
            .await?
        {
            Some(existing) => existing,
            None => {
                let child = SyncProjectTasks {
                    run: job.run,
                    project: project.asana_gid.clone(),
                    mode: job.mode,
                };
                enqueued += 1;
                match aegis_jobs::enqueue(&mut tx, &child)
                    .await
                    .map_err(queue_error)?
                {
                    Enqueued::Inserted(id) => id,
                    Enqueued::AlreadyPresent => continue,
                }
            }
        };
        children::add_child(
            &mut *tx,
            job.run,
            &project.asana_gid,
            &project.name,
            &job_id,
        )
        .await?;
    }
    if selected.is_empty() {
        store::runs::finish(&mut *tx, job.run, "done", None).await?;
    }
    tx.commit().await?;
    info!(children = selected.len(), enqueued, "fanned out");
    Ok(enqueued)
}

/// Runs one attempt of a `SyncProjectTasks` job (`job_id` is its queue id).
/// `asana` is the attempt's client handle (its stats are the attempt's).
///
/// # Errors
/// Asana's or the database's; a project aegis does not know is fatal.
#[instrument(skip_all, fields(run.id = %job.run, project.gid = %job.project, job.id = job_id))]
pub async fn project_job(
    ctx: &SyncContext,
    asana: &AsanaClient,
    job: &SyncProjectTasks,
    job_id: &str,
) -> Result<TaskFigures> {
    let project = store::projects::by_gid(&ctx.pool, &job.project)
        .await?
        .ok_or_else(|| {
            store::Error::NotFound(format!(
                "project {} (sync the portfolio first)",
                job.project
            ))
        })?;
    adopt_orphan_job(ctx, job, job_id, &project).await?;
    let _running = children::hold_project_run(&ctx.pool, &project.asana_gid).await?;
    children::start_job(&ctx.pool, job_id).await?;
    let me = AegisUser::new(ctx, asana);
    let crawled = crawl_project(ctx, asana, &project, &me, job.mode, &PlainObserver).await?;
    let mut tx = ctx.pool.begin().await?;
    children::lock_runs_of_job(&mut tx, job_id).await?;
    let figures = apply(&mut tx, &project, crawled).await?;
    let requests = request_figures(&asana.stats());
    children::record_job(&mut *tx, job_id, Outcome::Done, requests, figures, None).await?;
    close_runs(&mut tx, job_id).await?;
    tx.commit().await?;
    Ok(figures)
}

/// A project job enqueued by hand (no portfolio job) still gets a run.
async fn adopt_orphan_job(
    ctx: &SyncContext,
    job: &SyncProjectTasks,
    job_id: &str,
    project: &ProjectState,
) -> Result<()> {
    let scope = json!({ "projects_only": false, "projects": [job.project] });
    let portfolio = ctx.portfolio.as_str();
    if children::create_queued_run(&ctx.pool, job.run, job.mode.as_str(), &scope, portfolio).await?
    {
        children::add_child(
            &ctx.pool,
            job.run,
            &project.asana_gid,
            &project.name,
            job_id,
        )
        .await?;
    }
    children::start_run(&ctx.pool, job.run).await?;
    Ok(())
}

async fn close_runs(conn: &mut PgConnection, job_id: &str) -> Result<()> {
    for run in children::close_finished_runs(&mut *conn, job_id).await? {
        let all_projects = run.scope.0["projects"]
            .as_array()
            .is_none_or(|p| p.is_empty());
        if run.status == "done" && all_projects {
            store::state::set_tasks_synced(&mut *conn, Utc::now()).await?;
        }
        info!(run.id = %run.id, run.status = %run.status, "run closed");
    }
    Ok(())
}

/// Records a failed attempt of a project job on its runs: `Retrying` keeps
/// them open; `Dead` may close them as `partial`.
///
/// # Errors
/// The database's.
pub async fn project_job_failed(
    ctx: &SyncContext,
    job_id: &str,
    outcome: Outcome,
    requests: RequestFigures,
    error: &str,
) -> Result<()> {
    let mut tx = ctx.pool.begin().await?;
    children::lock_runs_of_job(&mut tx, job_id).await?;
    children::record_job(
        &mut *tx,
        job_id,
        outcome,
        requests,
        TaskFigures::default(),
        Some(error),
    )
    .await?;
    if outcome == Outcome::Dead {
        close_runs(&mut tx, job_id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records a dead portfolio job: its run failed.
///
/// # Errors
/// The database's.
pub async fn portfolio_job_died(ctx: &SyncContext, run: Uuid, error: &str) -> Result<()> {
    store::runs::finish(&ctx.pool, run, "failed", Some(error)).await?;
    Ok(())
}
