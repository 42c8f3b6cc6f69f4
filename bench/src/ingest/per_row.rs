//! The second reference: one `insert … on conflict … do update` statement
//! per row, each committed on its own, as the replaced tool wrote. Run two
//! ways: the same data as the page upsert (the task row, then each of its
//! memberships and custom values, one statement each) and the replaced
//! tool's shape (the task row alone, custom fields only as its jsonb).

use std::sync::Arc;

use aegis::store::tasks::TaskRow;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, PgPool};

use super::copy::TASK_COLUMNS;

/// Creates the scratch tables (`LIKE … INCLUDING ALL`).
pub async fn create_scratch(pool: &PgPool) -> anyhow::Result<()> {
    for sql in [
        "create table per_row_tasks (like task_rows including all)",
        "create table per_row_memberships (like task_memberships including all)",
        "create table per_row_custom_fields (like task_custom_fields including all)",
    ] {
        sqlx::query(sql).execute(pool).await?;
    }
    Ok(())
}

/// Empties the scratch tables between two runs.
pub async fn truncate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query("truncate per_row_tasks, per_row_memberships, per_row_custom_fields")
        .execute(pool)
        .await?;
    Ok(())
}

fn task_sql() -> Arc<str> {
    format!(
        "insert into per_row_tasks ({TASK_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22) \
         on conflict (asana_gid) do update set name = excluded.name, \
         description = excluded.description, html_notes = excluded.html_notes, \
         completed = excluded.completed, completed_at = excluded.completed_at, \
         due_on = excluded.due_on, assignee_gid = excluded.assignee_gid, \
         assignee_name = excluded.assignee_name, tags = excluded.tags, \
         custom_fields = excluded.custom_fields, modified_at = excluded.modified_at, \
         updated_at = excluded.updated_at, last_synced_at = excluded.last_synced_at \
         returning id"
    )
    .into()
}

const MEMBERSHIP_SQL: &str = "insert into per_row_memberships (task_id, project_id, \
    section_gid, section_name, last_synced_at) values ($1, $2, $3, $4, $5) \
    on conflict (task_id, project_id) do update set section_gid = excluded.section_gid, \
    section_name = excluded.section_name, last_synced_at = excluded.last_synced_at";

const VALUE_SQL: &str = "insert into per_row_custom_fields (task_id, field_gid, name, \
    resource_subtype, display_value, text_value, number_value, enum_value, enabled) \
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
    on conflict (task_id, field_gid) do update set name = excluded.name, \
    display_value = excluded.display_value, text_value = excluded.text_value, \
    number_value = excluded.number_value, enum_value = excluded.enum_value";

async fn task(
    pool: &PgPool,
    sql: &Arc<str>,
    r: &TaskRow,
    project: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(AssertSqlSafe(sql.clone()))
        .bind(&r.asana_gid)
        .bind(project)
        .bind(&r.name)
        .bind(&r.resource_subtype)
        .bind(&r.description)
        .bind(&r.html_notes)
        .bind(r.completed)
        .bind(r.completed_at)
        .bind(r.due_on)
        .bind(r.due_at)
        .bind(r.start_on)
        .bind(&r.assignee_gid)
        .bind(&r.assignee_name)
        .bind(r.assigned_to_aegis)
        .bind(&r.parent_gid)
        .bind(r.num_subtasks)
        .bind(&r.asana_permalink_url)
        .bind(&r.tags)
        .bind(&r.custom_fields)
        .bind(r.modified_at)
        .bind(r.created_at)
        .bind(now)
        .fetch_one(pool)
        .await?)
}

async fn children(
    pool: &PgPool,
    r: &TaskRow,
    id: i64,
    projects: &[i64; 2],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for (k, m) in r.memberships.iter().enumerate() {
        sqlx::query(MEMBERSHIP_SQL)
            .bind(id)
            .bind(projects[k % 2])
            .bind(&m.section_gid)
            .bind(&m.section_name)
            .bind(now)
            .execute(pool)
            .await?;
    }
    for v in &r.custom_values {
        sqlx::query(VALUE_SQL)
            .bind(id)
            .bind(&v.field_gid)
            .bind(&v.name)
            .bind(&v.resource_subtype)
            .bind(&v.display_value)
            .bind(&v.text_value)
            .bind(v.number_value)
            .bind(&v.enum_value)
            .bind(v.enabled)
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Writes `rows` one statement per row; with `with_children`, each task's
/// memberships and custom values too.
pub async fn write(
    pool: &PgPool,
    rows: &[TaskRow],
    projects: &[i64; 2],
    with_children: bool,
) -> anyhow::Result<()> {
    let sql = task_sql();
    let now = Utc::now();
    for r in rows {
        let id = task(pool, &sql, r, projects[0], now).await?;
        if with_children {
            children(pool, r, id, projects, now).await?;
        }
    }
    Ok(())
}
