//! A run's children (`sync_run_projects`): one project's tasks each, added
//! when the run selects its projects, then started and finished per
//! attempt; the last child to finish closes its run.
//!
//! A queued child names the job that syncs it, and several runs may wait
//! for one job (a request coalesced into a sync already queued), so the
//! per-attempt functions take [`Children`]: the children of a job, or one
//! project of an inline run.

use sqlx::{PgConnection, PgExecutor, types::Json};
use uuid::Uuid;

use super::{Outcome, RequestFigures, RunStatus, TaskFigures};
use crate::store::Result;

/// Which children an attempt is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Children<'a> {
    /// Every child synced by this queued job, in whatever run.
    OfJob(&'a str),
    /// One project of one run (inline runs).
    OfProject {
        /// The run.
        run: Uuid,
        /// The project's gid.
        project_gid: &'a str,
    },
}

impl<'a> Children<'a> {
    /// `($1 job id, $2 run, $3 project gid)` for the selector in the SQL
    /// below: `job_id = $1`, else `run_id = $2 and project_gid = $3`.
    fn binds(self) -> (Option<&'a str>, Option<Uuid>, Option<&'a str>) {
        match self {
            Children::OfJob(job) => (Some(job), None, None),
            Children::OfProject { run, project_gid } => (None, Some(run), Some(project_gid)),
        }
    }
}

/// A run closed by the last of its children.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClosedRun {
    /// The run.
    pub id: Uuid,
    /// `done`, `partial` or `cancelled`.
    pub status: RunStatus,
    /// Its scope (no chosen projects = every project).
    pub scope: Json<aegis_jobs::Scope>,
}

/// Records the projects an inline run will sync, `pending`; idempotent.
pub async fn add_pending(
    db: impl PgExecutor<'_>,
    run: Uuid,
    projects: &[(String, String)],
) -> Result<()> {
    let (gids, names): (Vec<_>, Vec<_>) = projects.iter().cloned().unzip();
    sqlx::query(
        r#"
        insert into sync_run_projects (run_id, project_gid, project_name)
        select $1, g, n from unnest($2::text[], $3::text[]) as x(g, n)
        on conflict (run_id, project_gid) do nothing
        "#,
    )
    .bind(run)
    .bind(gids)
    .bind(names)
    .execute(db)
    .await?;
    Ok(())
}

/// Records a child of a queued run, synced by `job_id`; idempotent.
pub async fn add_child(
    db: impl PgExecutor<'_>,
    run: Uuid,
    (project_gid, project_name): (&str, &str),
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

/// Whether the run already has a child for the project (a retried parent).
pub async fn has_child(db: impl PgExecutor<'_>, run: Uuid, project_gid: &str) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists (select 1 from sync_run_projects where run_id = $1 and project_gid = $2)",
    )
    .bind(run)
    .bind(project_gid)
    .fetch_one(db)
    .await?)
}

/// Locks the runs of the children, in a stable order, so children
/// finishing at once close their run exactly once. Call it first in the
/// transaction that records an attempt's result.
pub async fn lock_runs(conn: &mut PgConnection, children: Children<'_>) -> Result<()> {
    let (job, run, project) = children.binds();
    sqlx::query(
        r#"
        select id from sync_runs
        where id in (select run_id from sync_run_projects
                     where case when $1::text is not null then job_id = $1
                                else run_id = $2 and project_gid = $3 end)
        order by id for update
        "#,
    )
    .bind(job)
    .bind(run)
    .bind(project)
    .fetch_all(conn)
    .await?;
    Ok(())
}

/// An attempt started: the children are `running`, their attempts + 1.
pub async fn child_started(db: impl PgExecutor<'_>, children: Children<'_>) -> Result<()> {
    let (job, run, project) = children.binds();
    sqlx::query(
        r#"
        update sync_run_projects set status = 'running', attempts = attempts + 1,
            started_at = coalesce(started_at, now())
        where case when $1::text is not null then job_id = $1
                   else run_id = $2 and project_gid = $3 end
        "#,
    )
    .bind(job)
    .bind(run)
    .bind(project)
    .execute(db)
    .await?;
    Ok(())
}

