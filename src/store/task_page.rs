//! The page statement's input (`task_page.sql`): a page of [`TaskRow`]s laid
//! out as one typed array per column (tasks, memberships, custom values),
//! bound in Postgres's binary format. The server reads them with `unnest`:
//! nothing is serialized to JSON or parsed from it but the small jsonb
//! values (tags, the `{name: display_value}` map, multi-value fields).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Arguments, PgExecutor, error::BoxDynError, postgres::PgArguments, types::Json};

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
struct Page<'a> {
    tasks: Tasks<'a>,
    members: Members<'a>,
    values: Values<'a>,
}

impl<'a> Page<'a> {
    /// Lays `rows` out in columns, hashing each row's content.
    fn new(rows: &'a [TaskRow]) -> Self {
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

    /// Encodes the page's arrays and the statement's last two arguments
    /// (the project being synced, the sync time) into owned bytes.
    fn encode(&self, home_project_id: i64, synced_at: DateTime<Utc>) -> Result<PgArguments> {
        let mut args = PgArguments::default();
        let encoded = self
            .tasks
            .encode(&mut args)
            .and_then(|()| self.members.encode(&mut args))
            .and_then(|()| self.values.encode(&mut args))
            .and_then(|()| args.add(home_project_id))
            .and_then(|()| args.add(synced_at));
        encoded.map_err(sqlx::Error::Encode)?;
        Ok(args)
    }
}

/// A page of tasks ready for the page statement: laid out in columns,
/// hashed and encoded, owning its bytes (the rows it came from can go).
/// Building it is the client's whole share of a page's write, so a caller
/// can build the next page while the server writes this one.
pub struct EncodedPage {
    args: PgArguments,
    rows: usize,
}

impl EncodedPage {
    /// Lays out, hashes and encodes `rows`, synced as part of
    /// `home_project_id` at `synced_at`.
    pub fn new(rows: &[TaskRow], home_project_id: i64, synced_at: DateTime<Utc>) -> Result<Self> {
        let args = Page::new(rows).encode(home_project_id, synced_at)?;
        Ok(Self {
            args,
            rows: rows.len(),
        })
    }

    /// How many tasks the page holds.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the page holds no task.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Runs the page statement.
    pub async fn upsert(self, db: impl PgExecutor<'_>) -> Result<UpsertCounts> {
        if self.rows == 0 {
            return Ok(UpsertCounts::default());
        }
        let statement = sqlx::query_as_with(include_str!("task_page.sql"), self.args);
        Ok(statement.fetch_one(db).await?)
    }
}

impl std::fmt::Debug for EncodedPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedPage")
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl Tasks<'_> {
    fn encode(&self, args: &mut PgArguments) -> Result<(), BoxDynError> {
        args.add(&self.gid)?;
        args.add(&self.name)?;
        args.add(&self.subtype)?;
        args.add(&self.description)?;
        args.add(&self.html_notes)?;
        args.add(&self.completed)?;
        args.add(&self.completed_at)?;
        args.add(&self.due_on)?;
        args.add(&self.due_at)?;
        args.add(&self.start_on)?;
        args.add(&self.assignee_gid)?;
        args.add(&self.assignee_name)?;
        args.add(&self.assigned_to_aegis)?;
        args.add(&self.parent_gid)?;
        args.add(&self.num_subtasks)?;
        args.add(&self.permalink)?;
        args.add(&self.tags)?;
        args.add(&self.custom_fields)?;
        args.add(&self.modified_at)?;
        args.add(&self.created_at)?;
        args.add(&self.content_hash)?;
        Ok(())
    }
}

impl Members<'_> {
    fn encode(&self, args: &mut PgArguments) -> Result<(), BoxDynError> {
        args.add(&self.task)?;
        args.add(&self.project)?;
        args.add(&self.section_gid)?;
        args.add(&self.section_name)?;
        Ok(())
    }
}

impl Values<'_> {
    fn encode(&self, args: &mut PgArguments) -> Result<(), BoxDynError> {
        args.add(&self.task)?;
        args.add(&self.field)?;
        args.add(&self.name)?;
        args.add(&self.subtype)?;
        args.add(&self.display)?;
        args.add(&self.text)?;
        args.add(&self.number)?;
        args.add(&self.enum_value)?;
        args.add(&self.multi_enum)?;
        args.add(&self.date)?;
        args.add(&self.date_time)?;
        args.add(&self.people)?;
        args.add(&self.enabled)?;
        Ok(())
    }
}
