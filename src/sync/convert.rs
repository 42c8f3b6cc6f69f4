//! Turning the Asana client's records into the store's rows.

use serde_json::{Map, Value, json};

use crate::{
    asana::{CustomFieldValue, Gid, Project, Task},
    store::{
        projects::ProjectRow,
        tasks::{CustomValueRow, MembershipRow, TaskRow},
    },
};

/// A portfolio project as a `projects` row.
pub(crate) fn project_row(project: &Project, portfolio: &Gid) -> ProjectRow {
    ProjectRow {
        asana_gid: project.gid.to_string(),
        name: project.name.clone(),
        notes: project.notes.clone().unwrap_or_default(),
        archived: project.archived,
        public: project
            .public
            .unwrap_or(project.privacy_setting.as_deref() == Some("public_to_workspace")),
        privacy_setting: project.privacy_setting.clone(),
        asana_permalink_url: project.permalink_url.clone(),
        portfolio_gid: portfolio.to_string(),
        workspace_gid: project.workspace.as_ref().map(|w| w.gid.to_string()),
        workspace_name: project.workspace.as_ref().and_then(|w| w.name.clone()),
        team_gid: project.team.as_ref().map(|t| t.gid.to_string()),
        team_name: project.team.as_ref().and_then(|t| t.name.clone()),
        created_at: project.created_at,
        modified_at: project.modified_at,
    }
}

/// A task as a `tasks` row; `aegis_user` decides `assigned_to_aegis`.
pub(crate) fn task_row(task: &Task, aegis_user: Option<&Gid>) -> TaskRow {
    let assignee = task.assignee.as_ref();
    TaskRow {
        asana_gid: task.gid.to_string(),
        name: task.name.clone(),
        resource_subtype: task
            .resource_subtype
            .clone()
            .unwrap_or_else(|| "default_task".to_owned()),
        description: task.notes.clone().unwrap_or_default(),
        html_notes: task.html_notes.clone(),
        completed: task.completed,
        completed_at: task.completed_at,
        due_on: task.due_on,
        due_at: task.due_at,
        start_on: task.start_on,
        assignee_gid: assignee.map(|a| a.gid.to_string()),
        assignee_name: assignee.and_then(|a| a.name.clone()),
        assigned_to_aegis: matches!((assignee, aegis_user), (Some(a), Some(me)) if &a.gid == me),
        parent_gid: task.parent.as_ref().map(|p| p.gid.to_string()),
        num_subtasks: task
            .num_subtasks
            .unwrap_or(0)
            .try_into()
            .unwrap_or(i32::MAX),
        asana_permalink_url: task.permalink_url.clone(),
        tags: Value::Array(
            task.tags
                .iter()
                .map(|t| json!({"gid": t.gid.as_str(), "name": t.name}))
                .collect(),
        ),
        custom_fields: display_map(&task.custom_fields),
        modified_at: task.modified_at,
        created_at: task.created_at,
        memberships: memberships(task),
        custom_values: task.custom_fields.iter().map(custom_value).collect(),
    }
}

fn memberships(task: &Task) -> Vec<MembershipRow> {
    task.memberships
        .iter()
        .filter_map(|m| {
            let project = m.project.as_ref()?;
            Some(MembershipRow {
                project_gid: project.gid.to_string(),
                section_gid: m.section.as_ref().map(|s| s.gid.to_string()),
                section_name: m.section.as_ref().and_then(|s| s.name.clone()),
            })
        })
        .collect()
}

/// `{field name: display_value}`, as the replaced tool stored it.
fn display_map(fields: &[CustomFieldValue]) -> Value {
    let map: Map<String, Value> = fields
        .iter()
        .map(|f| {
            let name = f.name.clone().unwrap_or_else(|| f.gid.to_string());
            (name, json!(f.display_value))
        })
        .collect();
    Value::Object(map)
}

fn names(refs: &[crate::asana::NamedRef]) -> Option<Vec<String>> {
    (!refs.is_empty()).then(|| {
        refs.iter()
            .map(|r| r.name.clone().unwrap_or_default())
            .collect()
    })
}

fn custom_value(f: &CustomFieldValue) -> CustomValueRow {
    CustomValueRow {
        field_gid: f.gid.to_string(),
        name: f.name.clone().unwrap_or_default(),
        resource_subtype: f.resource_subtype.clone().unwrap_or_default(),
        display_value: f.display_value.clone(),
        text_value: f.text_value.clone(),
        number_value: f.number_value,
        enum_value: f.enum_value.as_ref().and_then(|e| e.name.clone()),
        multi_enum_values: names(&f.multi_enum_values),
        date_value: f.date_value.as_ref().and_then(|d| d.date),
        date_time_value: f.date_value.as_ref().and_then(|d| d.date_time),
        people_value: names(&f.people_value),
        enabled: f.enabled.unwrap_or(true),
    }
}
