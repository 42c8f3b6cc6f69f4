//! Containers and people: projects, portfolios (and their items), sections,
//! users and the workspace.

use serde_json::{Value, json};

use super::{
    Form, custom_field_definition, html_body, named, object, opt_date, opt_timestamp, opt_user_ref,
    permalink, project_compact, team_compact, timestamp, user_ref, workspace_compact,
};
use crate::world::{Portfolio, Project, Section, User, World};

/// Project properties Asana only returns when asked for.
const PROJECT_OPT_IN: &[&str] = &["html_notes", "project_brief", "created_from_template"];

/// Portfolio properties Asana only returns when asked for.
const PORTFOLIO_OPT_IN: &[&str] = &["archived"];

fn custom_field_settings(world: &World, project: &Project, form: Form) -> Value {
    let defs = project
        .custom_field_settings
        .iter()
        .filter_map(|gid| world.custom_fields.get(gid));
    defs.map(|def| {
        json!({
            "gid": format!("{}{}", project.gid, def.gid),
            "resource_type": "custom_field_setting",
            "is_important": true,
            "project": project_compact(world, &project.gid),
            "parent": project_compact(world, &project.gid),
            "custom_field": custom_field_definition(def, form),
        })
    })
    .collect()
}

fn project_people(world: &World, project: &Project, form: Form) -> Vec<(&'static str, Value)> {
    let members = world.users.keys().map(|gid| user_ref(world, gid, form));
    let followers = project.owner.iter().map(|gid| user_ref(world, gid, form));
    vec![
        ("owner", opt_user_ref(world, project.owner.as_ref(), form)),
        ("members", members.collect()),
        ("followers", followers.collect()),
        ("completed_by", Value::Null),
        ("team", team_compact(world, &project.team)),
        ("workspace", workspace_compact(world)),
    ]
}

fn project_settings(project: &Project) -> Vec<(&'static str, Value)> {
    vec![
        ("archived", json!(project.archived)),
        ("color", json!(project.color)),
        ("icon", json!("list")),
        ("default_view", json!("list")),
        ("privacy_setting", json!(project.privacy_setting)),
        (
            "public",
            json!(project.privacy_setting == "public_to_workspace"),
        ),
        ("default_access_level", json!("editor")),
        ("minimum_access_level_for_customization", json!("admin")),
        ("minimum_access_level_for_sharing", json!("admin")),
        ("current_status", Value::Null),
        ("current_status_update", Value::Null),
        ("project_brief", Value::Null),
        ("created_from_template", Value::Null),
    ]
}

/// `ProjectResponse` in the full or default form.
pub fn project(world: &World, project: &Project, form: Form) -> Value {
    let mut pairs = vec![
        ("gid", json!(project.gid)),
        ("resource_type", json!("project")),
        ("name", json!(project.name)),
        ("notes", json!(project.notes)),
        ("html_notes", json!(html_body(&project.notes))),
        ("created_at", json!(timestamp(&project.created_at))),
        ("modified_at", json!(timestamp(&project.modified_at))),
        ("due_on", opt_date(project.due_on.as_ref())),
        ("due_date", opt_date(project.due_on.as_ref())),
        ("start_on", opt_date(project.start_on.as_ref())),
        ("completed", json!(project.completed)),
        ("completed_at", opt_timestamp(project.completed_at.as_ref())),
        ("custom_fields", json!([])),
        (
            "custom_field_settings",
            custom_field_settings(world, project, form),
        ),
        (
            "permalink_url",
            json!(permalink(world, "project", &project.gid)),
        ),
    ];
    pairs.extend(project_settings(project));
    pairs.extend(project_people(world, project, form));
    let full = object(pairs);
    match form {
        Form::Full => full,
        Form::Default => super::without(full, PROJECT_OPT_IN),
    }
}

/// `PortfolioResponse` in the full or default form.
pub fn portfolio(world: &World, portfolio: &Portfolio, form: Form) -> Value {
    let full = json!({
        "gid": portfolio.gid,
        "resource_type": "portfolio",
        "name": portfolio.name,
        "archived": portfolio.archived,
        "color": portfolio.color,
        "start_on": null,
        "due_on": null,
        "default_access_level": "editor",
        "created_at": timestamp(&portfolio.created_at),
        "created_by": user_ref(world, &portfolio.owner, form),
        "owner": user_ref(world, &portfolio.owner, form),
        "members": [user_ref(world, &portfolio.owner, form)],
        "custom_field_settings": [],
        "custom_fields": [],
        "current_status_update": null,
        "workspace": workspace_compact(world),
        "permalink_url": permalink(world, "portfolio", &portfolio.gid),
        "public": false,
        "privacy_setting": "members_only",
        "project_templates": [],
    });
    match form {
        Form::Full => full,
        Form::Default => super::without(full, PORTFOLIO_OPT_IN),
    }
}

/// One item of a portfolio: the project's or nested portfolio's record, with
/// `resource_type` telling which; `None` for an unknown or trashed gid.
pub fn portfolio_item(world: &World, gid: &str, form: Form) -> Option<Value> {
    if let Some(p) = world.projects.get(gid).filter(|p| !p.deleted) {
        return Some(project(world, p, form));
    }
    world.portfolios.get(gid).map(|p| portfolio(world, p, form))
}

/// `SectionResponse`.
pub fn section(world: &World, section: &Section) -> Value {
    let mut value = named(&section.gid, "section", &section.name);
    value["created_at"] = json!(timestamp(&section.created_at));
    value["project"] = project_compact(world, &section.project);
    value["projects"] = json!([project_compact(world, &section.project)]);
    value
}

/// `UserResponse`.
pub fn user(world: &World, user: &User) -> Value {
    json!({
        "gid": user.gid,
        "resource_type": "user",
        "name": user.name,
        "email": user.email,
        "photo": null,
        "workspaces": [workspace_compact(world)],
        "custom_fields": [],
    })
}

/// `WorkspaceResponse` (compact fields plus the opt-in ones).
pub fn workspace(world: &World) -> Value {
    let domain = world
        .users
        .values()
        .next()
        .and_then(|u| u.email.split('@').nth(1))
        .unwrap_or("example.com");
    let mut value = workspace_compact(world);
    value["email_domains"] = json!([domain]);
    value["is_organization"] = json!(true);
    value
}
