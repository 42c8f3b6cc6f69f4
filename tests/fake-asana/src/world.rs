//! The fake's data: an in-memory Asana world (workspace, users, portfolios,
//! projects, sections, tasks, custom fields, tags) and its event log.
//!
//! Everything here is plain data keyed by gid. Rendering to Asana's JSON
//! lives in `render`, HTTP in `routes`, generation in `generate`. Mutations
//! that Asana would record as events go through the methods in `mutate`
//! so that `modified_at` and the event log stay right.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

/// An Asana global id: a string of digits.
pub type Gid = String;

/// The whole fake Asana state.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// Next gid to hand out (gids are digit strings, increasing).
    pub next_gid: u64,
    /// The one workspace every object lives in.
    pub workspace: Workspace,
    /// The workspace's team(s).
    pub teams: BTreeMap<Gid, Team>,
    /// Users by gid.
    pub users: BTreeMap<Gid, User>,
    /// Access tokens accepted by the fake, mapped to the user they act as.
    pub tokens: BTreeMap<String, Gid>,
    /// Portfolios by gid.
    pub portfolios: BTreeMap<Gid, Portfolio>,
    /// Projects by gid.
    pub projects: BTreeMap<Gid, Project>,
    /// Sections by gid.
    pub sections: BTreeMap<Gid, Section>,
    /// Tasks (and subtasks) by gid, trashed ones included (see `Task::deleted`).
    pub tasks: BTreeMap<Gid, Task>,
    /// Tags by gid.
    pub tags: BTreeMap<Gid, Tag>,
    /// Custom field definitions by gid.
    pub custom_fields: BTreeMap<Gid, CustomFieldDef>,
    /// Every event, in order; streams are read from here by `/events`.
    pub events: Vec<Event>,
    /// The portfolio the fake was generated around (what tests sync).
    pub main_portfolio: Gid,
}

/// The workspace.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// Its gid.
    pub gid: Gid,
    /// Its name.
    pub name: String,
}

/// A team.
#[derive(Debug, Clone)]
pub struct Team {
    /// Its gid.
    pub gid: Gid,
    /// Its name.
    pub name: String,
}

/// A user.
#[derive(Debug, Clone)]
pub struct User {
    /// Its gid.
    pub gid: Gid,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
}

/// A portfolio: an ordered list of items, each a project or a nested portfolio.
#[derive(Debug, Clone)]
pub struct Portfolio {
    /// Its gid.
    pub gid: Gid,
    /// Its name.
    pub name: String,
    /// Owner (a user gid).
    pub owner: Gid,
    /// Items in order: gids of projects or of portfolios.
    pub items: Vec<Gid>,
    /// Colour name, e.g. `light-green`.
    pub color: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Archived flag (opt-in on Asana's side).
    pub archived: bool,
}

/// A project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Its gid.
    pub gid: Gid,
    /// Its name.
    pub name: String,
    /// Plain-text notes.
    pub notes: String,
    /// Archived flag.
    pub archived: bool,
    /// `public_to_workspace`, `private_to_team` or `private`.
    pub privacy_setting: String,
    /// Colour name or `none`.
    pub color: Option<String>,
    /// Team gid.
    pub team: Gid,
    /// Owner, a user gid.
    pub owner: Option<Gid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last modification of the project's own fields.
    pub modified_at: DateTime<Utc>,
    /// Due date.
    pub due_on: Option<NaiveDate>,
    /// Start date.
    pub start_on: Option<NaiveDate>,
    /// Completed flag.
    pub completed: bool,
    /// When completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Custom field definitions enabled on this project (gids), in order.
    pub custom_field_settings: Vec<Gid>,
    /// Member tasks (top-level or multi-homed subtasks) in rank order.
    pub task_order: Vec<Gid>,
    /// Sections in order.
    pub sections: Vec<Gid>,
    /// Deleted projects answer 404.
    pub deleted: bool,
}

/// A section of a project.
#[derive(Debug, Clone)]
pub struct Section {
    /// Its gid.
    pub gid: Gid,
    /// Its name.
    pub name: String,
    /// The project it belongs to.
    pub project: Gid,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A tag.
#[derive(Debug, Clone)]
pub struct Tag {
    /// Its gid.
    pub gid: Gid,
    /// Its name.
    pub name: String,
    /// Colour name.
    pub color: Option<String>,
}

/// One project membership of a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The project.
    pub project: Gid,
    /// The section inside it, if any.
    pub section: Option<Gid>,
}

