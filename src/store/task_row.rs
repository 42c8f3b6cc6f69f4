//! The rows a page of tasks is written from: a task, its project
//! memberships and its typed custom values, as synced from Asana.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

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