/// Records an attempt's result on the children (and, by the roll-up
/// trigger, on their runs): requests add up; tasks created, updated,
/// removed and deleted add up; unchanged is the attempt's own, less the
/// tasks earlier attempts already counted as created or updated (see the
/// [module docs](super)). A child recorded done takes how its project's
/// sync read Asana (`events` or `crawl`, and why) from the project's row,
/// which that sync wrote before.
pub async fn child_finished(
    db: impl PgExecutor<'_>,
    children: Children<'_>,
    outcome: Outcome,
    (requests, tasks): (RequestFigures, TaskFigures),
    error: Option<&str>,
) -> Result<()> {
    let (job, run, project) = children.binds();
    sqlx::query(
        r#"
        update sync_run_projects set status = $4,
            finished_at = case when $4 = 'retrying' then null else now() end,
            api_requests = api_requests + $5, rate_limited = rate_limited + $6,
            waited_ms = waited_ms + $7, pages = pages + $8,
            tasks_created = tasks_created + $9, tasks_updated = tasks_updated + $10,
            tasks_unchanged = greatest(0, $11 - tasks_created - tasks_updated),
            tasks_removed = tasks_removed + $12, tasks_deleted = tasks_deleted + $13,
            error = $14, paced_ms = paced_ms + $15,
            (mode, mode_reason) = (select case when $4 = 'done' then p.last_sync_mode
                                              else sync_run_projects.mode end,
                                          case when $4 = 'done' then p.last_sync_reason
                                              else sync_run_projects.mode_reason end
                                   from (select 1) one left join projects p
                                       on p.asana_gid = sync_run_projects.project_gid)
        where case when $1::text is not null then job_id = $1
                   else run_id = $2 and project_gid = $3 end
        "#,
    )
    .bind(job)
    .bind(run)
    .bind(project)
    .bind(outcome.status())
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
    .bind(requests.paced_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Closes every open run of the children whose children are all finished:
/// `done`, `partial` naming the failed projects, or `cancelled` when an
/// operator cancelled one of them (`aegis queue cancel`). Call it after
/// [`lock_runs`] and [`child_finished`] in the same transaction.
pub async fn close_finished(
    db: impl PgExecutor<'_>,
    children: Children<'_>,
) -> Result<Vec<ClosedRun>> {
    let (job, run, project) = children.binds();
    Ok(sqlx::query_as(
        r#"
        with touched as (
            select distinct run_id from sync_run_projects
            where case when $1::text is not null then job_id = $1
                       else run_id = $2 and project_gid = $3 end
        ),
        finished as (
            select r.id from sync_runs r join touched t on t.run_id = r.id
            where r.status in ('running', 'queued')
              and not exists (select 1 from sync_run_projects c where c.run_id = r.id
                              and c.status not in ('done', 'failed', 'cancelled'))
        ),
        cancelled as (
            select distinct c.run_id from sync_run_projects c join finished f on f.id = c.run_id
            where c.status = 'cancelled'
        ),
        failures as (
            select c.run_id,
                string_agg(c.project_name || ': ' || coalesce(c.error, 'failed'),
                           '; ' order by c.project_name) as error
            from sync_run_projects c join finished f on f.id = c.run_id
            where c.status = 'failed' group by c.run_id
        )
        update sync_runs r set
            status = case when cancelled.run_id is not null then 'cancelled'
                          when failures.error is null then 'done' else 'partial' end,
            error = coalesce(failures.error, case when cancelled.run_id is not null
                                                  then 'some projects were cancelled' end),
            finished_at = now()
        from finished left join failures on failures.run_id = finished.id
            left join cancelled on cancelled.run_id = finished.id
        where r.id = finished.id
        returning r.id, r.status, r.scope
        "#,
    )
    .bind(job)
    .bind(run)
    .bind(project)
    .fetch_all(db)
    .await?)
}
