//! `sync_runs` and `sync_run_projects`: every sync, inline or queued, with
//! its figures, and the per-project results (the run's children).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, types::Json};
use uuid::Uuid;

use super::Result;

/// What a run was asked to do, as recorded.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    /// The run's id.
    pub id: Uuid,
    /// `inline` or `queued`.
    pub origin: &'a str,
    /// `incremental` or `full`.
    pub mode: &'a str,
    /// Scope: projects_only, chosen projects.
    pub scope: serde_json::Value,
    /// The synced portfolio.
    pub portfolio_gid: &'a str,
}

/// Request figures of a run or of one project of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RequestFigures {
    /// Requests sent to Asana.
    pub api_requests: i64,
    /// 429 answers received.
    pub rate_limited: i64,
    /// Milliseconds spent waiting for Retry-After or backoff.
    pub waited_ms: i64,
    /// Pages read.
    pub pages: i64,
}

/// Task figures of one project of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TaskFigures {
    /// Tasks that were new.
    pub tasks_created: i32,
    /// Tasks whose content changed.
    pub tasks_updated: i32,
    /// Tasks confirmed unchanged.
    pub tasks_unchanged: i32,
    /// Tasks moved out of the project.
    pub tasks_removed: i32,
    /// Tasks deleted in Asana (tombstoned).
    pub tasks_deleted: i32,
}

/// A run as listed.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Run {
    /// Id.
    pub id: Uuid,
    /// `inline` or `queued`.
    pub origin: String,
    /// `incremental` or `full`.
    pub mode: String,
    /// Scope as recorded.
    pub scope: Json<serde_json::Value>,
    /// Portfolio.
    pub portfolio_gid: String,
    /// `running`, `done`, `partial` or `failed`.
    pub status: String,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Request figures (the portfolio's own requests plus every project's).
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub requests: RequestFigures,
    /// Projects created.
    pub projects_created: i32,
    /// Projects whose content changed.
    pub projects_updated: i32,
    /// Projects confirmed unchanged.
    pub projects_unchanged: i32,
    /// Projects that left the portfolio.
    pub projects_removed: i32,
    /// What went wrong.
    pub error: Option<String>,
}

/// One project's result in a run.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ProjectResult {
    /// The project.
    pub project_gid: String,
    /// Its name.
    pub project_name: String,
    /// `pending`, `running`, `done` or `failed`.
    pub status: String,
    /// Start.
    pub started_at: Option<DateTime<Utc>>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Request figures.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub requests: RequestFigures,
    /// Task figures.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub tasks: TaskFigures,
    /// What went wrong.
    pub error: Option<String>,
}

/// Records a new run as `running`.
pub async fn create(db: impl PgExecutor<'_>, run: &NewRun<'_>) -> Result<()> {
    sqlx::query(
        r#"
        insert into sync_runs (id, origin, mode, scope, portfolio_gid)
        values ($1, $2, $3, $4, $5)
        "#,
    )
    .bind(run.id)
    .bind(run.origin)
    .bind(run.mode)
    .bind(Json(&run.scope))
    .bind(run.portfolio_gid)
    .execute(db)
    .await?;
    Ok(())
}

/// Records the portfolio step's figures on the run.
pub async fn record_portfolio(
    db: impl PgExecutor<'_>,
    run: Uuid,
    requests: RequestFigures,
    projects: super::projects::UpsertCounts,
    removed: i32,
) -> Result<()> {
    sqlx::query(
        r#"
        update sync_runs set
            api_requests = api_requests + $2, rate_limited = rate_limited + $3,
            waited_ms = waited_ms + $4, pages = pages + $5,
            projects_created = $6, projects_updated = $7, projects_unchanged = $8,
            projects_removed = $9
        where id = $1
        "#,
    )
    .bind(run)
    .bind(requests.api_requests)
    .bind(requests.rate_limited)
    .bind(requests.waited_ms)
    .bind(requests.pages)
    .bind(projects.created as i32)
    .bind(projects.updated as i32)
    .bind(projects.unchanged as i32)
    .bind(removed)
    .execute(db)
    .await?;
    Ok(())
}

