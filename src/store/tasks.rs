//! The `tasks`, `task_memberships` and `task_custom_fields` tables: a page of
//! tasks upserted with a fixed handful of statements whatever its size,
//! tombstones for deleted tasks, and membership reconciliation.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor, types::Json};

use super::{Result, content_hash, projects::UpsertCounts};

/// One task as synced from Asana (field names are the column names).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskRow {
    /// Asana gid.
    pub asana_gid: String,
    /// Name.
    pub name: String,
    /// `default_task`, `milestone`, `approval`, …
    pub resource_subtype: String,
    /// Plain-text notes (Asana `notes`).
    pub description: String,
    /// Rich-text notes.
    pub html_notes: Option<String>,
    /// Completed flag.
    pub completed: bool,
    /// When completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Due date.
    pub due_on: Option<NaiveDate>,
    /// Due date-time.
    pub due_at: Option<DateTime<Utc>>,
    /// Start date.
    pub start_on: Option<NaiveDate>,
    /// Assignee gid.
    pub assignee_gid: Option<String>,
    /// Assignee name.
    pub assignee_name: Option<String>,
    /// Whether the assignee is aegis's user.
    pub assigned_to_aegis: bool,
    /// Parent task gid for subtasks.
    pub parent_gid: Option<String>,
    /// Number of subtasks.
    pub num_subtasks: i32,
    /// Link to the task in Asana.
    pub asana_permalink_url: Option<String>,
    /// Tags as `[{gid, name}]`.
    pub tags: serde_json::Value,
    /// `{field name: display_value}`.
    pub custom_fields: serde_json::Value,
    /// Asana's modification time.
    pub modified_at: Option<DateTime<Utc>>,
    /// Asana's creation time.
    pub created_at: Option<DateTime<Utc>>,
    /// Project memberships (only projects aegis knows are stored).
    pub memberships: Vec<MembershipRow>,
    /// Typed custom field values.
    pub custom_values: Vec<CustomValueRow>,
}

/// One project membership of a task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MembershipRow {
    /// The project's gid.
    pub project_gid: String,
    /// The section's gid.
    pub section_gid: Option<String>,
    /// The section's name.
    pub section_name: Option<String>,
}

/// One typed custom field value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomValueRow {
    /// The field definition's gid.
    pub field_gid: String,
    /// The field's name.
    pub name: String,
    /// `text`, `number`, `enum`, `multi_enum`, `date`, `people`, …
    pub resource_subtype: String,
    /// Asana's display string.
    pub display_value: Option<String>,
    /// Text value.
    pub text_value: Option<String>,
    /// Number value.
    pub number_value: Option<f64>,
    /// Enum option name.
    pub enum_value: Option<String>,
    /// Multi-enum option names.
    pub multi_enum_values: Option<Vec<String>>,
    /// Date value.
    pub date_value: Option<NaiveDate>,
    /// Date-time value.
    pub date_time_value: Option<DateTime<Utc>>,
    /// People names.
    pub people_value: Option<Vec<String>>,
    /// Whether the value is still editable in its project.
    pub enabled: bool,
}

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
    if rows.is_empty() {
        return Ok(UpsertCounts::default());
    }
    let input = Json(rows.iter().map(with_hash).collect::<Vec<_>>());
    let counts = upsert_rows(&mut *conn, home_project_id, &input, synced_at).await?;
    link_parents(&mut *conn, &input).await?;
    replace_memberships(&mut *conn, &input, synced_at).await?;
    replace_custom_values(&mut *conn, &input).await?;
    Ok(counts)
}

fn with_hash(row: &TaskRow) -> serde_json::Value {
    let mut value = serde_json::to_value(row).unwrap_or_default();
    value["content_hash"] = content_hash(row).into();
    value
}

