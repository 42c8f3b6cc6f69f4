//! Tasks: the full `TaskResponse`, its default form and `TaskCompact`.
//! `external` is left out: only an OAuth app that set it sees it.

use serde_json::{Value, json};

use super::{
    Form, custom_field_value, html_body, named, object, opt_date, opt_timestamp, opt_user_ref,
    permalink, project_compact, section_compact, timestamp, user_ref, workspace_compact,
};
use crate::world::{Task, World};

/// Task properties Asana only returns when asked for.
const OPT_IN: &[&str] = &[
    "html_notes",
    "num_subtasks",
    "dependencies",
    "dependents",
    "created_by",
    "assigned_by",
    "is_rendered_as_separator",
];

/// `TaskCompact`: `{gid, resource_type, name, resource_subtype}`, plus the
/// opt-in `created_by` in the full form.
pub fn task_compact(task: &Task, form: Form) -> Value {
    let mut value = named(&task.gid, "task", &task.name);
    value["resource_subtype"] = json!(task.resource_subtype);
    if form == Form::Full {
        value["created_by"] = created_by(task);
    }
    value
}

fn created_by(task: &Task) -> Value {
    task.created_by.as_ref().map_or(
        Value::Null,
        |gid| json!({ "gid": gid, "resource_type": "user" }),
    )
}

/// The task's memberships in live projects, `[{project, section}]`.
fn memberships(world: &World, task: &Task) -> Value {
    let live = task
        .memberships
        .iter()
        .filter(|m| world.projects.get(&m.project).is_some_and(|p| !p.deleted));
    live.map(|m| {
        let mut value = json!({ "project": project_compact(world, &m.project) });
        if let Some(section) = &m.section {
            value["section"] = section_compact(world, section);
        }
        value
    })
    .collect()
}

fn projects(world: &World, task: &Task) -> Value {
    let live = task
        .memberships
        .iter()
        .filter(|m| world.projects.get(&m.project).is_some_and(|p| !p.deleted));
    live.map(|m| project_compact(world, &m.project)).collect()
}

fn likes(world: &World, task: &Task, form: Form) -> Value {
    let users = world.users.values().take(task.num_likes as usize);
    users
        .enumerate()
        .map(|(i, u)| json!({ "gid": format!("{}{i:02}", task.gid), "user": user_ref(world, &u.gid, form) }))
        .collect()
}

fn custom_fields(world: &World, task: &Task, form: Form) -> Value {
    let defined = task
        .custom_values
        .iter()
        .filter_map(|v| world.custom_fields.get(&v.field).map(|d| (d, v)));
    defined
        .map(|(def, v)| custom_field_value(world, def, &v.value, form))
        .collect()
}

/// The number of live subtasks.
pub fn num_subtasks(world: &World, task: &Task) -> usize {
    task.subtasks
        .iter()
        .filter(|gid| world.tasks.get(*gid).is_some_and(|t| !t.deleted))
        .count()
}

fn parent(world: &World, task: &Task, form: Form) -> Value {
    let parent = task.parent.as_ref().and_then(|gid| world.tasks.get(gid));
    parent.map_or(Value::Null, |p| task_compact(p, form))
}

fn people_and_links(world: &World, task: &Task, form: Form) -> Vec<(&'static str, Value)> {
    let assigned_by = task.assignee.as_ref().and(task.created_by.as_ref());
    let followers = task.followers.iter().map(|gid| user_ref(world, gid, form));
    vec![
        (
            "assignee",
            opt_user_ref(world, task.assignee.as_ref(), form),
        ),
        (
            "assignee_status",
            json!(if task.assignee.is_some() {
                "upcoming"
            } else {
                "inbox"
            }),
        ),
        ("assignee_section", Value::Null),
        ("assigned_by", opt_user_ref(world, assigned_by, form)),
        (
            "completed_by",
            opt_user_ref(world, task.completed_by.as_ref(), form),
        ),
        ("created_by", created_by(task)),
        ("followers", followers.collect()),
        ("memberships", memberships(world, task)),
        ("projects", projects(world, task)),
        ("parent", parent(world, task, form)),
        ("tags", tags(world, task)),
        ("workspace", workspace_compact(world)),
        ("dependencies", json!([])),
        ("dependents", json!([])),
    ]
}

fn tags(world: &World, task: &Task) -> Value {
    let known = task.tags.iter().filter_map(|gid| world.tags.get(gid));
    known.map(|t| named(&t.gid, "tag", &t.name)).collect()
}

fn dates_and_state(task: &Task) -> Vec<(&'static str, Value)> {
    vec![
        ("completed", json!(task.completed)),
        ("completed_at", opt_timestamp(task.completed_at.as_ref())),
        ("created_at", json!(timestamp(&task.created_at))),
        ("modified_at", json!(timestamp(&task.modified_at))),
        ("due_on", opt_date(task.due_on.as_ref())),
        ("due_at", opt_timestamp(task.due_at.as_ref())),
        ("start_on", opt_date(task.start_on.as_ref())),
        ("start_at", Value::Null),
        ("actual_time_minutes", Value::Null),
        ("custom_type", Value::Null),
        ("custom_type_status_option", Value::Null),
        ("is_rendered_as_separator", json!(false)),
    ]
}

/// A task in the full form (`Form::Full`: every property, what `opt_fields`
/// projects from) or the default form of `GET /tasks/{gid}`.
pub fn task(world: &World, task: &Task, form: Form) -> Value {
    let html_notes = if task.html_notes.is_empty() {
        html_body(&task.notes)
    } else {
        task.html_notes.clone()
    };
    let mut pairs = vec![
        ("gid", json!(task.gid)),
        ("resource_type", json!("task")),
        ("name", json!(task.name)),
        ("resource_subtype", json!(task.resource_subtype)),
        ("notes", json!(task.notes)),
        ("html_notes", json!(html_notes)),
        ("num_subtasks", json!(num_subtasks(world, task))),
        ("liked", json!(false)),
        ("likes", likes(world, task, form)),
        ("num_likes", json!(task.num_likes)),
        ("hearted", json!(false)),
        ("hearts", likes(world, task, form)),
        ("num_hearts", json!(task.num_likes)),
        ("custom_fields", custom_fields(world, task, form)),
        ("permalink_url", json!(permalink(world, "task", &task.gid))),
    ];
    if let Some(status) = &task.approval_status {
        pairs.push(("approval_status", json!(status)));
    }
    pairs.extend(dates_and_state(task));
    pairs.extend(people_and_links(world, task, form));
    let full = object(pairs);
    match form {
        Form::Full => full,
        Form::Default => super::without(full, OPT_IN),
    }
}
