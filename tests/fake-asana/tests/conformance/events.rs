//! The `/events` sync-token flow: 412 with a fresh token first, then at most
//! 100 events per call with `has_more`, replays answer identically, events
//! bubble up from tasks and subtasks, and expired tokens get a 412 again.

use std::collections::BTreeSet;

use fake_asana::mutate::TaskPatch;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    common::{Fake, seed},
    schema::{check, check_error},
};

/// The fresh token of the 412 every stream starts with.
async fn fresh_token(fake: &Fake, resource: &str) -> String {
    let answer = fake.get(&format!("/events?resource={resource}")).await;
    assert_eq!(
        answer.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        answer.body
    );
    check("getEvents412", &answer.body);
    check_error(&answer.body);
    assert!(
        answer
            .message()
            .starts_with("Sync token invalid or too old.")
    );
    answer.body["sync"]
        .as_str()
        .expect("a fresh sync token")
        .to_owned()
}

async fn poll(fake: &Fake, resource: &str, sync: &str) -> Value {
    let body = fake
        .ok(&format!("/events?resource={resource}&sync={sync}"))
        .await;
    check("getEvents", &body);
    body
}

fn events(body: &Value) -> &[Value] {
    body["data"].as_array().map(Vec::as_slice).expect("a list")
}

#[tokio::test]
async fn first_call_412_then_changes_then_identical_replays() {
    let fake = seed().await;
    let project = fake.project_with_tasks(1);
    let token = fresh_token(&fake, &project).await;
    let (hex, _) = token.split_once(':').expect("<hex>:<n>");
    assert!(
        hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{token}"
    );
    let quiet = poll(&fake, &project, &token).await;
    assert!(events(&quiet).is_empty() && quiet["has_more"] == false);
    let task = fake.fake.add_task(&project, "fresh work");
    let changed = poll(&fake, &project, &token).await;
    let added = events(&changed)
        .iter()
        .find(|e| e["resource"]["gid"] == task.as_str())
        .expect("an event for the task");
    assert_eq!(added["action"], "added");
    assert_eq!(added["parent"]["gid"], project.as_str());
    assert_eq!(
        poll(&fake, &project, &token).await,
        changed,
        "replaying a token answers the same"
    );
    let next = changed["sync"].as_str().expect("next token");
    assert!(events(&poll(&fake, &project, next).await).is_empty());
}

#[tokio::test]
async fn changes_and_subtask_events_bubble_up_to_the_project() {
    let fake = seed().await;
    let project = fake.project_with_tasks(1);
    let task = fake.task_gids(&project)[0].clone();
    let token = fresh_token(&fake, &project).await;
    let patch = TaskPatch {
        name: Some("renamed ✓".to_owned()),
        ..TaskPatch::default()
    };
    fake.fake.modify_task(&task, patch).expect("modify");
    let subtask = fake.fake.add_subtask(&task, "a subtask");
    let body = poll(&fake, &project, &token).await;
    let changed = events(&body)
        .iter()
        .find(|e| e["resource"]["gid"] == task.as_str())
        .expect("the rename");
    assert_eq!(
        (
            changed["action"].as_str(),
            changed["change"]["field"].as_str()
        ),
        (Some("changed"), Some("name"))
    );
    assert!(
        events(&body)
            .iter()
            .any(|e| e["resource"]["gid"] == subtask.as_str()),
        "subtask events bubble up"
    );
}

#[tokio::test]
async fn more_than_100_events_come_in_pages_with_has_more() {
    let fake = seed().await;
    let project = fake.project_with_tasks(1);
    let mut token = fresh_token(&fake, &project).await;
    let added: BTreeSet<String> = (0..105)
        .map(|i| fake.fake.add_task(&project, &format!("bulk {i}")))
        .collect();
    let first = poll(&fake, &project, &token).await;
    assert_eq!(events(&first).len(), 100);
    assert_eq!(first["has_more"], true);
    let mut seen = BTreeSet::new();
    let mut body = first;
    loop {
        assert!(events(&body).len() <= 100);
        seen.extend(
            events(&body)
                .iter()
                .filter(|e| e["action"] == "added")
                .filter_map(|e| e["resource"]["gid"].as_str().map(str::to_owned)),
        );
        token = body["sync"].as_str().expect("next token").to_owned();
        if body["has_more"] == false {
            break;
        }
        body = poll(&fake, &project, &token).await;
    }
    assert!(
        added.is_subset(&seen),
        "every added task is seen once the stream is drained"
    );
}

#[tokio::test]
async fn expired_tokens_get_a_412_with_a_fresh_token() {
    let fake = seed().await;
    let project = fake.project_with_tasks(1);
    let token = fresh_token(&fake, &project).await;
    poll(&fake, &project, &token).await;
    fake.fake.expire_sync_tokens();
    let answer = fake
        .get(&format!("/events?resource={project}&sync={token}"))
        .await;
    assert_eq!(answer.status, StatusCode::PRECONDITION_FAILED);
    let fresh = answer.body["sync"].as_str().expect("a fresh token");
    poll(&fake, &project, fresh).await;
    let unknown = fake
        .get(&format!(
            "/events?resource={project}&sync=0123456789abcdef0123456789abcdef:7"
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn resource_is_required_and_must_exist() {
    let fake = seed().await;
    let missing = fake.get("/events").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.message(), "resource: Missing input");
    assert_eq!(
        fake.get("/events?resource=999").await.status,
        StatusCode::NOT_FOUND
    );
}
