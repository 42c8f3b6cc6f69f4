//! After a full sync of a generated portfolio (several pages per project,
//! every custom-field type, unicode, 64 KB notes, nulls, subtasks two levels
//! deep, multi-homed tasks, an archived project, a nested portfolio), every
//! field of every task in the store equals what the fake holds.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use fake_asana::{
    Config,
    generate::Preset,
    render,
    world::{FieldValue, Task, World},
};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::TestApp;

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct StoredTask {
    asana_gid: String,
    name: String,
    resource_subtype: String,
    description: String,
    html_notes: Option<String>,
    completed: bool,
    completed_at: Option<DateTime<Utc>>,
    due_on: Option<NaiveDate>,
    due_at: Option<DateTime<Utc>>,
    start_on: Option<NaiveDate>,
    assignee_gid: Option<String>,
    assignee_name: Option<String>,
    assigned_to_aegis: bool,
    parent_gid: Option<String>,
    num_subtasks: i32,
    tags: Value,
    custom_fields: Value,
    modified_at: Option<DateTime<Utc>>,
    created_at: Option<DateTime<Utc>>,
    memberships: Value,
    typed: Value,
}

const STORED: &str = r#"
    select t.asana_gid, t.name, t.resource_subtype, t.description, t.html_notes, t.completed,
        t.completed_at, t.due_on, t.due_at, t.start_on, t.assignee_gid, t.assignee_name,
        t.assigned_to_aegis, t.parent_gid, t.num_subtasks, t.tags, t.custom_fields,
        t.modified_at, t.created_at,
        coalesce((select jsonb_agg(jsonb_build_object('project', p.asana_gid,
                    'section', m.section_gid, 'section_name', m.section_name) order by p.asana_gid)
                  from task_memberships m join projects p on p.id = m.project_id
                  where m.task_id = t.id), '[]') as memberships,
        coalesce((select jsonb_object_agg(cf.field_gid, jsonb_build_object(
                    'display', cf.display_value, 'text', cf.text_value,
                    'number', cf.number_value, 'enum', cf.enum_value,
                    'multi', cf.multi_enum_values, 'date', cf.date_value,
                    'date_time', cf.date_time_value, 'people', cf.people_value))
                  from task_custom_fields cf where cf.task_id = t.id), '{}') as typed
    from tasks t where t.deleted_at is null order by t.asana_gid
"#;

/// Projects whose tasks a sync covers: every project reachable from the
/// portfolio (nested portfolios followed, cycles ignored), not archived.
fn synced_projects(world: &World) -> Vec<String> {
    let (mut seen, mut todo, mut out) =
        (BTreeSet::new(), vec![world.main_portfolio.clone()], vec![]);
    while let Some(gid) = todo.pop() {
        if !seen.insert(gid.clone()) {
            continue;
        }
        if let Some(portfolio) = world.portfolios.get(&gid) {
            todo.extend(portfolio.items.iter().rev().cloned());
        } else if let Some(project) = world.projects.get(&gid)
            && !project.archived
        {
            out.push(project.gid.clone());
        }
    }
    out
}

/// Every live task of those projects and all their live subtasks.
fn expected_tasks<'w>(world: &'w World, projects: &[String]) -> BTreeMap<String, &'w Task> {
    let mut out = BTreeMap::new();
    let mut todo: Vec<&String> = projects
        .iter()
        .flat_map(|p| &world.projects[p].task_order)
        .collect();
    while let Some(gid) = todo.pop() {
        let task = &world.tasks[gid];
        if task.deleted || out.insert(gid.clone(), task).is_some() {
            continue;
        }
        todo.extend(task.subtasks.iter());
    }
    out
}

fn user_name(world: &World, gid: &str) -> String {
    world.users[gid].name.clone()
}

