//! Webhook deliveries over HTTP to a receiver on loopback: a task change
//! gives one signed delivery with its compact event, filters hold, batches
//! form within the delay, heartbeats come on the interval, a failing target
//! is retried with backoff and then the webhook is deleted, and lost events
//! are still in `/events`.

use std::time::Duration;

use fake_asana::{
    TaskPatch, WebhookSettings,
    webhooks::{DeliveryKind, WebhookView},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    harness::Harness,
    receiver::{Receiver, hmac_hex},
    webhooks::established,
};

/// Waits (20 s at most) for `check` to find something in the fake's view.
async fn wait_for<T>(h: &Harness, check: impl FnMut(&WebhookView) -> Option<T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), h.fake.wait_for_webhooks(check))
        .await
        .expect("the awaited webhook state within 20 s")
}

#[tokio::test]
async fn a_task_change_is_one_signed_delivery_of_its_compact_event() {
    let h = Harness::custom().await;
    let project = h.project();
    let task = h.world().projects[&project].task_order[0].clone();
    let mut receiver = Receiver::ok().await;
    let (gid, secret) = established(&h, &project, &receiver.url, json!([])).await;
    h.fake
        .modify_task(&task, TaskPatch::name("renamed"))
        .unwrap();
    let delivery = receiver.next_events().await;
    assert_eq!(
        delivery.signature().unwrap(),
        hmac_hex(&secret, &delivery.body)
    );
    let events = delivery.events();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    let subtype = h.world().tasks[&task].resource_subtype.clone();
    assert_eq!(event["action"], "changed");
    assert_eq!(
        event["resource"],
        json!({ "gid": task, "resource_type": "task", "resource_subtype": subtype })
    );
    assert_eq!(event["parent"], Value::Null);
    assert_eq!(
        event["change"],
        json!({ "field": "name", "action": "changed" })
    );
    assert_eq!(event["user"]["resource_type"], "user");
    assert!(event["user"].get("name").is_none(), "compact user: {event}");
    assert!(event.get("type").is_none());
    let record = wait_for(&h, |v| {
        let w = v.webhook(&gid)?;
        let delivered = v
            .deliveries_of(&gid)
            .any(|d| d.kind == DeliveryKind::Events && d.ok);
        delivered.then(|| w.clone())
    })
    .await;
    assert!(record.last_success_at.is_some());
    assert_eq!(record.delivery_retry_count, 0);
}

#[tokio::test]
async fn filters_pass_only_matching_events() {
    let h = Harness::custom().await;
    let project = h.project();
    let task = h.world().projects[&project].task_order[0].clone();
    let mut receiver = Receiver::ok().await;
    let filters = json!([
        { "resource_type": "task", "action": "added" },
        { "resource_type": "task", "action": "changed", "fields": ["completed"] },
    ]);
    established(&h, &project, &receiver.url, filters).await;
    h.fake
        .modify_task(&task, TaskPatch::name("not delivered"))
        .unwrap();
    let added = h.fake.add_task(&project, "delivered");
    let first = receiver.next_events().await.events();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(
        (
            first[0]["action"].as_str(),
            first[0]["resource"]["gid"].as_str()
        ),
        (Some("added"), Some(added.as_str()))
    );
    let patch = TaskPatch {
        completed: Some(true),
        ..TaskPatch::default()
    };
    h.fake.modify_task(&task, patch).unwrap();
    let second = receiver.next_events().await.events();
    assert_eq!(second[0]["change"]["field"], "completed");
}

#[tokio::test]
async fn events_within_the_delay_share_one_delivery() {
    let h = Harness::custom().await;
    let project = h.project();
    let mut receiver = Receiver::ok().await;
    h.fake
        .update_webhook_settings(|s| s.delivery_delay = Duration::from_secs(2));
    established(&h, &project, &receiver.url, json!([{ "action": "added" }])).await;
    let a = h.fake.add_task(&project, "a");
    let b = h.fake.add_task(&project, "b");
    let batch = receiver.next_events().await.events();
    let gids: Vec<&str> = batch
        .iter()
        .filter_map(|e| e["resource"]["gid"].as_str())
        .collect();
    assert_eq!(gids, [a.as_str(), b.as_str()]);
}

