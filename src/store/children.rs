//! A queued run's children: which job syncs each project of the run, the
//! coalescing of a request into a sync already queued, the recording of a
//! job's result on every run that waits for it, and the closing of runs
//! whose children are all finished (by the last child, with no collector).

use serde_json::Value;
use sqlx::{PgConnection, PgExecutor, types::Json};
use uuid::Uuid;

use super::{
    Result,
    runs::{RequestFigures, TaskFigures},
};

/// A run closed by the last of its children.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClosedRun {
    /// The run.
    pub id: Uuid,
    /// `done` or `partial`.
    pub status: String,
    /// Its scope (`projects` empty = every project).
    pub scope: Json<Value>,
}

/// Creates a queued run's row unless it exists; returns whether it did.
pub async fn create_queued_run(
    db: impl PgExecutor<'_>,
    id: Uuid,
    mode: &str,
    scope: &Value,
    portfolio_gid: &str,
) -> Result<bool> {
    let done = sqlx::query(
        r#"
        insert into sync_runs (id, origin, mode, scope, portfolio_gid, status)
        values ($1, 'queued', $2, $3, $4, 'queued')
        on conflict (id) do nothing
        "#,
    )
    .bind(id)
    .bind(mode)
    .bind(Json(scope))
    .bind(portfolio_gid)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a queued run as running (a no-op once it is).
pub async fn start_run(db: impl PgExecutor<'_>, id: Uuid) -> Result<()> {
    sqlx::query("update sync_runs set status = 'running' where id = $1 and status = 'queued'")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Whether the run already records a child for the project (a retried parent).
pub async fn has_child(db: impl PgExecutor<'_>, run: Uuid, project_gid: &str) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists (select 1 from sync_run_projects where run_id = $1 and project_gid = $2)",
    )
    .bind(run)
    .bind(project_gid)
    .fetch_one(db)
    .await?)
}

/// Serialises enqueuers of one project until the transaction ends.
pub async fn lock_project(conn: &mut PgConnection, project_gid: &str) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('aegis.project:' || $1))")
        .bind(project_gid)
        .execute(conn)
        .await?;
    Ok(())
}

/// Waits for, then holds, the right to sync the project's tasks: at most one
/// sync of a project runs at a time, in any process (a second one queued
/// behind it waits here). The lock lives in the returned connection's
/// session, which is detached from the pool: dropping it, on any path
/// including a panic or a killed process, releases the lock.
pub async fn hold_project_run(pool: &sqlx::PgPool, project_gid: &str) -> Result<PgConnection> {
    let mut conn = pool.acquire().await?.detach();
    sqlx::query("select pg_advisory_lock(hashtext('aegis.project-run:' || $1))")
        .bind(project_gid)
        .execute(&mut conn)
        .await?;
    Ok(conn)
}

/// The not-yet-started sync of the project, which a new request joins
/// instead of adding another: at most one sync of a project is queued. A
/// full request upgrades a queued incremental one to full (a full sync
/// covers an incremental request, not the reverse). The row is locked so no
/// worker starts it before the caller commits.
pub async fn join_queued_job(
    conn: &mut PgConnection,
    project_gid: &str,
    mode: &str,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        r#"
        with queued as (
            select id from apalis.jobs
            where job_type = $1 and status = 'Pending'
              and convert_from(job, 'UTF8')::jsonb ->> 'project' = $2
            order by run_at limit 1
            for update skip locked
        )
        update apalis.jobs j set job = case
            when $3 = 'full' then convert_to(
                jsonb_set(convert_from(j.job, 'UTF8')::jsonb, '{mode}', '"full"')::text, 'UTF8')
            else j.job end
        from queued where j.id = queued.id
        returning j.id
        "#,
    )
    .bind(aegis_jobs::queue::SYNC_PROJECT_TASKS)
    .bind(project_gid)
    .bind(mode)
    .fetch_optional(conn)
    .await?)
}

