//! Deletion semantics: a trashed task is 404 and gone from every list (and
//! back after undelete); a task removed from a project stays 200 but leaves
//! that project's lists, memberships and projects.

use reqwest::StatusCode;

use crate::{
    common::{Fake, gids, seed},
    schema::check_error,
};

async fn listed(fake: &Fake, project: &str) -> (Vec<String>, Vec<String>) {
    let by_project = fake.ok(&format!("/projects/{project}/tasks")).await;
    let by_filter = fake.ok(&format!("/tasks?project={project}")).await;
    (
        gids(by_project["data"].as_array().expect("a list")),
        gids(by_filter["data"].as_array().expect("a list")),
    )
}

#[tokio::test]
async fn a_deleted_task_is_404_and_absent_until_undeleted() {
    let fake = seed().await;
    let project = fake.project_with_tasks(3);
    let task = fake.task_gids(&project)[1].clone();
    fake.fake.delete_task(&task).expect("delete");
    let answer = fake.get(&format!("/tasks/{task}")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    check_error(&answer.body);
    assert_eq!(answer.message(), format!("task: Unknown object: {task}"));
    let (a, b) = listed(&fake, &project).await;
    assert!(
        !a.contains(&task) && !b.contains(&task),
        "a trashed task is in no list"
    );
    fake.fake.undelete_task(&task).expect("undelete");
    assert_eq!(
        fake.get(&format!("/tasks/{task}")).await.status,
        StatusCode::OK
    );
    let (a, b) = listed(&fake, &project).await;
    assert_eq!(a[1], task, "back at its rank");
    assert!(b.contains(&task));
}

#[tokio::test]
async fn a_task_removed_from_a_project_stays_200_but_leaves_it() {
    let fake = seed().await;
    let project = fake.project_with_tasks(3);
    let task = fake.task_gids(&project)[0].clone();
    fake.fake
        .remove_task_from_project(&task, &project)
        .expect("remove");
    let path = format!("/tasks/{task}?opt_fields=memberships.project.name,projects.name");
    let data = &fake.ok(&path).await["data"];
    let in_memberships = data["memberships"]
        .as_array()
        .expect("memberships")
        .iter()
        .any(|m| m["project"]["gid"] == project.as_str());
    let in_projects = data["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .any(|p| p["gid"] == project.as_str());
    assert!(!in_memberships && !in_projects, "{data}");
    let (a, b) = listed(&fake, &project).await;
    assert!(!a.contains(&task) && !b.contains(&task));
}
