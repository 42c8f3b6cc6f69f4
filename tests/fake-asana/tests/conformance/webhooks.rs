//! The webhook routes' bodies against the spec: `createWebhook` (201 with
//! `X-Hook-Secret`), `getWebhooks` (items strict against
//! `WebhookResponse`), `getWebhook` healthy and failing, `updateWebhook`,
//! `deleteWebhook`, the 400 of a refused handshake, and the events a
//! delivery carries (strict against `EventResponse`).

use std::time::Duration;

use fake_asana::TaskPatch;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    common::seed,
    receiver::{Behaviour, Receiver},
    schema::{check, check_error, check_items},
};

#[tokio::test]
async fn every_webhook_route_answers_the_spec_shape() {
    let f = seed().await;
    let project = f.project_with_tasks(1);
    let workspace = f.world().workspace.gid;
    let mut receiver = Receiver::ok().await;
    let filters = json!([{ "resource_type": "task", "action": "changed", "fields": ["name"] }]);
    let body =
        json!({ "data": { "resource": project, "target": receiver.url, "filters": filters } });
    let created = f.send(Method::POST, "/webhooks", Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    check("createWebhook", &created.body);
    let gid = created.body["data"]["gid"].as_str().unwrap().to_owned();
    let listed = f.ok(&format!("/webhooks?workspace={workspace}")).await;
    check("getWebhooks", &listed);
    check_items("WebhookResponse", listed["data"].as_array().unwrap());
    check("getWebhook", &f.ok(&format!("/webhooks/{gid}")).await);
    let update =
        json!({ "data": { "filters": [{ "resource_type": "task", "action": "changed" }] } });
    let updated = f
        .send(Method::PUT, &format!("/webhooks/{gid}"), Some(update))
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    check("updateWebhook", &updated.body);
    let task = f.task_gids(&project)[0].clone();
    f.fake
        .modify_task(&task, TaskPatch::name("renamed"))
        .unwrap();
    let events = receiver.next_events().await.events();
    check_items("EventResponse", &events);
    let deleted = f
        .send(Method::DELETE, &format!("/webhooks/{gid}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    check("deleteWebhook", &deleted.body);
}

#[tokio::test]
async fn a_failing_webhook_and_a_refused_handshake_match_the_spec() {
    let f = seed().await;
    let project = f.project_with_tasks(1);
    let receiver = Receiver::ok().await;
    receiver.set_status(500);
    f.fake
        .update_webhook_settings(|s| s.retry_base = Duration::from_millis(20));
    let body = json!({ "data": { "resource": project, "target": receiver.url } });
    let created = f.send(Method::POST, "/webhooks", Some(body)).await;
    let gid = created.body["data"]["gid"].as_str().unwrap().to_owned();
    let wait = f.fake.wait_for_webhooks(|v| {
        v.webhook(&gid)
            .filter(|w| w.delivery_retry_count >= 1)
            .map(|_| ())
    });
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .expect("a failure within 20 s");
    let failing = f.ok(&format!("/webhooks/{gid}")).await;
    check("getWebhook", &failing);
    for field in [
        "last_failure_at",
        "last_failure_content",
        "next_attempt_after",
        "failure_deletion_timestamp",
    ] {
        assert_ne!(failing["data"][field], Value::Null, "{field}");
    }
    let silent = Receiver::start(Behaviour {
        echo: false,
        status: 200,
    })
    .await;
    let body = json!({ "data": { "resource": project, "target": silent.url } });
    let refused = f.send(Method::POST, "/webhooks", Some(body)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    check_error(&refused.body);
}
