//! The page statement's input (`task_page.sql`): a page of [`TaskRow`]s laid
//! out as one typed array per column (tasks, memberships, custom values),
//! bound in Postgres's binary format. The server reads them with `unnest`:
//! nothing is serialized to JSON or parsed from it but the small jsonb
//! values (tags, the `{name: display_value}` map, multi-value fields).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgExecutor, Postgres, postgres::PgArguments, query::QueryAs, types::Json};

use super::{
    Result, content_hash,
    projects::UpsertCounts,
    task_row::{CustomValueRow, MembershipRow, TaskRow},
};

type Time = Option<DateTime<Utc>>;
type Date = Option<NaiveDate>;

/// The tasks' columns, in the statement's order ($1..$21).
#[derive(Default)]
struct Tasks<'a> {
    gid: Vec<&'a str>,
    name: Vec<&'a str>,
    subtype: Vec<&'a str>,
    description: Vec<&'a str>,
    html_notes: Vec<Option<&'a str>>,
    completed: Vec<bool>,
    completed_at: Vec<Time>,
    due_on: Vec<Date>,
    due_at: Vec<Time>,
    start_on: Vec<Date>,
    assignee_gid: Vec<Option<&'a str>>,
    assignee_name: Vec<Option<&'a str>>,
    assigned_to_aegis: Vec<bool>,
    parent_gid: Vec<Option<&'a str>>,
    num_subtasks: Vec<i32>,
    permalink: Vec<Option<&'a str>>,
    tags: Vec<Json<&'a serde_json::Value>>,
    custom_fields: Vec<Json<&'a serde_json::Value>>,
    modified_at: Vec<Time>,
    created_at: Vec<Time>,
    content_hash: Vec<String>,
}

/// The memberships' columns ($22..$25), each with its task's gid.
#[derive(Default)]
struct Members<'a> {
    task: Vec<&'a str>,
    project: Vec<&'a str>,
    section_gid: Vec<Option<&'a str>>,
    section_name: Vec<Option<&'a str>>,
}

/// The typed custom values' columns ($26..$38), each with its task's gid.
#[derive(Default)]
struct Values<'a> {
    task: Vec<&'a str>,
    field: Vec<&'a str>,
    name: Vec<&'a str>,
    subtype: Vec<&'a str>,
    display: Vec<Option<&'a str>>,
    text: Vec<Option<&'a str>>,
    number: Vec<Option<f64>>,
    enum_value: Vec<Option<&'a str>>,
    multi_enum: Vec<Option<Json<&'a [String]>>>,
    date: Vec<Date>,
    date_time: Vec<Time>,
    people: Vec<Option<Json<&'a [String]>>>,
    enabled: Vec<bool>,
}

/// A page as the statement's arrays.
#[derive(Default)]
pub(super) struct Page<'a> {
    tasks: Tasks<'a>,
    members: Members<'a>,
    values: Values<'a>,
}

impl<'a> Page<'a> {
    /// Lays `rows` out in columns, hashing each row's content.
    pub(super) fn new(rows: &'a [TaskRow]) -> Self {
        let mut page = Self::default();
        for row in rows {
            page.push_task(row);
            for m in &row.memberships {
                page.push_member(&row.asana_gid, m);
            }
            for v in &row.custom_values {
                page.push_value(&row.asana_gid, v);
            }
        }
        page
    }

    fn push_task(&mut self, row: &'a TaskRow) {
        let t = &mut self.tasks;
        t.gid.push(&row.asana_gid);
        t.name.push(&row.name);
        t.subtype.push(&row.resource_subtype);
        t.description.push(&row.description);
        t.html_notes.push(row.html_notes.as_deref());
        t.completed.push(row.completed);
        t.completed_at.push(row.completed_at);
        t.due_on.push(row.due_on);
        t.due_at.push(row.due_at);
        t.start_on.push(row.start_on);
        t.assignee_gid.push(row.assignee_gid.as_deref());
        t.assignee_name.push(row.assignee_name.as_deref());
        t.assigned_to_aegis.push(row.assigned_to_aegis);
        t.parent_gid.push(row.parent_gid.as_deref());
        t.num_subtasks.push(row.num_subtasks);
        t.permalink.push(row.asana_permalink_url.as_deref());
        t.tags.push(Json(&row.tags));
        t.custom_fields.push(Json(&row.custom_fields));
        t.modified_at.push(row.modified_at);
        t.created_at.push(row.created_at);
        t.content_hash.push(content_hash(row));
    }