async fn upsert_rows(
    db: impl PgExecutor<'_>,
    home_project_id: i64,
    input: &Json<Vec<serde_json::Value>>,
    synced_at: DateTime<Utc>,
) -> Result<UpsertCounts> {
    let counts = sqlx::query_as(
        r#"
        with input as (
            select * from jsonb_to_recordset($1) as r(
                asana_gid text, name text, resource_subtype text, description text,
                html_notes text, completed boolean, completed_at timestamptz, due_on date,
                due_at timestamptz, start_on date, assignee_gid text, assignee_name text,
                assigned_to_aegis boolean, parent_gid text, num_subtasks integer,
                asana_permalink_url text, tags jsonb, custom_fields jsonb,
                modified_at timestamptz, created_at timestamptz, content_hash text,
                memberships jsonb)
        ),
        prior as (
            select t.asana_gid, t.content_hash, t.deleted_at
            from tasks t join input using (asana_gid)
        ),
        up as (
            insert into tasks (asana_gid, project_id, name, resource_subtype, description,
                html_notes, completed, completed_at, due_on, due_at, start_on, assignee_gid,
                assignee_name, assigned_to_aegis, parent_gid, num_subtasks,
                asana_permalink_url, tags, custom_fields, modified_at, created_at,
                content_hash, updated_at, last_synced_at)
            select asana_gid,
                -- The home project, whatever the order of the syncs: Asana's
                -- first membership aegis knows, else the parent's home (for
                -- subtasks), else the project being synced.
                coalesce(
                    (select p.id from jsonb_array_elements(input.memberships)
                         with ordinality as m(member, n)
                     join projects p on p.asana_gid = m.member ->> 'project_gid'
                     order by m.n limit 1),
                    (select parent.project_id from tasks parent
                     where parent.asana_gid = input.parent_gid),
                    $2),
                name, resource_subtype, description, html_notes, completed,
                completed_at, due_on, due_at, start_on, assignee_gid, assignee_name,
                assigned_to_aegis, parent_gid, num_subtasks, asana_permalink_url, tags,
                custom_fields, modified_at, created_at, content_hash, $3, $3
            from input
            on conflict (asana_gid) do update set
                project_id = excluded.project_id,
                name = excluded.name, resource_subtype = excluded.resource_subtype,
                description = excluded.description, html_notes = excluded.html_notes,
                completed = excluded.completed, completed_at = excluded.completed_at,
                due_on = excluded.due_on, due_at = excluded.due_at,
                start_on = excluded.start_on, assignee_gid = excluded.assignee_gid,
                assignee_name = excluded.assignee_name,
                assigned_to_aegis = excluded.assigned_to_aegis,
                parent_gid = excluded.parent_gid, num_subtasks = excluded.num_subtasks,
                asana_permalink_url = excluded.asana_permalink_url, tags = excluded.tags,
                custom_fields = excluded.custom_fields, modified_at = excluded.modified_at,
                created_at = excluded.created_at, content_hash = excluded.content_hash,
                updated_at = case
                    when tasks.content_hash is distinct from excluded.content_hash
                        or tasks.deleted_at is not null
                    then excluded.updated_at else tasks.updated_at end,
                last_synced_at = excluded.last_synced_at,
                deleted_at = null
            returning asana_gid, content_hash
        )
        select
            count(*) filter (where prior.asana_gid is null) as created,
            count(*) filter (where prior.asana_gid is not null
                and (prior.content_hash is distinct from up.content_hash
                     or prior.deleted_at is not null)) as updated,
            count(*) filter (where prior.content_hash = up.content_hash
                and prior.deleted_at is null) as unchanged
        from up left join prior using (asana_gid)
        "#,
    )
    .bind(input)
    .bind(home_project_id)
    .bind(synced_at)
    .fetch_one(db)
    .await?;
    Ok(counts)
}

async fn link_parents(db: impl PgExecutor<'_>, input: &Json<Vec<serde_json::Value>>) -> Result<()> {
    sqlx::query(
        r#"
        update tasks c set parent_task_id = p.id
        from jsonb_to_recordset($1) as r(asana_gid text, parent_gid text), tasks p
        where c.asana_gid = r.asana_gid and p.asana_gid = r.parent_gid
          and c.parent_task_id is distinct from p.id
        "#,
    )
    .bind(input)
    .execute(db)
    .await?;
    Ok(())
}

