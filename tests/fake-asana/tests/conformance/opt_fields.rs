//! `opt_fields` strictness: exactly the requested fields plus `gid` at every
//! level, `resource_type` only on request, unknown names ignored, groups.

use serde_json::Value;

use crate::common::{keys, seed, set};

fn assert_keys(value: &Value, expected: &[&str], what: &str) {
    assert_eq!(keys(value), set(expected), "{what}: {value}");
}

#[tokio::test]
async fn a_list_returns_exactly_the_requested_fields_and_gid() {
    let fake = seed().await;
    let project = fake.project_with_tasks(10);
    let body = fake
        .ok(&format!("/projects/{project}/tasks?opt_fields=name,notes"))
        .await;
    for item in body["data"].as_array().expect("a list") {
        assert_keys(item, &["gid", "name", "notes"], "task");
    }
    let body = fake
        .ok(&format!(
            "/projects/{project}/tasks?opt_fields=nope,also_nope"
        ))
        .await;
    for item in body["data"].as_array().expect("a list") {
        assert_keys(item, &["gid"], "unknown fields only");
    }
}

#[tokio::test]
async fn nested_paths_and_groups_keep_gid_at_every_level() {
    let fake = seed().await;
    let world = fake.world();
    let task = world
        .tasks
        .values()
        .find(|t| {
            !t.deleted && t.assignee.is_some() && t.memberships.iter().any(|m| m.section.is_some())
        })
        .expect("an assigned task in a section");
    let path = format!(
        "/tasks/{}?opt_fields=assignee.name,memberships.(project|section).name,this.completed",
        task.gid
    );
    let data = &fake.ok(&path).await["data"];
    assert_keys(
        data,
        &["gid", "assignee", "memberships", "completed"],
        "task",
    );
    assert_keys(&data["assignee"], &["gid", "name"], "assignee");
    for membership in data["memberships"].as_array().expect("memberships") {
        assert_keys(
            &membership["project"],
            &["gid", "name"],
            "membership project",
        );
        if !membership["section"].is_null() {
            assert_keys(
                &membership["section"],
                &["gid", "name"],
                "membership section",
            );
        }
    }
}

#[tokio::test]
async fn resource_type_only_when_requested_and_bare_objects_are_compact() {
    let fake = seed().await;
    let world = fake.world();
    let task = world
        .tasks
        .values()
        .find(|t| !t.deleted && t.assignee.is_some())
        .expect("an assigned task");
    let data = &fake
        .ok(&format!("/tasks/{}?opt_fields=name", task.gid))
        .await["data"];
    assert_keys(data, &["gid", "name"], "no resource_type unless asked");
    let data = &fake
        .ok(&format!(
            "/tasks/{}?opt_fields=resource_type,assignee,tags",
            task.gid
        ))
        .await["data"];
    assert_keys(data, &["gid", "resource_type", "assignee", "tags"], "task");
    assert_eq!(data["resource_type"], "task");
    assert_keys(
        &data["assignee"],
        &["gid", "resource_type", "name"],
        "bare assignee",
    );
}

#[tokio::test]
async fn opt_in_fields_appear_only_when_requested() {
    let fake = seed().await;
    let world = fake.world();
    let task = world.tasks.values().find(|t| !t.deleted).expect("a task");
    let default = fake.ok(&format!("/tasks/{}", task.gid)).await;
    for field in [
        "html_notes",
        "num_subtasks",
        "dependencies",
        "dependents",
        "created_by",
        "is_rendered_as_separator",
    ] {
        assert!(default["data"].get(field).is_none(), "{field} is opt-in");
        let asked = fake
            .ok(&format!("/tasks/{}?opt_fields={field}", task.gid))
            .await;
        assert_keys(&asked["data"], &["gid", field], field);
    }
}