    fn push_member(&mut self, task: &'a str, m: &'a MembershipRow) {
        let c = &mut self.members;
        c.task.push(task);
        c.project.push(&m.project_gid);
        c.section_gid.push(m.section_gid.as_deref());
        c.section_name.push(m.section_name.as_deref());
    }

    fn push_value(&mut self, task: &'a str, v: &'a CustomValueRow) {
        let c = &mut self.values;
        c.task.push(task);
        c.field.push(&v.field_gid);
        c.name.push(&v.name);
        c.subtype.push(&v.resource_subtype);
        c.display.push(v.display_value.as_deref());
        c.text.push(v.text_value.as_deref());
        c.number.push(v.number_value);
        c.enum_value.push(v.enum_value.as_deref());
        c.multi_enum.push(v.multi_enum_values.as_deref().map(Json));
        c.date.push(v.date_value);
        c.date_time.push(v.date_time_value);
        c.people.push(v.people_value.as_deref().map(Json));
        c.enabled.push(v.enabled);
    }

    /// Runs the page statement; `home_project_id` is the project being
    /// synced.
    pub(super) async fn upsert(
        &self,
        db: impl PgExecutor<'_>,
        home_project_id: i64,
        synced_at: DateTime<Utc>,
    ) -> Result<UpsertCounts> {
        let query = sqlx::query_as(include_str!("task_page.sql"));
        let query = self.values.bind(self.members.bind(self.tasks.bind(query)));
        let counts = query
            .bind(home_project_id)
            .bind(synced_at)
            .fetch_one(db)
            .await?;
        Ok(counts)
    }
}

/// The statement, with its arguments bound so far.
type Statement<'q> = QueryAs<'q, Postgres, UpsertCounts, PgArguments>;

impl Tasks<'_> {
    fn bind<'q>(&'q self, query: Statement<'q>) -> Statement<'q> {
        query
            .bind(&self.gid)
            .bind(&self.name)
            .bind(&self.subtype)
            .bind(&self.description)
            .bind(&self.html_notes)
            .bind(&self.completed)
            .bind(&self.completed_at)
            .bind(&self.due_on)
            .bind(&self.due_at)
            .bind(&self.start_on)
            .bind(&self.assignee_gid)
            .bind(&self.assignee_name)
            .bind(&self.assigned_to_aegis)
            .bind(&self.parent_gid)
            .bind(&self.num_subtasks)
            .bind(&self.permalink)
            .bind(&self.tags)
            .bind(&self.custom_fields)
            .bind(&self.modified_at)
            .bind(&self.created_at)
            .bind(&self.content_hash)
    }
}

impl Members<'_> {
    fn bind<'q>(&'q self, query: Statement<'q>) -> Statement<'q> {
        query
            .bind(&self.task)
            .bind(&self.project)
            .bind(&self.section_gid)
            .bind(&self.section_name)
    }
}

impl Values<'_> {
    fn bind<'q>(&'q self, query: Statement<'q>) -> Statement<'q> {
        query
            .bind(&self.task)
            .bind(&self.field)
            .bind(&self.name)
            .bind(&self.subtype)
            .bind(&self.display)
            .bind(&self.text)
            .bind(&self.number)
            .bind(&self.enum_value)
            .bind(&self.multi_enum)
            .bind(&self.date)
            .bind(&self.date_time)
            .bind(&self.people)
            .bind(&self.enabled)
    }
}