/// Links subtasks stored before their parent; returns how many were linked.
pub async fn link_orphans(db: impl PgExecutor<'_>) -> Result<u64> {
    let done = sqlx::query(
        r#"
        update tasks c set parent_task_id = p.id
        from tasks p
        where c.parent_gid = p.asana_gid and c.parent_task_id is null
        "#,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

async fn replace_memberships(
    conn: &mut PgConnection,
    input: &Json<Vec<serde_json::Value>>,
    synced_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        r#"
        with m as (
            select t.id as task_id, p.id as project_id, x.section_gid, x.section_name
            from jsonb_to_recordset($1) as r(asana_gid text, memberships jsonb)
            cross join jsonb_to_recordset(r.memberships) as x(project_gid text,
                section_gid text, section_name text)
            join tasks t on t.asana_gid = r.asana_gid
            join projects p on p.asana_gid = x.project_gid
        )
        delete from task_memberships tm
        using tasks t, jsonb_to_recordset($1) as r(asana_gid text)
        where tm.task_id = t.id and t.asana_gid = r.asana_gid
          and not exists (select 1 from m where m.task_id = tm.task_id
                          and m.project_id = tm.project_id)
        "#,
    )
    .bind(input)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        r#"
        insert into task_memberships (task_id, project_id, section_gid, section_name,
            last_synced_at)
        select distinct on (t.id, p.id) t.id, p.id, x.section_gid, x.section_name, $2
        from jsonb_to_recordset($1) as r(asana_gid text, memberships jsonb)
        cross join jsonb_to_recordset(r.memberships) as x(project_gid text, section_gid text,
            section_name text)
        join tasks t on t.asana_gid = r.asana_gid
        join projects p on p.asana_gid = x.project_gid
        on conflict (task_id, project_id) do update set
            section_gid = excluded.section_gid, section_name = excluded.section_name,
            last_synced_at = excluded.last_synced_at
        "#,
    )
    .bind(input)
    .bind(synced_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn replace_custom_values(
    conn: &mut PgConnection,
    input: &Json<Vec<serde_json::Value>>,
) -> Result<()> {
    sqlx::query(
        r#"
        delete from task_custom_fields cf
        using tasks t, jsonb_to_recordset($1) as r(asana_gid text, custom_values jsonb)
        where cf.task_id = t.id and t.asana_gid = r.asana_gid
          and not exists (select 1 from jsonb_to_recordset(r.custom_values)
                          as x(field_gid text) where x.field_gid = cf.field_gid)
        "#,
    )
    .bind(input)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        r#"
        insert into task_custom_fields (task_id, field_gid, name, resource_subtype,
            display_value, text_value, number_value, enum_value, multi_enum_values,
            date_value, date_time_value, people_value, enabled)
        select distinct on (t.id, x.field_gid) t.id, x.field_gid, x.name, x.resource_subtype,
            x.display_value, x.text_value, x.number_value, x.enum_value, x.multi_enum_values,
            x.date_value, x.date_time_value, x.people_value, x.enabled
        from jsonb_to_recordset($1) as r(asana_gid text, custom_values jsonb)
        cross join jsonb_to_recordset(r.custom_values) as x(field_gid text, name text,
            resource_subtype text, display_value text, text_value text,
            number_value double precision, enum_value text, multi_enum_values text[],
            date_value date, date_time_value timestamptz, people_value text[], enabled boolean)
        join tasks t on t.asana_gid = r.asana_gid
        on conflict (task_id, field_gid) do update set
            name = excluded.name, resource_subtype = excluded.resource_subtype,
            display_value = excluded.display_value, text_value = excluded.text_value,
            number_value = excluded.number_value, enum_value = excluded.enum_value,
            multi_enum_values = excluded.multi_enum_values, date_value = excluded.date_value,
            date_time_value = excluded.date_time_value, people_value = excluded.people_value,
            enabled = excluded.enabled
        "#,
    )
    .bind(input)
    .execute(&mut *conn)
    .await?;
    Ok(())
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
        select t.asana_gid from task_memberships tm join tasks t on t.id = tm.task_id
        where tm.project_id = $1 and tm.last_synced_at < $2 and t.deleted_at is null
        union
        select asana_gid from tasks
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
            select id from tasks where asana_gid = any($1)
            union
            select c.id from tasks c join doomed d on c.parent_task_id = d.id
        )
        update tasks set deleted_at = $2, updated_at = $2
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
        update tasks t set project_id = coalesce(
            (select tm.project_id from task_memberships tm where tm.task_id = t.id
             order by tm.project_id limit 1), t.project_id), updated_at = now()
        where t.asana_gid = any($2) and t.project_id = $1
        "#,
    )
    .bind(project_id)
    .bind(gids)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}
