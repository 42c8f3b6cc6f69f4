//! The `tasks`, `task_memberships` and `task_custom_fields` tables: a page of
//! tasks upserted in one statement (`task_page.sql`) whatever its size,
//! tombstones for deleted tasks, and membership reconciliation.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use super::{Result, projects::UpsertCounts};

pub use super::{
    task_page::EncodedPage,
    task_row::{CustomValueRow, MembershipRow, TaskRow},
};

/// Upserts a page of tasks synced as part of `home_project_id`, with their
/// memberships and typed custom fields. A task's home (`project_id`) is its
/// first membership in a known project, else its parent's home, else
/// `home_project_id`: the same whichever project's sync writes it first.
///
/// A task whose content (memberships and custom fields included) is
/// unchanged is counted `unchanged`; `last_synced_at` is set on every row.
pub async fn upsert_page(
    conn: &mut PgConnection,
    home_project_id: i64,
    rows: &[TaskRow],
    synced_at: DateTime<Utc>,
) -> Result<UpsertCounts> {
    EncodedPage::new(rows, home_project_id, synced_at)?
        .upsert(conn)
        .await
}

/// Links subtasks stored before their parent; returns how many were linked.
pub async fn link_orphans(db: impl PgExecutor<'_>) -> Result<u64> {
    let done = sqlx::query(
        r#"
        update task_rows c set parent_task_id = p.id
        from task_rows p
        where c.parent_gid = p.asana_gid and c.parent_task_id is null
        "#,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Gids of live tasks of `project_id` (members, or subtasks homed there) that
/// were not confirmed since `since`: candidates for reconciliation after a
/// full crawl.
pub async fn unconfirmed_members(
    db: impl PgExecutor<'_>,
    project_id: i64,
    since: DateTime<Utc>,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        r#"
        select t.asana_gid from task_memberships tm join task_rows t on t.id = tm.task_id
        where tm.project_id = $1 and t.last_synced_at < $2 and t.deleted_at is null
        union
        select asana_gid from task_rows
        where project_id = $1 and parent_task_id is not null and last_synced_at < $2
          and deleted_at is null
        order by 1
        "#,
    )
    .bind(project_id)
    .bind(since)
    .fetch_all(db)
    .await?)
}

/// Tombstones tasks deleted in Asana (and their subtasks); returns how many
/// rows changed.
pub async fn mark_deleted(
    db: impl PgExecutor<'_>,
    gids: &[String],
    at: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query(
        r#"
        with recursive doomed as (
            select id from task_rows where asana_gid = any($1)
            union
            select c.id from task_rows c join doomed d on c.parent_task_id = d.id
        )
        update task_rows set deleted_at = $2, updated_at = $2
        where id in (select id from doomed) and deleted_at is null
        "#,
    )
    .bind(gids)
    .bind(at)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Removes the memberships of `gids` in `project_id` (tasks moved out of
/// the project); a task whose home was that project moves its home to
/// another membership, if it has one. Returns how many memberships went.
pub async fn remove_from_project(
    conn: &mut PgConnection,
    project_id: i64,
    gids: &[String],
) -> Result<u64> {
    let done = sqlx::query(
        r#"
        delete from task_memberships tm using tasks t
        where tm.task_id = t.id and tm.project_id = $1 and t.asana_gid = any($2)
        "#,
    )
    .bind(project_id)
    .bind(gids)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        r#"
        update task_rows t set project_id = coalesce(
            (select tm.project_id from task_memberships tm where tm.task_id = t.id
             order by tm.project_id limit 1), t.project_id), updated_at = now()
        where t.asana_gid = any($2) and t.project_id = $1
        "#,
    )
    .bind(project_id)
    .bind(gids)
    .execute(&mut *conn)
    .await?;
    // The project's syncs no longer confirm them (`tasks.last_synced_at`).
    sqlx::query(
        "update task_rows set synced_by = null where asana_gid = any($2) and synced_by = $1",
    )
    .bind(project_id)
    .bind(gids)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}