#[tokio::test]
async fn heartbeats_come_at_establishment_and_on_the_interval() {
    let h = Harness::custom().await;
    let project = h.project();
    let mut receiver = Receiver::ok().await;
    h.fake
        .update_webhook_settings(|s| s.heartbeat_interval = Duration::from_millis(50));
    let (_, secret) = established(&h, &project, &receiver.url, json!([])).await;
    for _ in 0..3 {
        let beat = receiver.next_where(|r| r.secret().is_none()).await;
        assert_eq!(beat.json(), json!({ "events": [] }));
        assert_eq!(beat.signature().unwrap(), hmac_hex(&secret, &beat.body));
    }
}

#[tokio::test]
async fn a_failing_target_is_retried_with_backoff_then_the_webhook_is_deleted() {
    let h = Harness::custom().await;
    let project = h.project();
    let receiver = Receiver::ok().await;
    receiver.set_status(500);
    h.fake.set_webhook_settings(WebhookSettings {
        retry_base: Duration::from_millis(20),
        retry_max: Duration::from_millis(80),
        failure_window: Duration::from_millis(1_500),
        ..WebhookSettings::default()
    });
    let (gid, _) = established(&h, &project, &receiver.url, json!([])).await;
    let failing = wait_for(&h, |v| {
        v.webhook(&gid)
            .filter(|w| w.delivery_retry_count >= 1)
            .cloned()
    })
    .await;
    assert!(
        failing
            .last_failure_content
            .as_deref()
            .unwrap()
            .starts_with("500 Internal Server Error")
    );
    assert!(failing.last_failure_at.is_some() && failing.next_attempt_after.is_some());
    assert!(failing.failure_deletion_timestamp > failing.last_failure_at);
    let removed = wait_for(&h, |v| {
        v.removed.iter().find(|r| r.webhook.gid == gid).cloned()
    })
    .await;
    assert_eq!(removed.reason, "failure_window");
    let view = h.fake.webhooks();
    let attempts: Vec<_> = view.deliveries_of(&gid).collect();
    assert!(attempts.len() >= 5, "{attempts:?}");
    assert!(attempts.iter().all(|d| !d.ok && d.status == Some(500)));
    let numbers: Vec<u32> = attempts.iter().map(|d| d.attempt).collect();
    assert_eq!(numbers, (0..attempts.len() as u32).collect::<Vec<_>>());
    let backoff: Vec<Option<u64>> = attempts.iter().take(4).map(|d| d.retry_in_ms).collect();
    assert_eq!(backoff, [Some(20), Some(40), Some(80), Some(80)]);
    assert_eq!(
        attempts.last().unwrap().retry_in_ms,
        None,
        "the last failure deleted it"
    );
    let (status, _) = h.get(&format!("/webhooks/{gid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_target_that_recovers_resets_the_streak() {
    let h = Harness::custom().await;
    let project = h.project();
    let receiver = Receiver::ok().await;
    receiver.set_status(503);
    h.fake
        .update_webhook_settings(|s| s.retry_base = Duration::from_millis(20));
    let (gid, _) = established(&h, &project, &receiver.url, json!([])).await;
    wait_for(&h, |v| {
        v.webhook(&gid)
            .filter(|w| w.delivery_retry_count >= 2)
            .map(|_| ())
    })
    .await;
    receiver.set_status(204);
    let healthy = wait_for(&h, |v| {
        v.webhook(&gid)
            .filter(|w| w.last_success_at.is_some())
            .cloned()
    })
    .await;
    assert_eq!(healthy.delivery_retry_count, 0);
    assert_eq!(healthy.failure_deletion_timestamp, None);
    assert_eq!(healthy.next_attempt_after, None);
    assert!(
        healthy.last_failure_at.is_some(),
        "the last failure is still shown"
    );
}

#[tokio::test]
async fn lost_events_are_never_delivered_but_events_still_has_them() {
    let h = Harness::custom().await;
    let project = h.project();
    let (status, body) = h.get(&format!("/events?resource={project}")).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let sync = body["sync"].as_str().unwrap().to_owned();
    let receiver = Receiver::ok().await;
    h.fake.update_webhook_settings(|s| s.loss_fraction = 1.0);
    let (gid, _) = established(&h, &project, &receiver.url, json!([])).await;
    let task = h.fake.add_task(&project, "lost");
    let lost = wait_for(&h, |v| v.lost.iter().find(|l| l.webhook == gid).cloned()).await;
    assert_eq!(lost.event["resource"]["gid"], task.as_str());
    let view = h.fake.webhooks();
    assert!(
        view.deliveries_of(&gid)
            .all(|d| d.kind != DeliveryKind::Events)
    );
    let page = h
        .ok(&format!("/events?resource={project}&sync={sync}"))
        .await;
    assert!(
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["resource"]["gid"] == task.as_str())
    );
}