/// Records the projects a run will sync (its children), as `pending`.
/// Idempotent: a child already recorded is left as it is.
pub async fn add_projects(
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

/// Marks one project of a run as started.
pub async fn start_project(db: impl PgExecutor<'_>, run: Uuid, project_gid: &str) -> Result<()> {
    sqlx::query(
        r#"
        update sync_run_projects set status = 'running', started_at = coalesce(started_at, now())
        where run_id = $1 and project_gid = $2
        "#,
    )
    .bind(run)
    .bind(project_gid)
    .execute(db)
    .await?;
    Ok(())
}

/// Records one project's result (`done` or `failed`) and adds its request
/// figures to the run.
pub async fn finish_project(
    db: impl PgExecutor<'_>,
    run: Uuid,
    project_gid: &str,
    requests: RequestFigures,
    tasks: TaskFigures,
    error: Option<&str>,
) -> Result<()> {
    sqlx::query(
        r#"
        with p as (
            update sync_run_projects set
                status = case when $9::text is null then 'done' else 'failed' end,
                finished_at = now(), api_requests = api_requests + $3,
                rate_limited = rate_limited + $4, waited_ms = waited_ms + $5,
                pages = pages + $6, tasks_created = $7, tasks_updated = $8, error = $9,
                tasks_unchanged = $10, tasks_removed = $11, tasks_deleted = $12
            where run_id = $1 and project_gid = $2
        )
        update sync_runs set
            api_requests = api_requests + $3, rate_limited = rate_limited + $4,
            waited_ms = waited_ms + $5, pages = pages + $6
        where id = $1
        "#,
    )
    .bind(run)
    .bind(project_gid)
    .bind(requests.api_requests)
    .bind(requests.rate_limited)
    .bind(requests.waited_ms)
    .bind(requests.pages)
    .bind(tasks.tasks_created)
    .bind(tasks.tasks_updated)
    .bind(error)
    .bind(tasks.tasks_unchanged)
    .bind(tasks.tasks_removed)
    .bind(tasks.tasks_deleted)
    .execute(db)
    .await?;
    Ok(())
}

/// Closes a run with its final status.
pub async fn finish(
    db: impl PgExecutor<'_>,
    run: Uuid,
    status: &str,
    error: Option<&str>,
) -> Result<()> {
    sqlx::query("update sync_runs set status = $2, error = $3, finished_at = now() where id = $1")
        .bind(run)
        .bind(status)
        .bind(error)
        .execute(db)
        .await?;
    Ok(())
}

/// `select <Run columns> from sync_runs <tail>`, as a static string.
macro_rules! select_run {
    ($tail:literal) => {
        concat!(
            "select id, origin, mode, scope, portfolio_gid, status, started_at, finished_at, ",
            "api_requests, rate_limited, waited_ms, pages, projects_created, projects_updated, ",
            "projects_unchanged, projects_removed, error from sync_runs ",
            $tail
        )
    };
}

/// The most recent runs, newest first.
pub async fn recent(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<Run>> {
    Ok(
        sqlx::query_as(select_run!("order by started_at desc limit $1"))
            .bind(limit)
            .fetch_all(db)
            .await?,
    )
}

/// One run.
pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Run>> {
    Ok(sqlx::query_as(select_run!("where id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?)
}

/// The per-project results of a run, by project name.
pub async fn projects(db: impl PgExecutor<'_>, run: Uuid) -> Result<Vec<ProjectResult>> {
    Ok(sqlx::query_as(
        r#"
        select project_gid, project_name, status, started_at, finished_at, api_requests,
            rate_limited, waited_ms, pages, tasks_created, tasks_updated, tasks_unchanged,
            tasks_removed, tasks_deleted, error
        from sync_run_projects where run_id = $1 order by project_name, project_gid
        "#,
    )
    .bind(run)
    .fetch_all(db)
    .await?)
}
