//! Asana's semantics: `GET /tasks` filter validation, `completed_since`,
//! inclusive `modified_since`, deletion, removal, section moves.

use fake_asana::TaskPatch;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Harness, gids, message};

#[tokio::test]
async fn get_tasks_validates_its_filters() {
    let h = Harness::custom().await;
    let ws = h.world().workspace.gid;
    let (status, body) = h.get("/tasks").await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::BAD_REQUEST, "workspace: Missing input")
    );
    let (status, _) = h.get("/tasks?assignee=me").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.get(&format!("/tasks?workspace={ws}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mine = h
        .ok(&format!(
            "/tasks?assignee=me&workspace={ws}&opt_fields=assignee"
        ))
        .await;
    let me = h.ok("/users/me").await["data"]["gid"].clone();
    assert!(
        mine["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["assignee"]["gid"] == me)
    );
    let project = h.project();
    let by_project = h.ok(&format!("/tasks?project={project}")).await;
    assert_eq!(
        gids(&by_project),
        gids(&h.ok(&format!("/projects/{project}/tasks")).await)
    );
}

#[tokio::test]
async fn completed_since_and_modified_since() {
    let h = Harness::custom().await;
    let project = h.project();
    let world = h.world();
    let open = gids(
        &h.ok(&format!("/projects/{project}/tasks?completed_since=now"))
            .await,
    );
    let expected: Vec<String> = world
        .project_task_gids(&world.projects[&project])
        .into_iter()
        .filter(|g| !world.tasks[g].completed)
        .collect();
    assert_eq!(open, expected);
    let target = expected[0].clone();
    h.fake
        .modify_task(&target, TaskPatch::completed(true))
        .unwrap();
    let done = h
        .ok(&format!(
            "/tasks/{target}?opt_fields=completed_at,modified_at"
        ))
        .await;
    let at = done["data"]["modified_at"].as_str().unwrap().to_owned();
    assert_eq!(done["data"]["completed_at"], at.as_str());
    let since = gids(
        &h.ok(&format!("/tasks?project={project}&modified_since={at}"))
            .await,
    );
    assert_eq!(since, vec![target.clone()], "modified_since is inclusive");
    let later =
        chrono::DateTime::parse_from_rfc3339(&at).unwrap() + chrono::Duration::milliseconds(1);
    let later = later.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert!(
        gids(
            &h.ok(&format!("/tasks?project={project}&modified_since={later}"))
                .await
        )
        .is_empty()
    );
    let recent = gids(
        &h.ok(&format!("/projects/{project}/tasks?completed_since={at}"))
            .await,
    );
    assert!(recent.contains(&target));
    assert!(
        !gids(
            &h.ok(&format!("/projects/{project}/tasks?completed_since=now"))
                .await
        )
        .contains(&target)
    );
}

#[tokio::test]
async fn deletion_and_removal_semantics() {
    let h = Harness::custom().await;
    let project = h.project();
    let gid = h.fake.add_task(&project, "doomed");
    let listed = || async { gids(&h.ok(&format!("/projects/{project}/tasks")).await) };
    assert_eq!(listed().await.last(), Some(&gid));
    h.fake.delete_task(&gid).unwrap();
    let (status, body) = h.get(&format!("/tasks/{gid}")).await;
    assert_eq!(
        (status, message(&body).to_owned()),
        (
            StatusCode::NOT_FOUND,
            format!("task: Unknown object: {gid}")
        )
    );
    assert!(!listed().await.contains(&gid));
    h.fake.undelete_task(&gid).unwrap();
    assert!(listed().await.contains(&gid));
    h.fake.remove_task_from_project(&gid, &project).unwrap();
    let task = h
        .ok(&format!(
            "/tasks/{gid}?opt_fields=memberships.project.name,projects"
        ))
        .await;
    assert_eq!(task["data"]["memberships"], json!([]));
    assert_eq!(task["data"]["projects"], json!([]));
    assert!(!listed().await.contains(&gid));
    assert!(!gids(&h.ok(&format!("/tasks?project={project}")).await).contains(&gid));
}

#[tokio::test]
async fn section_moves_and_project_deletion() {
    let h = Harness::custom().await;
    let project = h.project();
    let world = h.world();
    let sections = world.projects[&project].sections.clone();
    assert!(sections.len() >= 2, "the generator makes several sections");
    let task = world.project_task_gids(&world.projects[&project])[0].clone();
    let before =
        h.ok(&format!("/tasks/{task}?opt_fields=modified_at")).await["data"]["modified_at"].clone();
    let target = &sections[1];
    let (status, _) = h
        .admin(
            Method::POST,
            &format!("/tasks/{task}/section/{target}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(gids(&h.ok(&format!("/sections/{target}/tasks")).await).contains(&task));
    let moved = h
        .ok(&format!(
            "/tasks/{task}?opt_fields=memberships.section.name,modified_at"
        ))
        .await;
    assert_eq!(
        moved["data"]["memberships"][0]["section"]["gid"],
        target.as_str()
    );
    assert_eq!(
        moved["data"]["modified_at"], before,
        "a move does not bump modified_at"
    );
    let (status, _) = h
        .admin(Method::DELETE, &format!("/projects/{project}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        h.get(&format!("/projects/{project}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.get(&format!("/projects/{project}/tasks")).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(
        !gids(
            &h.ok(&format!("/portfolios/{}/items", h.fake.portfolio_gid))
                .await
        )
        .contains(&project)
    );
    let orphan = h
        .ok(&format!(
            "/tasks/{task}?opt_fields=memberships.project.name"
        ))
        .await;
    assert!(
        orphan["data"]["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["project"]["gid"] != project.as_str())
    );
}
