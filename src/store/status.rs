//! Reads for `aegis status`: per-project freshness and task counts.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use super::Result;

/// One project's freshness and counts.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ProjectStatus {
    /// Asana gid.
    pub asana_gid: String,
    /// Name.
    pub name: String,
    /// Archived in Asana (tasks not synced).
    pub archived: bool,
    /// When it left the portfolio, if it did.
    pub removed_from_portfolio_at: Option<DateTime<Utc>>,
    /// Last confirmation by a portfolio sync.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Last completed sync of its tasks.
    pub last_tasks_sync_at: Option<DateTime<Utc>>,
    /// Live tasks (members, and subtasks homed here).
    pub tasks: i64,
    /// Of which open.
    pub open: i64,
    /// Of which completed.
    pub completed: i64,
    /// Tombstoned tasks homed here.
    pub deleted: i64,
    /// Last full crawl of its tasks.
    pub last_full_sync_at: Option<DateTime<Utc>>,
    /// Whether an events sync token is stored (the token itself is not shown).
    pub has_events_token: bool,
    /// When the token was stored.
    pub events_sync_token_at: Option<DateTime<Utc>>,
    /// Seconds since then (database clock).
    #[serde(skip)]
    pub events_token_age_secs: Option<i64>,
    /// How its last sync read Asana: `events` or `crawl`.
    pub last_sync_mode: Option<String>,
    /// Why the last sync crawled (none: it read events, or never synced).
    pub last_sync_reason: Option<String>,
    /// Seconds since its tasks were last synced (database clock); none if never.
    pub age_secs: Option<i64>,
}

/// Every project with its task counts, by name.
pub async fn projects(db: impl PgExecutor<'_>) -> Result<Vec<ProjectStatus>> {
    Ok(sqlx::query_as(
        r#"
        with owned as (
            select tm.project_id, t.completed, t.deleted_at
            from task_memberships tm join task_rows t on t.id = tm.task_id
            union all
            select t.project_id, t.completed, t.deleted_at from task_rows t
            where not exists (select 1 from task_memberships tm
                              where tm.task_id = t.id and tm.project_id = t.project_id)
        )
        select p.asana_gid, p.name, p.archived, p.removed_from_portfolio_at, p.last_synced_at,
            p.last_tasks_sync_at, p.last_full_sync_at,
            p.events_sync_token is not null as has_events_token, p.events_sync_token_at,
            p.last_sync_mode, p.last_sync_reason,
            floor(extract(epoch from now() - p.last_tasks_sync_at))::bigint as age_secs,
            floor(extract(epoch from now() - p.events_sync_token_at))::bigint
                as events_token_age_secs,
            count(o.project_id) filter (where o.deleted_at is null) as tasks,
            count(o.project_id) filter (where o.deleted_at is null and not o.completed) as open,
            count(o.project_id) filter (where o.deleted_at is null and o.completed) as completed,
            count(o.project_id) filter (where o.deleted_at is not null) as deleted
        from projects p left join owned o on o.project_id = p.id
        group by p.id order by p.name, p.asana_gid
        "#,
    )
    .fetch_all(db)
    .await?)
}
