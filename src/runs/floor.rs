//! The last finished run's requests against its floor: the fewest requests
//! that could have read what it read. The floor counts one request for the
//! portfolio's listing and, per project it synced, one events read plus
//! one fetch per task it found created or updated (`events` mode), or the
//! events token a crawl takes first plus its pages: the project's top-level
//! tasks by 100, plus each parent's subtasks by 100 (`crawl` mode). Retries, 429s, nested
//! portfolios, second pages of events and listings that found nothing new
//! are above it, so a ratio near 1 is a run that wasted little.

use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::store::Result;

/// A run's requests and floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RunFloor {
    /// The run.
    pub id: Uuid,
    /// `incremental` or `full`.
    pub mode: String,
    /// Requests it made.
    pub api_requests: i64,
    /// The fewest it could have made (see the module docs).
    pub floor: i64,
}

impl RunFloor {
    /// Requests over the floor.
    pub fn ratio(&self) -> f64 {
        self.api_requests as f64 / self.floor.max(1) as f64
    }
}

/// The floor of the last finished run of each mode (`done` or `partial`).
///
/// # Errors
/// The database's.
pub async fn last_floors(db: &PgPool) -> Result<Vec<RunFloor>> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select distinct on (mode) id from sync_runs \
         where status in ('done', 'partial') and finished_at is not null \
         order by mode, finished_at desc",
    )
    .fetch_all(db)
    .await?;
    floors(db, &ids).await
}

/// The floors of the runs `ids` (those that exist), by mode then id. The
/// crawl pages are counted from the copy as it is now, so a run long past
/// is measured against today's projects.
///
/// # Errors
/// The database's.
pub async fn floors(db: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Vec<RunFloor>> {
    Ok(sqlx::query_as(
        r#"
        with chosen as (select id, mode, api_requests from sync_runs where id = any($1))
        select l.id, l.mode, l.api_requests, (1 + coalesce(sum(
            case when c.mode = 'events' then 1 + c.tasks_created + c.tasks_updated
                else 1 + greatest(1, ceil(t.top_level / 100.0)) + t.subtask_pages end
        ), 0))::bigint as floor
        from chosen l
        left join sync_run_projects c on c.run_id = l.id and c.status = 'done'
        left join lateral (
            select count(*) filter (where k.parent_task_id is null) as top_level,
                coalesce(sum(ceil(k.num_subtasks / 100.0)) filter (where k.num_subtasks > 0), 0)
                    as subtask_pages
            from projects p join task_rows k on k.project_id = p.id
            where p.asana_gid = c.project_gid and k.deleted_at is null
        ) t on c.run_id is not null
        group by l.id, l.mode, l.api_requests
        order by l.mode, l.id
        "#,
    )
    .bind(ids)
    .fetch_all(db)
    .await?)
}
