//! The control API, over HTTP and as Rust methods: world changes, triggers
//! and the gate.

use fake_asana::NewTask;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Harness, gids};

#[tokio::test]
async fn control_api_changes_tasks_over_http() {
    let h = Harness::custom().await;
    let project = h.project();
    let (status, created) = h
        .admin(
            Method::POST,
            "/tasks",
            Some(json!({ "project": project, "name": "via http", "notes": "n" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let gid = created["data"]["gid"].as_str().unwrap().to_owned();
    let patch = json!({ "name": "patched", "completed": true, "due_on": "2026-03-01" });
    assert_eq!(
        h.admin(Method::PATCH, &format!("/tasks/{gid}"), Some(patch))
            .await
            .0,
        StatusCode::OK
    );
    let task = h.ok(&format!("/tasks/{gid}")).await;
    assert_eq!(
        (
            task["data"]["name"].as_str(),
            task["data"]["due_on"].as_str()
        ),
        (Some("patched"), Some("2026-03-01"))
    );
    assert_eq!(
        h.admin(
            Method::DELETE,
            &format!("/tasks/{gid}/projects/{project}"),
            None
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        h.admin(Method::DELETE, &format!("/tasks/{gid}"), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        h.get(&format!("/tasks/{gid}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.admin(Method::POST, &format!("/tasks/{gid}/undelete"), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        h.admin(Method::DELETE, "/tasks/42", None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn control_api_drives_projects_and_the_gate_over_http() {
    let h = Harness::custom().await;
    let (_, made) = h
        .admin(
            Method::POST,
            "/projects",
            Some(json!({ "name": "Fresh", "tasks": 3 })),
        )
        .await;
    let fresh = made["data"]["gid"].as_str().unwrap().to_owned();
    assert_eq!(
        gids(&h.ok(&format!("/projects/{fresh}/tasks")).await).len(),
        3
    );
    h.admin(
        Method::POST,
        &format!("/projects/{fresh}/archive"),
        Some(json!({ "archived": true })),
    )
    .await;
    assert_eq!(
        h.ok(&format!("/projects/{fresh}?opt_fields=archived"))
            .await["data"]["archived"],
        true
    );
    let fault = json!({ "route": "/users/me", "kind": "server_error", "times": 1 });
    assert_eq!(
        h.admin(Method::POST, "/faults", Some(fault)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        h.get("/users/me").await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(h.get("/users/me").await.0, StatusCode::OK);
    let (_, stats) = h.admin(Method::GET, "/stats", None).await;
    assert!(
        stats["data"]["total_requests"].as_u64().unwrap() >= 4,
        "{stats}"
    );
    let (_, log) = h.admin(Method::GET, "/requests", None).await;
    assert!(
        log["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == 500)
    );
    let (_, world) = h.admin(Method::GET, "/world", None).await;
    assert!(world["data"]["tasks"].as_u64().unwrap() >= 18, "{world}");
    let (_, events) = h.admin(Method::GET, "/world/events", None).await;
    assert_eq!(
        events["data"].as_array().unwrap().len(),
        5,
        "portfolio add, 3 tasks, archive"
    );
    h.admin(
        Method::POST,
        "/tokens/revoke",
        Some(json!({ "token": h.fake.token })),
    )
    .await;
    assert_eq!(h.get("/users/me").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn create_task_with_every_option() {
    let h = Harness::custom().await;
    let project = h.project();
    let world = h.world();
    let user = world.users.keys().next().unwrap().clone();
    let new = NewTask {
        project: Some(project.clone()),
        name: "full".into(),
        assignee: Some(user.clone()),
        completed: true,
        ..NewTask::default()
    };
    let gid = h.fake.create_task(new).unwrap();
    let task = h.ok(&format!("/tasks/{gid}")).await["data"].clone();
    assert_eq!(
        (
            task["assignee"]["gid"].as_str(),
            task["completed"].as_bool()
        ),
        (Some(user.as_str()), Some(true))
    );
    assert_eq!(task["memberships"][0]["project"]["gid"], project.as_str());
    assert!(
        h.fake
            .create_task(NewTask {
                name: "orphan".into(),
                ..NewTask::default()
            })
            .is_err()
    );
}

#[tokio::test]
async fn a_trigger_deletes_a_task_when_its_route_is_first_requested() {
    let h = Harness::custom().await;
    let project = h.project();
    let parent = h.fake.add_task(&project, "parent");
    let child = h.fake.add_subtask(&parent, "child");
    h.fake
        .delete_task_on(&format!("/tasks/{parent}/subtasks"), &parent);
    assert_eq!(h.fake.triggers().len(), 1);
    let listed = gids(&h.ok(&format!("/projects/{project}/tasks")).await);
    assert!(listed.contains(&parent), "other routes leave it alone");
    h.ok(&format!("/tasks/{parent}")).await;
    let (status, _) = h.get(&format!("/tasks/{parent}/subtasks")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "deleted before the request that fired it is answered"
    );
    assert!(h.fake.triggers().is_empty(), "a trigger fires once");
    assert!(h.world().tasks[&parent].deleted);
    assert_eq!(
        h.get(&format!("/tasks/{child}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.world().events.last().map(|e| e.action.as_str()),
        Some("deleted")
    );
}

#[tokio::test]
async fn triggers_are_set_listed_and_cleared_over_http() {
    let h = Harness::custom().await;
    let project = h.project();
    let task = h.fake.add_task(&project, "doomed");
    let trigger = json!({ "route": "/tasks/*", "query_contains": "opt_fields=name",
                          "action": "delete_task", "task": task });
    let (status, body) = h.admin(Method::POST, "/triggers", Some(trigger)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, listed) = h.admin(Method::GET, "/triggers", None).await;
    assert_eq!(listed["data"][0]["task"], task.as_str());
    h.ok(&format!("/tasks/{task}")).await;
    let (status, _) = h.get(&format!("/tasks/{task}?opt_fields=name")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other = h.fake.add_task(&project, "spared");
    let again = json!([{ "route": "/users/me", "action": "delete_task", "task": other }]);
    h.admin(Method::POST, "/triggers", Some(again)).await;
    assert_eq!(
        h.admin(Method::DELETE, "/triggers", None).await.0,
        StatusCode::OK
    );
    h.ok("/users/me").await;
    h.ok(&format!("/tasks/{other}")).await;
    let bad = json!({ "route": "/users/me", "action": "explode" });
    let (status, _) = h.admin(Method::POST, "/triggers", Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
