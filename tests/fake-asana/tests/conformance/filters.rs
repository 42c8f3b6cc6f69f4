//! `GET /tasks` filters: Asana's validation (`project` or `section`, or
//! `assignee` with `workspace`), `completed_since` and `modified_since`.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;

use crate::{
    common::seed,
    schema::{check, check_error},
};

#[tokio::test]
async fn tasks_needs_a_filter() {
    let fake = seed().await;
    let workspace = fake.world().workspace.gid;
    let cases = [
        ("/tasks".to_owned(), Some("workspace: Missing input")),
        (
            "/tasks?limit=10".to_owned(),
            Some("workspace: Missing input"),
        ),
        ("/tasks?assignee=me".to_owned(), None),
        (format!("/tasks?workspace={workspace}"), None),
    ];
    for (path, message) in cases {
        let answer = fake.get(&path).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}");
        check_error(&answer.body);
        if let Some(message) = message {
            assert_eq!(answer.message(), message);
        }
    }
    let mine = fake
        .ok(&format!(
            "/tasks?assignee=me&workspace={workspace}&opt_fields=assignee"
        ))
        .await;
    check("getTasks", &mine);
    let me = fake.ok("/users/me").await["data"]["gid"].clone();
    assert!(
        mine["data"]
            .as_array()
            .expect("a list")
            .iter()
            .all(|t| t["assignee"]["gid"] == me)
    );
}

#[tokio::test]
async fn completed_since_now_means_incomplete_only() {
    let fake = seed().await;
    let project = fake.project_with_tasks(10);
    let body = fake
        .ok(&format!(
            "/tasks?project={project}&completed_since=now&opt_fields=completed"
        ))
        .await;
    let tasks = body["data"].as_array().expect("a list");
    assert!(!tasks.is_empty() && tasks.iter().all(|t| t["completed"] == false));
    let all = fake
        .ok(&format!("/tasks?project={project}&opt_fields=completed"))
        .await;
    assert!(
        all["data"]
            .as_array()
            .expect("a list")
            .iter()
            .any(|t| t["completed"] == true),
        "the seed has completed tasks"
    );
}

#[tokio::test]
async fn modified_since_is_inclusive() {
    let fake = seed().await;
    let project = fake.project_with_tasks(10);
    let task = fake.task_gids(&project)[3].clone();
    let patch = fake_asana::mutate::TaskPatch {
        notes: Some("edited".to_owned()),
        ..Default::default()
    };
    fake.fake.modify_task(&task, patch).expect("modify");
    let modified_at = fake
        .ok(&format!("/tasks/{task}?opt_fields=modified_at"))
        .await["data"]["modified_at"]
        .as_str()
        .expect("modified_at")
        .to_owned();
    let since: DateTime<Utc> = modified_at.parse().expect("a timestamp");
    let path =
        format!("/tasks?project={project}&modified_since={modified_at}&opt_fields=modified_at");
    let body = fake.ok(&path).await;
    let tasks = body["data"].as_array().expect("a list");
    assert!(
        tasks.iter().any(|t| t["gid"] == task.as_str()),
        "modified_at == modified_since is included"
    );
    for t in tasks {
        let at: DateTime<Utc> = t["modified_at"]
            .as_str()
            .expect("modified_at")
            .parse()
            .expect("a timestamp");
        assert!(at >= since);
    }
}