fn expected_row(world: &World, task: &Task, synced: &[String]) -> StoredTask {
    let me = world.tokens.values().next().cloned();
    let mut memberships: Vec<Value> = task
        .memberships
        .iter()
        .filter(|m| synced.contains(&m.project) || world.projects[&m.project].archived)
        .map(|m| {
            json!({"project": m.project, "section": m.section,
                   "section_name": m.section.as_ref().map(|s| world.sections[s].name.clone())})
        })
        .collect();
    memberships.sort_by_key(|m| m["project"].as_str().unwrap_or_default().to_owned());
    let (display, typed) = custom_values(world, task);
    StoredTask {
        asana_gid: task.gid.clone(),
        name: task.name.clone(),
        resource_subtype: task.resource_subtype.clone(),
        description: task.notes.clone(),
        html_notes: Some(task.html_notes.clone()),
        completed: task.completed,
        completed_at: task.completed_at,
        due_on: task.due_on,
        due_at: task.due_at,
        start_on: task.start_on,
        assignee_gid: task.assignee.clone(),
        assignee_name: task.assignee.as_ref().map(|a| user_name(world, a)),
        assigned_to_aegis: task.assignee.is_some() && task.assignee == me,
        parent_gid: task.parent.clone(),
        num_subtasks: task
            .subtasks
            .iter()
            .filter(|s| !world.tasks[*s].deleted)
            .count() as i32,
        tags: Value::Array(
            task.tags
                .iter()
                .map(|t| json!({"gid": t, "name": world.tags[t].name}))
                .collect(),
        ),
        custom_fields: display,
        modified_at: Some(task.modified_at),
        created_at: Some(task.created_at),
        memberships: Value::Array(memberships),
        typed,
    }
}

fn custom_values(world: &World, task: &Task) -> (Value, Value) {
    let (mut display, mut typed) = (serde_json::Map::new(), serde_json::Map::new());
    for value in &task.custom_values {
        let def = &world.custom_fields[&value.field];
        let shown = render::display_value(world, def, &value.value);
        display.insert(def.name.clone(), json!(shown));
        let option = |gid: &String| {
            def.enum_options
                .iter()
                .find(|o| &o.gid == gid)
                .map(|o| o.name.clone())
        };
        let mut entry = json!({"display": shown, "text": null, "number": null, "enum": null,
            "multi": null, "date": null, "date_time": null, "people": null});
        match &value.value {
            FieldValue::Text(t) => entry["text"] = json!(t),
            FieldValue::Number(n) => entry["number"] = json!(n),
            FieldValue::Enum(e) => entry["enum"] = json!(e.as_ref().and_then(option)),
            FieldValue::MultiEnum(v) if !v.is_empty() => {
                entry["multi"] = json!(v.iter().filter_map(option).collect::<Vec<_>>())
            }
            FieldValue::People(v) if !v.is_empty() => {
                entry["people"] = json!(v.iter().map(|u| user_name(world, u)).collect::<Vec<_>>())
            }
            FieldValue::Date(Some(d)) => {
                entry["date"] = json!(d.date);
                entry["date_time"] = json!(d.date_time);
            }
            _ => {}
        }
        typed.insert(value.field.clone(), entry);
    }
    (Value::Object(display), Value::Object(typed))
}

/// Timestamps come back from Postgres as `+00:00` strings inside jsonb, and
/// whole numbers without their `.0`.
fn normalise(mut row: StoredTask) -> StoredTask {
    if let Value::Object(map) = &mut row.typed {
        for entry in map.values_mut() {
            if let Some(n) = entry["number"].as_f64() {
                entry["number"] = json!(n);
            }
            if let Some(s) = entry["date_time"].as_str() {
                let at: DateTime<Utc> = s.parse().expect("timestamp");
                entry["date_time"] = json!(at);
            }
        }
    }
    row
}

#[sqlx::test(migrations = false)]
async fn every_field_of_every_task_matches_the_fake(pool: PgPool) {
    let config = Config {
        preset: Preset::Custom {
            projects: 4,
            tasks_per_project: 230,
        },
        seed: 7,
        ..Config::default()
    };
    let app = TestApp::new(pool, config).await;
    app.sync_all().await;
    let world = app.fake.snapshot();
    let synced = synced_projects(&world);
    let expected = expected_tasks(&world, &synced);
    let stored: Vec<StoredTask> = sqlx::query_as(STORED).fetch_all(&app.pool).await.unwrap();
    let stored: BTreeMap<String, StoredTask> = stored
        .into_iter()
        .map(normalise)
        .map(|t| (t.asana_gid.clone(), t))
        .collect();
    assert_eq!(
        stored.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the store holds exactly the portfolio's live tasks and subtasks"
    );
    for (gid, task) in &expected {
        assert_eq!(
            stored[gid],
            expected_row(&world, task, &synced),
            "task {gid}"
        );
    }
    assert!(
        expected.values().any(|t| t.notes.len() > 64 * 1024),
        "64 KB notes covered"
    );
    assert!(
        expected.values().any(|t| t.memberships.len() > 1),
        "a multi-homed task covered"
    );
}