/// Records a child of a run, synced by `job_id`; idempotent.
pub async fn add_child(
    db: impl PgExecutor<'_>,
    run: Uuid,
    project_gid: &str,
    project_name: &str,
    job_id: &str,
) -> Result<()> {
    sqlx::query(
        r#"
        insert into sync_run_projects (run_id, project_gid, project_name, job_id)
        values ($1, $2, $3, $4)
        on conflict (run_id, project_gid) do update set job_id = excluded.job_id
        "#,
    )
    .bind(run)
    .bind(project_gid)
    .bind(project_name)
    .bind(job_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Locks the runs that wait for `job_id`, in a stable order, so children
/// finishing at once close their run exactly once.
pub async fn lock_runs_of_job(conn: &mut PgConnection, job_id: &str) -> Result<()> {
    sqlx::query(
        r#"
        select id from sync_runs
        where id in (select run_id from sync_run_projects where job_id = $1)
        order by id for update
        "#,
    )
    .bind(job_id)
    .fetch_all(conn)
    .await?;
    Ok(())
}

/// Marks the children synced by `job_id` as running (attempt started).
pub async fn start_job(db: impl PgExecutor<'_>, job_id: &str) -> Result<()> {
    sqlx::query(
        r#"
        update sync_run_projects set status = 'running', attempts = attempts + 1,
            started_at = coalesce(started_at, now())
        where job_id = $1
        "#,
    )
    .bind(job_id)
    .execute(db)
    .await?;
    Ok(())
}

/// The outcome of one attempt of a project job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Synced.
    Done,
    /// Failed; it will be retried.
    Retrying,
    /// Failed for good (fatal, or out of attempts).
    Dead,
}

/// Records an attempt's result on every child synced by `job_id`.
pub async fn record_job(
    db: impl PgExecutor<'_>,
    job_id: &str,
    outcome: Outcome,
    requests: RequestFigures,
    tasks: TaskFigures,
    error: Option<&str>,
) -> Result<()> {
    let status = match outcome {
        Outcome::Done => "done",
        Outcome::Retrying => "retrying",
        Outcome::Dead => "failed",
    };
    sqlx::query(
        r#"
        update sync_run_projects set status = $2,
            finished_at = case when $2 = 'retrying' then null else now() end,
            api_requests = api_requests + $3, rate_limited = rate_limited + $4,
            waited_ms = waited_ms + $5, pages = pages + $6,
            tasks_created = $7, tasks_updated = $8, tasks_unchanged = $9,
            tasks_removed = $10, tasks_deleted = $11, error = $12
        where job_id = $1
        "#,
    )
    .bind(job_id)
    .bind(status)
    .bind(requests.api_requests)
    .bind(requests.rate_limited)
    .bind(requests.waited_ms)
    .bind(requests.pages)
    .bind(tasks.tasks_created)
    .bind(tasks.tasks_updated)
    .bind(tasks.tasks_unchanged)
    .bind(tasks.tasks_removed)
    .bind(tasks.tasks_deleted)
    .bind(error)
    .execute(db)
    .await?;
    Ok(())
}

/// Closes every run waiting for `job_id` whose children are all finished:
/// `done`, or `partial` naming the failed projects. Call after
/// [`lock_runs_of_job`] and [`record_job`] in the same transaction.
pub async fn close_finished_runs(db: impl PgExecutor<'_>, job_id: &str) -> Result<Vec<ClosedRun>> {
    Ok(sqlx::query_as(
        r#"
        with touched as (
            select distinct run_id from sync_run_projects where job_id = $1
        ),
        finished as (
            select r.id from sync_runs r join touched t on t.run_id = r.id
            where r.status in ('running', 'queued')
              and not exists (select 1 from sync_run_projects c
                              where c.run_id = r.id and c.status not in ('done', 'failed'))
        ),
        failures as (
            select c.run_id, string_agg(c.project_name || ': ' || coalesce(c.error, 'failed'),
                                        '; ' order by c.project_name) as error
            from sync_run_projects c join finished f on f.id = c.run_id
            where c.status = 'failed' group by c.run_id
        )
        update sync_runs r set
            status = case when failures.error is null then 'done' else 'partial' end,
            error = failures.error, finished_at = now()
        from finished left join failures on failures.run_id = finished.id
        where r.id = finished.id
        returning r.id, r.status, r.scope
        "#,
    )
    .bind(job_id)
    .fetch_all(db)
    .await?)
}

/// Reopens the runs of revived (retried) jobs: a project job's children go
/// back to `pending` and their runs to `running`; a portfolio job's run goes
/// back to `queued`. Returns how many runs were reopened.
pub async fn reopen_for_jobs(db: impl PgExecutor<'_>, job_ids: &[String]) -> Result<u64> {
    let done = sqlx::query(
        r#"
        with children as (
            update sync_run_projects set status = 'pending', finished_at = null, error = null
            where job_id = any($1) returning run_id
        ),
        parents as (
            select (convert_from(job, 'UTF8')::jsonb ->> 'run')::uuid as run_id
            from apalis.jobs where id = any($1) and job_type = $2
        )
        update sync_runs set finished_at = null, error = null,
            status = case when id in (select run_id from parents) then 'queued' else 'running' end
        where id in (select run_id from children union select run_id from parents)
        "#,
    )
    .bind(job_ids)
    .bind(aegis_jobs::queue::SYNC_PORTFOLIO)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