/// A task or subtask.
#[derive(Debug, Clone)]
pub struct Task {
    /// Its gid.
    pub gid: Gid,
    /// Its name.
    pub name: String,
    /// `default_task`, `milestone`, `approval` or `custom`.
    pub resource_subtype: String,
    /// Plain-text notes (Asana `notes`).
    pub notes: String,
    /// Rich-text notes (`html_notes`, opt-in).
    pub html_notes: String,
    /// Completed flag.
    pub completed: bool,
    /// When completed (null while incomplete).
    pub completed_at: Option<DateTime<Utc>>,
    /// Who completed it.
    pub completed_by: Option<Gid>,
    /// Due date (exclusive with `due_at`).
    pub due_on: Option<NaiveDate>,
    /// Due date-time.
    pub due_at: Option<DateTime<Utc>>,
    /// Start date.
    pub start_on: Option<NaiveDate>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last modification (see Asana's rules: not bumped by project moves).
    pub modified_at: DateTime<Utc>,
    /// Assignee, a user gid.
    pub assignee: Option<Gid>,
    /// Who created it.
    pub created_by: Option<Gid>,
    /// Project memberships, in the order they were added.
    pub memberships: Vec<Membership>,
    /// Parent task for subtasks.
    pub parent: Option<Gid>,
    /// Subtasks in order.
    pub subtasks: Vec<Gid>,
    /// Tag gids.
    pub tags: Vec<Gid>,
    /// Follower user gids.
    pub followers: Vec<Gid>,
    /// Custom field values, in the order of the fields.
    pub custom_values: Vec<CustomValue>,
    /// Approval status for approval tasks.
    pub approval_status: Option<String>,
    /// Number of likes.
    pub num_likes: u32,
    /// Trashed: gone from lists, 404 on GET.
    pub deleted: bool,
}

/// A custom field definition.
#[derive(Debug, Clone)]
pub struct CustomFieldDef {
    /// Its gid (the gid a task's value carries too).
    pub gid: Gid,
    /// Its name.
    pub name: String,
    /// `text`, `number`, `enum`, `multi_enum`, `date` or `people`.
    pub resource_subtype: String,
    /// Number precision (0..6) for number fields.
    pub precision: Option<u32>,
    /// Number format: `none`, `currency`, `percentage`, ….
    pub format: Option<String>,
    /// Currency code for currency fields.
    pub currency_code: Option<String>,
    /// Options of enum and multi_enum fields.
    pub enum_options: Vec<EnumOption>,
}

/// One option of an enum or multi_enum custom field.
#[derive(Debug, Clone)]
pub struct EnumOption {
    /// Its gid.
    pub gid: Gid,
    /// Its name.
    pub name: String,
    /// Colour name.
    pub color: String,
    /// Whether it can still be chosen.
    pub enabled: bool,
}

/// A task's value for one custom field.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomValue {
    /// The field definition's gid.
    pub field: Gid,
    /// The value.
    pub value: FieldValue,
}

/// A typed custom field value; `None`/empty means unset (display_value null).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Text.
    Text(Option<String>),
    /// Number.
    Number(Option<f64>),
    /// One enum option gid.
    Enum(Option<Gid>),
    /// Several enum option gids.
    MultiEnum(Vec<Gid>),
    /// A date, optionally with a time.
    Date(Option<DateValue>),
    /// User gids.
    People(Vec<Gid>),
}

/// The value of a date custom field.
#[derive(Debug, Clone, PartialEq)]
pub struct DateValue {
    /// The date.
    pub date: NaiveDate,
    /// The date-time, when the field holds one.
    pub date_time: Option<DateTime<Utc>>,
}

/// A compact reference to a resource, as events carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRef {
    /// Its gid.
    pub gid: Gid,
    /// `task`, `project`, `section`, `story`, ….
    pub resource_type: String,
    /// Its name at the time of the event.
    pub name: Option<String>,
}

/// One entry of the event log.
#[derive(Debug, Clone)]
pub struct Event {
    /// Position in the log (1-based, increasing).
    pub seq: u64,
    /// When it happened.
    pub created_at: DateTime<Utc>,
    /// Who did it (null for system events).
    pub user: Option<Gid>,
    /// `added`, `changed`, `removed`, `deleted` or `undeleted`.
    pub action: String,
    /// The object that changed.
    pub resource: ResourceRef,
    /// The container for added/removed; null otherwise.
    pub parent: Option<ResourceRef>,
    /// For `changed`: `{field, action, new_value|added_value|removed_value}`.
    pub change: Option<serde_json::Value>,
    /// Every resource whose event stream shows this event: the resource
    /// itself, its parent tasks, and the projects of it and its ancestors
    /// at the time of the event (events bubble up).
    pub audience: Vec<Gid>,
}

impl World {
    /// Hands out a fresh gid (digit string), unique within this world.
    pub fn alloc_gid(&mut self) -> Gid {
        if self.next_gid == 0 {
            self.next_gid = 1_200_000_000_000_001;
        }
        let gid = self.next_gid;
        self.next_gid += 1;
        gid.to_string()
    }
}
