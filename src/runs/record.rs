//! A run's own row: opened (inline `running`, queued `queued`), started,
//! the portfolio step's figures, closed, and reopened for revived jobs.

use aegis_jobs::{Mode, Scope};
use sqlx::{PgExecutor, types::Json};
use uuid::Uuid;

use super::{Origin, RequestFigures, RunStatus};
use crate::store::{Result, projects::UpsertCounts};

/// What a run was asked to do, as recorded.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    /// The run's id.
    pub id: Uuid,
    /// Inline or queued.
    pub origin: Origin,
    /// Incremental or full.
    pub mode: Mode,
    /// Scope: projects only, chosen projects.
    pub scope: &'a Scope,
    /// The synced portfolio.
    pub portfolio_gid: &'a str,
}

/// Records a run unless its id is already recorded (a retried or repeated
/// enqueue); returns whether it was new. An inline run starts `running`, a
/// queued one `queued`.
pub async fn open(db: impl PgExecutor<'_>, run: &NewRun<'_>) -> Result<bool> {
    let status = match run.origin {
        Origin::Inline => RunStatus::Running,
        Origin::Queued => RunStatus::Queued,
    };
    let done = sqlx::query(
        r#"
        insert into sync_runs (id, origin, mode, scope, portfolio_gid, status)
        values ($1, $2, $3, $4, $5, $6)
        on conflict (id) do nothing
        "#,
    )
    .bind(run.id)
    .bind(run.origin)
    .bind(run.mode.as_str())
    .bind(Json(run.scope))
    .bind(run.portfolio_gid)
    .bind(status)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a queued run as running (a no-op once it is).
pub async fn start(db: impl PgExecutor<'_>, id: Uuid) -> Result<()> {
    sqlx::query("update sync_runs set status = 'running' where id = $1 and status = 'queued'")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Adds a portfolio attempt's requests to the run and, when given, records
/// its project counts `(created/updated/unchanged, removed)`: the latest
/// attempt's (requests add up; a failed attempt gives none).
pub async fn record_portfolio(
    db: impl PgExecutor<'_>,
    run: Uuid,
    requests: RequestFigures,
    projects: Option<(UpsertCounts, i32)>,
) -> Result<()> {
    let counts = projects.map(|(c, _)| c);
    sqlx::query(
        r#"
        update sync_runs set
            api_requests = api_requests + $2, rate_limited = rate_limited + $3,
            waited_ms = waited_ms + $4, pages = pages + $5,
            projects_created = coalesce($6, projects_created),
            projects_updated = coalesce($7, projects_updated),
            projects_unchanged = coalesce($8, projects_unchanged),
            projects_removed = coalesce($9, projects_removed),
            paced_ms = paced_ms + $10
        where id = $1
        "#,
    )
    .bind(run)
    .bind(requests.api_requests)
    .bind(requests.rate_limited)
    .bind(requests.waited_ms)
    .bind(requests.pages)
    .bind(counts.map(|c| c.created as i32))
    .bind(counts.map(|c| c.updated as i32))
    .bind(counts.map(|c| c.unchanged as i32))
    .bind(projects.map(|(_, removed)| removed))
    .bind(requests.paced_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Closes a run that is still open with `status` (a run already closed, say
/// by its last child, keeps its state); returns whether it closed it.
pub async fn close(
    db: impl PgExecutor<'_>,
    run: Uuid,
    status: RunStatus,
    error: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        r#"
        update sync_runs set status = $2, error = $3, finished_at = now()
        where id = $1 and status in ('queued', 'running')
        "#,
    )
    .bind(run)
    .bind(status)
    .bind(error)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Reopens the runs of revived jobs: the children synced by `child_jobs` go
/// back to `pending` and their runs to `running`; the runs in
/// `portfolio_runs` (their portfolio job was revived) go back to `queued`.
/// Returns how many runs were reopened. Call it in the transaction that
/// revives the jobs, so no worker finishes one before its run is open.
pub async fn reopen(
    db: impl PgExecutor<'_>,
    child_jobs: &[String],
    portfolio_runs: &[Uuid],
) -> Result<u64> {
    let done = sqlx::query(
        r#"
        with children as (
            update sync_run_projects set status = 'pending', finished_at = null, error = null
            where job_id = any($1) returning run_id
        )
        update sync_runs set finished_at = null, error = null,
            status = case when id = any($2) then 'queued' else 'running' end
        where id in (select run_id from children) or id = any($2)
        "#,
    )
    .bind(child_jobs)
    .bind(portfolio_runs)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
