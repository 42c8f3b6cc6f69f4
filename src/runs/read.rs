//! Reading runs: the recent ones, one run, and its children. Every figure
//! is read as stored (the row is the run's truth), plus how far its
//! children got.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, types::Json};
use uuid::Uuid;

use super::{ChildStatus, Origin, RequestFigures, RunStatus, TaskFigures};
use crate::store::Result;

/// How far a run's children got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Progress {
    /// Projects whose tasks the run syncs.
    #[sqlx(rename = "children_total")]
    pub total: i64,
    /// Of them, synced.
    #[sqlx(rename = "children_done")]
    pub done: i64,
    /// Of them, failed for good.
    #[sqlx(rename = "children_failed")]
    pub failed: i64,
}

impl Progress {
    /// `6/8 done, 1 failed`, or `-` for a run without children.
    pub fn describe(&self) -> String {
        if self.total == 0 {
            return "-".to_owned();
        }
        let mut text = format!("{}/{} done", self.done, self.total);
        if self.failed > 0 {
            text.push_str(&format!(", {} failed", self.failed));
        }
        text
    }
}

/// A run as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Run {
    /// Id.
    pub id: Uuid,
    /// Inline or queued.
    pub origin: Origin,
    /// `incremental` or `full`.
    pub mode: String,
    /// Scope as recorded.
    pub scope: Json<aegis_jobs::Scope>,
    /// Portfolio.
    pub portfolio_gid: String,
    /// `queued`, `running`, `done`, `partial`, `failed` or `cancelled`.
    pub status: RunStatus,
    /// When it was recorded (enqueued, for a queued run).
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Requests of everything the run did: its portfolio step and every
    /// attempt of every child.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub requests: RequestFigures,
    /// Task figures of all its children (see the [module docs](super)).
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub tasks: TaskFigures,
    /// Projects created.
    pub projects_created: i32,
    /// Projects whose content changed.
    pub projects_updated: i32,
    /// Projects confirmed unchanged.
    pub projects_unchanged: i32,
    /// Projects that left the portfolio.
    pub projects_removed: i32,
    /// How far its children got.
    #[sqlx(flatten)]
    pub progress: Progress,
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
    /// Its state.
    pub status: ChildStatus,
    /// Attempts started.
    pub attempts: i32,
    /// The queued job syncing it (none inline).
    pub job_id: Option<String>,
    /// Start of its first attempt.
    pub started_at: Option<DateTime<Utc>>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Request figures of all its attempts.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub requests: RequestFigures,
    /// Task figures.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub tasks: TaskFigures,
    /// How its sync read Asana: `events` or `crawl` (none until done).
    pub mode: Option<String>,
    /// Why it crawled (none when it read events).
    pub mode_reason: Option<String>,
    /// What went wrong.
    pub error: Option<String>,
}

/// `select <Run columns> from sync_runs r <tail>`, as a static string.
macro_rules! select_run {
    ($tail:literal) => {
        concat!(
            "select r.id, r.origin, r.mode, r.scope, r.portfolio_gid, r.status, r.started_at, ",
            "r.finished_at, r.api_requests, r.rate_limited, r.waited_ms, r.paced_ms, r.pages, ",
            "r.tasks_created, r.tasks_updated, r.tasks_unchanged, r.tasks_removed, ",
            "r.tasks_deleted, r.projects_created, r.projects_updated, r.projects_unchanged, ",
            "r.projects_removed, r.error, c.children_total, c.children_done, c.children_failed ",
            "from sync_runs r cross join lateral (select count(*) as children_total, ",
            "count(*) filter (where status = 'done') as children_done, ",
            "count(*) filter (where status = 'failed') as children_failed ",
            "from sync_run_projects p where p.run_id = r.id) c ",
            $tail
        )
    };
}

/// The most recent runs, newest first.
pub async fn recent(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<Run>> {
    Ok(
        sqlx::query_as(select_run!("order by r.started_at desc limit $1"))
            .bind(limit)
            .fetch_all(db)
            .await?,
    )
}

/// One run.
pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Run>> {
    Ok(sqlx::query_as(select_run!("where r.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?)
}

/// The per-project results of a run, by project name.
pub async fn projects(db: impl PgExecutor<'_>, run: Uuid) -> Result<Vec<ProjectResult>> {
    Ok(sqlx::query_as(
        r#"
        select project_gid, project_name, status, attempts, job_id, started_at, finished_at,
            api_requests, rate_limited, waited_ms, paced_ms, pages, tasks_created, tasks_updated,
            tasks_unchanged, tasks_removed, tasks_deleted, mode, mode_reason, error
        from sync_run_projects where run_id = $1 order by project_name, project_gid
        "#,
    )
    .bind(run)
    .fetch_all(db)
    .await?)
}

/// A project's most recent attempt in any run (`aegis status`).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct LastAttempt {
    /// The project.
    pub project_gid: String,
    /// The run it was part of.
    pub run_id: Uuid,
    /// Its state in that run.
    pub status: ChildStatus,
    /// Attempts started in that run.
    pub attempts: i32,
    /// When its first attempt in that run started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Its error, if the last attempt failed.
    pub error: Option<String>,
}

/// Every project's most recent child row (by start, then by run start).
pub async fn last_attempts(db: impl PgExecutor<'_>) -> Result<Vec<LastAttempt>> {
    Ok(sqlx::query_as(
        r#"
        select distinct on (p.project_gid) p.project_gid, p.run_id, p.status, p.attempts,
            p.started_at, p.finished_at, p.error
        from sync_run_projects p join sync_runs r on r.id = p.run_id
        where p.started_at is not null
        order by p.project_gid, p.started_at desc, r.started_at desc
        "#,
    )
    .fetch_all(db)
    .await?)
}
