//! The first reference the page upsert is measured against: `COPY` of the
//! same rows (tasks, memberships, custom values) into scratch tables shaped
//! like aegis's (`LIKE … INCLUDING ALL`: same columns, defaults, identity and
//! indexes, no foreign keys); the other one is in `per_row`.

use std::fmt::Write as _;

use aegis::store::tasks::TaskRow;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// Creates the scratch tables.
pub async fn create_scratch(pool: &PgPool) -> anyhow::Result<()> {
    for sql in [
        "create table copy_tasks (like task_rows including all)",
        "create table copy_memberships (like task_memberships including all)",
        "create table copy_custom_fields (like task_custom_fields including all)",
    ] {
        sqlx::query(sql).execute(pool).await?;
    }
    Ok(())
}

/// A text-format field: `\N` for null, backslash escapes otherwise.
fn field(out: &mut String, value: Option<&str>) {
    let Some(value) = value else {
        out.push_str("\\N\t");
        return;
    };
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('\t');
}

fn end_line(out: &mut String) {
    out.pop();
    out.push('\n');
}

fn time(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}

fn task_line(out: &mut String, row: &TaskRow, project_id: i64, now: &str) {
    let s = |v: &Option<String>| v.clone();
    let cols: [Option<String>; 22] = [
        Some(row.asana_gid.clone()),
        Some(project_id.to_string()),
        Some(row.name.clone()),
        Some(row.resource_subtype.clone()),
        Some(row.description.clone()),
        s(&row.html_notes),
        Some(row.completed.to_string()),
        time(row.completed_at),
        row.due_on.map(|d| d.to_string()),
        time(row.due_at),
        row.start_on.map(|d| d.to_string()),
        s(&row.assignee_gid),
        s(&row.assignee_name),
        Some(row.assigned_to_aegis.to_string()),
        s(&row.parent_gid),
        Some(row.num_subtasks.to_string()),
        s(&row.asana_permalink_url),
        Some(row.tags.to_string()),
        Some(row.custom_fields.to_string()),
        time(row.modified_at),
        time(row.created_at),
        Some(now.to_owned()),
    ];
    for c in &cols {
        field(out, c.as_deref());
    }
    field(out, Some(now));
    end_line(out);
}

pub(super) const TASK_COLUMNS: &str = "asana_gid, project_id, name, resource_subtype, description, \
    html_notes, completed, completed_at, due_on, due_at, start_on, assignee_gid, assignee_name, \
    assigned_to_aegis, parent_gid, num_subtasks, asana_permalink_url, tags, custom_fields, \
    modified_at, created_at, updated_at, last_synced_at";

/// The three COPY streams of `rows` (task ids are `first_id`.., as the
/// scratch identity hands them out).
fn encode(rows: &[TaskRow], projects: &[i64; 2], first_id: usize) -> [String; 3] {
    let now = Utc::now().to_rfc3339();
    let (mut tasks, mut members, mut values) = (String::new(), String::new(), String::new());
    for (i, row) in rows.iter().enumerate() {
        let id = (first_id + i).to_string();
        task_line(&mut tasks, row, projects[0], &now);
        for (k, m) in row.memberships.iter().enumerate() {
            let project = projects[k % 2].to_string();
            for v in [
                Some(&id),
                Some(&project),
                m.section_gid.as_ref(),
                m.section_name.as_ref(),
            ] {
                field(&mut members, v.map(String::as_str));
            }
            field(&mut members, Some(&now));
            end_line(&mut members);
        }
        for v in &row.custom_values {
            let number = v.number_value.map(|n| n.to_string());
            for c in [
                Some(&id),
                Some(&v.field_gid),
                Some(&v.name),
                Some(&v.resource_subtype),
            ] {
                field(&mut values, c.map(String::as_str));
            }
            for c in [&v.display_value, &v.text_value, &number, &v.enum_value] {
                field(&mut values, c.as_deref());
            }
            let _ = write!(values, "\\N\t\\N\t\\N\t\\N\t{}\t", v.enabled);
            end_line(&mut values);
        }
    }
    [tasks, members, values]
}

async fn copy(conn: &mut PgConnection, statement: &str, data: &str) -> anyhow::Result<u64> {
    let mut copy = conn.copy_in_raw(statement).await?;
    for chunk in data.as_bytes().chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    Ok(copy.finish().await?)
}

/// COPYs `rows` into the scratch tables in one transaction (encoding
/// included in what the caller times); `first_id` is the id the scratch
/// identity gives the first of them (1 for the first call).
pub async fn copy_rows(
    pool: &PgPool,
    rows: &[TaskRow],
    projects: &[i64; 2],
    first_id: usize,
) -> anyhow::Result<()> {
    let [tasks, members, values] = encode(rows, projects, first_id);
    let mut tx = pool.begin().await?;
    copy(
        &mut tx,
        &format!("copy copy_tasks ({TASK_COLUMNS}) from stdin"),
        &tasks,
    )
    .await?;
    let members_sql = "copy copy_memberships (task_id, project_id, section_gid, section_name, \
        last_synced_at) from stdin";
    copy(&mut tx, members_sql, &members).await?;
    let values_sql = "copy copy_custom_fields (task_id, field_gid, name, resource_subtype, \
        display_value, text_value, number_value, enum_value, multi_enum_values, date_value, \
        date_time_value, people_value, enabled) from stdin";
    copy(&mut tx, values_sql, &values).await?;
    tx.commit().await?;
    Ok(())
}
