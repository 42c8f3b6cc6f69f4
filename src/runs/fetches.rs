//! The tasks a run fetched one by one (`run_task_fetches`), so that a task
//! in several projects, reported by each one's events, is fetched once per
//! run.
//!
//! A project's sync skips a task another project's sync of the same run
//! fetched and stored, while the task is still a member of that project.
//! Its row is then as fresh as that fetch; a change made after it shows in
//! that project's events (the task is a member), so its next sync fetches
//! it: skipping never loses a change. A task the other sync found gone
//! from its project is fetched again here. Retries of the same project are
//! never skipped (its own events token has not moved).

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::store::Result;

/// Of `gids`, those another project's sync of `run` fetched and stored and
/// that are still members of that project.
///
/// # Errors
/// The database's.
pub async fn fetched_elsewhere(
    db: impl PgExecutor<'_>,
    run: Uuid,
    project_gid: &str,
    gids: &[String],
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        r#"
        select f.task_gid from run_task_fetches f
        join projects p on p.asana_gid = f.project_gid
        join task_rows t on t.asana_gid = f.task_gid and t.deleted_at is null
        join task_memberships m on m.task_id = t.id and m.project_id = p.id
        where f.run_id = $1 and f.project_gid <> $2 and f.task_gid = any($3)
        order by 1
        "#,
    )
    .bind(run)
    .bind(project_gid)
    .bind(gids)
    .fetch_all(db)
    .await?)
}

/// Records that `project_gid`'s sync of `run` fetched and stored `gids`
/// (the first project to fetch a task keeps it).
///
/// # Errors
/// The database's.
pub async fn record_fetched(
    db: impl PgExecutor<'_>,
    run: Uuid,
    project_gid: &str,
    gids: &[String],
) -> Result<()> {
    sqlx::query(
        "insert into run_task_fetches (run_id, task_gid, project_gid) \
         select $1, gid, $2 from unnest($3::text[]) as gid on conflict do nothing",
    )
    .bind(run)
    .bind(project_gid)
    .bind(gids)
    .execute(db)
    .await?;
    Ok(())
}
