//! Tasks: the `Task` record aegis stores with its custom fields and
//! memberships, its `opt_fields`, one task, a project's tasks (full or
//! `modified_since`), subtasks, and the cheap gid-only listing for reconcile.

use chrono::{DateTime, NaiveDate, Utc};
use futures::Stream;
use serde::Deserialize;
use tracing::instrument;

use super::{AsanaClient, Gid, HasGid, NamedRef, Page, Result, Target, gid::null_as_default};

/// Every task field aegis stores, as leaves (`assignee.name`, not
/// `assignee`): each nested field costs Asana work and aegis budget.
pub const TASK_FIELDS: &str = "name,resource_subtype,notes,html_notes,completed,completed_at,\
due_on,due_at,start_on,created_at,modified_at,assignee.name,permalink_url,tags.name,parent.name,\
num_subtasks,memberships.project.name,memberships.section.name,custom_fields.name,\
custom_fields.resource_subtype,custom_fields.display_value,custom_fields.text_value,\
custom_fields.number_value,custom_fields.enum_value.name,custom_fields.multi_enum_values.name,\
custom_fields.date_value.date,custom_fields.date_value.date_time,custom_fields.people_value.name,\
custom_fields.enabled,workspace.name";

/// The gid-only listing's fields: Asana sends the gid whatever is asked.
pub const GID_FIELDS: &str = "gid";

/// A task as aegis stores it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Task {
    /// The task's gid.
    pub gid: Gid,
    /// Name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// `default_task`, `milestone`, `approval`, `custom`, or newer values.
    #[serde(default)]
    pub resource_subtype: Option<String>,
    /// Plain-text description.
    #[serde(default)]
    pub notes: Option<String>,
    /// Rich-text description.
    #[serde(default)]
    pub html_notes: Option<String>,
    /// Whether the task is completed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub completed: bool,
    /// When it was completed.
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    /// Due date (without time).
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// Due date and time.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// Start date.
    #[serde(default)]
    pub start_on: Option<NaiveDate>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Last modification (see the API notes for what counts).
    #[serde(default)]
    pub modified_at: Option<DateTime<Utc>>,
    /// The assignee, with name.
    #[serde(default)]
    pub assignee: Option<NamedRef>,
    /// Link to the task in Asana's web app.
    #[serde(default)]
    pub permalink_url: Option<String>,
    /// Tags, with names.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<NamedRef>,
    /// The parent task of a subtask.
    #[serde(default)]
    pub parent: Option<NamedRef>,
    /// Number of direct subtasks.
    #[serde(default)]
    pub num_subtasks: Option<u32>,
    /// The projects (and sections) the task is in.
    #[serde(default, deserialize_with = "null_as_default")]
    pub memberships: Vec<Membership>,
    /// Custom field values.
    #[serde(default, deserialize_with = "null_as_default")]
    pub custom_fields: Vec<CustomFieldValue>,
    /// The workspace, with its name.
    #[serde(default)]
    pub workspace: Option<NamedRef>,
}

/// A task's membership: a project and its section. Either may be absent
/// (Asana says more kinds of memberships may come).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Membership {
    /// The project.
    #[serde(default)]
    pub project: Option<NamedRef>,
    /// The section within the project.
    #[serde(default)]
    pub section: Option<NamedRef>,
}

/// One custom field's value on a task. `gid` is the field definition's.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct CustomFieldValue {
    /// The custom field definition's gid.
    pub gid: Gid,
    /// The field's name.
    #[serde(default)]
    pub name: Option<String>,
    /// `text`, `number`, `enum`, `multi_enum`, `date`, `people`, `reference`, or newer.
    #[serde(default)]
    pub resource_subtype: Option<String>,
    /// The value as text, whatever the type (what `tasks.custom_fields` stores).
    #[serde(default)]
    pub display_value: Option<String>,
    /// Text value.
    #[serde(default)]
    pub text_value: Option<String>,
    /// Number value.
    #[serde(default)]
    pub number_value: Option<f64>,
    /// Enum value, with its option's name.
    #[serde(default)]
    pub enum_value: Option<NamedRef>,
    /// Multi-enum values, with names.
    #[serde(default, deserialize_with = "null_as_default")]
    pub multi_enum_values: Vec<NamedRef>,
    /// Date value.
    #[serde(default)]
    pub date_value: Option<DateValue>,
    /// People value, with names.
    #[serde(default, deserialize_with = "null_as_default")]
    pub people_value: Vec<NamedRef>,
    /// `false` when the value lost its project context (read-only).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A date custom field's value.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct DateValue {
    /// The date.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// The date and time, when the field has one.
    #[serde(default)]
    pub date_time: Option<DateTime<Utc>>,
}

impl HasGid for Task {
    fn gid(&self) -> &Gid {
        &self.gid
    }
}

impl AsanaClient {
    /// One task (`GET /tasks/{gid}`) with [`TASK_FIELDS`].
    ///
    /// # Errors
    /// [`Error::NotFound`](super::Error::NotFound) for a deleted task, and
    /// the chokepoint's other errors.
    #[instrument(skip_all, fields(task.gid = %gid))]
    pub async fn task(&self, gid: &Gid) -> Result<Task> {
        let query = [("opt_fields", TASK_FIELDS.to_owned())];
        self.get_data(&Target::new("task", gid), &format!("/tasks/{gid}"), &query)
            .await
    }

    /// Pages of a project's tasks (`GET /tasks?project=…`), all of them, or
    /// only those modified at or after `modified_since` (Asana compares
    /// inclusively). Subtasks are not included unless they were added to the
    /// project: see [`subtasks`](Self::subtasks).
    pub fn project_tasks(
        &self,
        project: &Gid,
        modified_since: Option<DateTime<Utc>>,
    ) -> impl Stream<Item = Result<Page<Task>>> + Send + 'static {
        let mut query = vec![("project", project.to_string())];
        if let Some(since) = modified_since {
            query.push((
                "modified_since",
                since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ));
        }
        query.push(("opt_fields", TASK_FIELDS.to_owned()));
        self.pages(
            Target::new("tasks of project", project),
            "/tasks".to_owned(),
            query,
        )
    }

    /// Pages of a task's direct subtasks (`GET /tasks/{gid}/subtasks`).
    pub fn subtasks(
        &self,
        parent: &Gid,
    ) -> impl Stream<Item = Result<Page<Task>>> + Send + 'static {
        let query = vec![("opt_fields", TASK_FIELDS.to_owned())];
        self.pages(
            Target::new("subtasks of task", parent),
            format!("/tasks/{parent}/subtasks"),
            query,
        )
    }

    /// Pages of the gids of a project's tasks, nothing else: the cheap
    /// listing that reconcile compares with the store.
    pub fn project_task_gids(
        &self,
        project: &Gid,
    ) -> impl Stream<Item = Result<Page<NamedRef>>> + Send + 'static {
        let query = vec![
            ("project", project.to_string()),
            ("opt_fields", GID_FIELDS.to_owned()),
        ];
        self.pages(
            Target::new("tasks of project", project),
            "/tasks".to_owned(),
            query,
        )
    }
}

#[cfg(test)]
mod tests;
