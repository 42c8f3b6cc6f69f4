//! `/events`: the 412-then-sync flow, bubbling from a sub-subtask to the
//! project, pages of 100, replays, expiry, lost events.

use fake_asana::TaskPatch;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Harness, message};

#[tokio::test]
async fn events_bubble_from_a_sub_subtask_to_the_project() {
    let h = Harness::custom().await;
    let project = h.project();
    let (status, body) = h.get(&format!("/events?resource={project}")).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let token = body["sync"].as_str().unwrap().to_owned();
    assert!(token.len() > 33 && token.contains(':'), "{token}");
    let top = h.fake.add_task(&project, "top");
    let sub = h.fake.add_subtask(&top, "sub");
    let subsub = h.fake.add_subtask(&sub, "subsub");
    h.fake
        .modify_task(&subsub, TaskPatch::name("renamed"))
        .unwrap();
    h.fake.delete_task(&subsub).unwrap();
    let page = h
        .ok(&format!("/events?resource={project}&sync={token}"))
        .await;
    let about_subsub: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["gid"] == subsub.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(about_subsub, ["added", "changed", "deleted"]);
    assert_eq!(page["has_more"], false);
    let changed = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "changed")
        .unwrap();
    assert_eq!(changed["change"]["field"], "name");
    assert_eq!(changed["type"], "task");
    assert!(changed["user"]["gid"].is_string() && changed["created_at"].is_string());
    assert_eq!(
        h.ok(&format!("/events?resource={project}&sync={token}"))
            .await,
        page,
        "replay"
    );
    let next = page["sync"].as_str().unwrap();
    let idle = h
        .ok(&format!(
            "/events?resource={project}&sync={next}&opt_fields=action"
        ))
        .await;
    assert_eq!(idle["data"], json!([]));
    let (status, _) = h.get(&format!("/events?resource={top}")).await;
    assert_eq!(
        status,
        StatusCode::PRECONDITION_FAILED,
        "task streams work too"
    );
    h.fake.expire_sync_tokens();
    let (status, body) = h
        .get(&format!("/events?resource={project}&sync={next}"))
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert!(body["sync"].is_string());
    let (status, body) = h.get("/events").await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::BAD_REQUEST, "resource: Missing input")
    );
    assert_eq!(h.get("/events?resource=42").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn events_page_by_100() {
    let h = Harness::custom().await;
    let project = h.project();
    let token = h.get(&format!("/events?resource={project}")).await.1["sync"]
        .as_str()
        .unwrap()
        .to_owned();
    let gid = h.fake.add_task(&project, "busy");
    for i in 0..120 {
        h.fake
            .modify_task(&gid, TaskPatch::name(format!("n{i}")))
            .unwrap();
    }
    let first = h
        .ok(&format!("/events?resource={project}&sync={token}"))
        .await;
    assert_eq!(
        (first["data"].as_array().unwrap().len(), &first["has_more"]),
        (100, &json!(true))
    );
    let second = h
        .ok(&format!(
            "/events?resource={project}&sync={}",
            first["sync"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (
            second["data"].as_array().unwrap().len(),
            &second["has_more"]
        ),
        (21, &json!(false))
    );
}

#[tokio::test]
async fn dropped_events_never_reach_a_stream() {
    let h = Harness::custom().await;
    let project = h.project();
    let token = h.get(&format!("/events?resource={project}")).await.1["sync"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = h
        .admin(Method::POST, "/events/drop", Some(json!({ "count": 1 })))
        .await;
    assert_eq!(status, StatusCode::OK);
    let lost = h.fake.add_task(&project, "lost");
    let kept = h.fake.add_task(&project, "kept");
    let page = h
        .ok(&format!("/events?resource={project}&sync={token}"))
        .await;
    let seen: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["gid"].as_str().unwrap())
        .collect();
    assert_eq!(seen, [kept.as_str()]);
    assert_eq!(
        h.get(&format!("/tasks/{lost}")).await.0,
        StatusCode::OK,
        "the change itself happened"
    );
}
