//! `/webhooks` over HTTP: the handshake (accepted, refused, unreachable),
//! the record's documented fields, validation and limits, listing with
//! paging, filter updates, and deletion by the API and "by Asana".

use fake_asana::webhooks::{DeliveryKind, HANDSHAKE_FAILED, NO_SECRET_ECHOED};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    harness::{Harness, gids, message},
    receiver::{Behaviour, Receiver, hmac_hex},
};

/// Every field of `WebhookResponse`.
const FIELDS: [&str; 13] = [
    "gid",
    "resource_type",
    "active",
    "resource",
    "target",
    "created_at",
    "last_success_at",
    "last_failure_at",
    "last_failure_content",
    "delivery_retry_count",
    "next_attempt_after",
    "failure_deletion_timestamp",
    "filters",
];

pub async fn create(
    h: &Harness,
    resource: &str,
    target: &str,
    filters: Value,
) -> (StatusCode, Value) {
    let body = json!({ "data": { "resource": resource, "target": target, "filters": filters } });
    h.call(Method::POST, "/webhooks", Some(body)).await
}

/// Creates a webhook that must succeed; its gid and secret.
pub async fn established(
    h: &Harness,
    resource: &str,
    target: &str,
    filters: Value,
) -> (String, String) {
    let (status, body) = create(h, resource, target, filters).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let gid = body["data"]["gid"].as_str().unwrap().to_owned();
    (gid, body["X-Hook-Secret"].as_str().unwrap().to_owned())
}

fn assert_documented(record: &Value) {
    for field in FIELDS {
        assert!(record.get(field).is_some(), "{field} missing from {record}");
    }
    assert_eq!(record["resource_type"], "webhook");
}

#[tokio::test]
async fn the_handshake_echo_establishes_a_webhook_and_a_signed_heartbeat_follows() {
    let h = Harness::custom().await;
    let project = h.project();
    let mut receiver = Receiver::ok().await;
    let (status, body) = create(&h, &project, &receiver.url, json!([])).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let handshake = receiver.next().await;
    let secret = handshake.secret().expect("X-Hook-Secret").to_owned();
    assert!(handshake.body.is_empty());
    assert_eq!(secret.len(), 64);
    assert_eq!(body["X-Hook-Secret"], secret.as_str());
    let record = &body["data"];
    assert_documented(record);
    assert_eq!(record["active"], true);
    assert_eq!(record["target"], receiver.url.as_str());
    assert_eq!(record["resource"]["gid"], project.as_str());
    assert_eq!(record["resource"]["resource_type"], "project");
    assert_eq!(record["last_success_at"], Value::Null);
    let heartbeat = receiver.next().await;
    assert!(
        heartbeat.events().is_empty(),
        "a heartbeat at establishment"
    );
    assert_eq!(heartbeat.json(), json!({ "events": [] }));
    let signature = heartbeat.signature().expect("X-Hook-Signature");
    assert_eq!(signature, hmac_hex(&secret, &heartbeat.body));
    let gid = record["gid"].as_str().unwrap();
    let fetched = h.ok(&format!("/webhooks/{gid}")).await;
    assert_documented(&fetched["data"]);
}

#[tokio::test]
async fn a_refused_or_unreachable_handshake_fails_and_stores_nothing() {
    let h = Harness::custom().await;
    let project = h.project();
    let mut silent = Receiver::start(Behaviour {
        echo: false,
        status: 200,
    })
    .await;
    let (status, body) = create(&h, &project, &silent.url, json!([])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(message(&body), NO_SECRET_ECHOED);
    assert!(
        silent.next().await.secret().is_some(),
        "the handshake was made"
    );
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", listener.local_addr().unwrap())
    };
    let (status, body) = create(&h, &project, &closed, json!([])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(message(&body), HANDSHAKE_FAILED);
    let workspace = h.world().workspace.gid;
    let listed = h.ok(&format!("/webhooks?workspace={workspace}")).await;
    assert!(gids(&listed).is_empty());
    let view = h.fake.webhooks();
    assert!(view.webhooks.is_empty());
    let handshakes: Vec<bool> = view.deliveries.iter().map(|d| d.ok).collect();
    assert_eq!(handshakes, [false, false]);
    assert!(
        view.deliveries
            .iter()
            .all(|d| d.kind == DeliveryKind::Handshake)
    );
}

#[tokio::test]
async fn bad_requests_unknown_resources_and_limits_are_refused() {
    let h = Harness::custom().await;
    let project = h.project();
    let receiver = Receiver::ok().await;
    let no_target = json!({ "data": { "resource": project } });
    let (status, body) = h.call(Method::POST, "/webhooks", Some(no_target)).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::BAD_REQUEST, "target: Missing input")
    );
    let (status, _) = create(&h, "999", &receiver.url, json!([])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let fields_on_added =
        json!([{ "resource_type": "task", "action": "added", "fields": ["name"] }]);
    let (status, _) = create(&h, &project, &receiver.url, fields_on_added).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = h.get("/webhooks").await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::BAD_REQUEST, "workspace: Missing input")
    );
    h.fake.update_webhook_settings(|s| s.max_per_resource = 1);
    established(&h, &project, &receiver.url, json!([])).await;
    let (status, body) = create(&h, &project, &receiver.url, json!([])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = h.get("/webhooks/424242").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_list_is_paged_filtered_by_resource_and_shows_every_field() {
    let h = Harness::custom().await;
    let world = h.world();
    let projects: Vec<String> = world.projects.keys().take(2).cloned().collect();
    let receiver = Receiver::ok().await;
    let (first, _) = established(&h, &projects[0], &receiver.url, json!([])).await;
    let (second, _) = established(&h, &projects[1], &receiver.url, json!([])).await;
    let workspace = &world.workspace.gid;
    let all = h.ok(&format!("/webhooks?workspace={workspace}")).await;
    assert_eq!(gids(&all), [first.clone(), second.clone()]);
    all["data"]
        .as_array()
        .unwrap()
        .iter()
        .for_each(assert_documented);
    let one = h
        .ok(&format!(
            "/webhooks?workspace={workspace}&resource={}",
            projects[1]
        ))
        .await;
    assert_eq!(gids(&one), std::slice::from_ref(&second));
    let page = h
        .ok(&format!("/webhooks?workspace={workspace}&limit=1"))
        .await;
    assert_eq!(gids(&page), [first]);
    let offset = page["next_page"]["offset"].as_str().unwrap();
    let next = h
        .ok(&format!(
            "/webhooks?workspace={workspace}&limit=1&offset={offset}"
        ))
        .await;
    assert_eq!(gids(&next), [second]);
    assert_eq!(next["next_page"], Value::Null);
    let narrow = h
        .ok(&format!(
            "/webhooks?workspace={workspace}&opt_fields=target"
        ))
        .await;
    assert_eq!(
        narrow["data"][0],
        json!({ "gid": gids(&all)[0], "target": receiver.url })
    );
}

#[tokio::test]
async fn put_replaces_the_filters() {
    let h = Harness::custom().await;
    let project = h.project();
    let receiver = Receiver::ok().await;
    let (gid, _) = established(&h, &project, &receiver.url, json!([{ "action": "added" }])).await;
    let filters = json!([{ "resource_type": "task", "action": "changed", "fields": ["name"] }]);
    let body = json!({ "data": { "filters": filters } });
    let (status, body) = h
        .call(Method::PUT, &format!("/webhooks/{gid}"), Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["filters"], filters);
    assert_eq!(h.fake.webhook(&gid).unwrap().filters.len(), 1);
}

#[tokio::test]
async fn delete_answers_empty_data_and_stops_deliveries() {
    let h = Harness::custom().await;
    let project = h.project();
    let mut gone = Receiver::ok().await;
    let mut sentinel = Receiver::ok().await;
    let (gid, _) = established(&h, &project, &gone.url, json!([])).await;
    let (by_asana, _) = established(&h, &project, &gone.url, json!([])).await;
    established(&h, &project, &sentinel.url, json!([])).await;
    let (status, body) = h
        .call(Method::DELETE, &format!("/webhooks/{gid}"), None)
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "data": {} })));
    let (status, _) = h
        .admin(Method::DELETE, &format!("/webhooks/{by_asana}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    for deleted in [&gid, &by_asana] {
        let (status, _) = h.get(&format!("/webhooks/{deleted}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let task = h.fake.add_task(&project, "after the deletion");
    let delivered = sentinel.next_events().await;
    assert_eq!(delivered.events()[0]["resource"]["gid"], task.as_str());
    let late = gone.drain();
    assert!(
        late.iter()
            .all(|r| r.secret().is_some() || r.events().is_empty())
    );
    let view = h.fake.webhooks();
    let reasons: Vec<&str> = view.removed.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons, ["api", "admin"]);
    assert!(
        view.deliveries_of(&gid)
            .all(|d| d.kind != DeliveryKind::Events)
    );
}

#[tokio::test]
async fn the_admin_api_sets_settings_and_counts_deliveries() {
    let h = Harness::custom().await;
    let project = h.project();
    let receiver = Receiver::ok().await;
    let change = json!({ "heartbeat_interval": 1_000, "loss_fraction": 0.25 });
    let (status, body) = h
        .admin(Method::PUT, "/webhooks/settings", Some(change))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["delivery_timeout"], 10_000, "other keys kept");
    let settings = h.fake.webhook_settings();
    assert_eq!(settings.heartbeat_interval.as_millis(), 1_000);
    assert!((settings.loss_fraction - 0.25).abs() < f64::EPSILON);
    let (status, _) = h
        .admin(
            Method::PUT,
            "/webhooks/settings",
            Some(json!({ "bogus": 1 })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (gid, _) = established(&h, &project, &receiver.url, json!([])).await;
    let first = h
        .fake
        .wait_for_webhooks(|v| v.deliveries_of(&gid).next().map(|_| ()));
    tokio::time::timeout(std::time::Duration::from_secs(20), first)
        .await
        .expect("the heartbeat within 20 s");
    let path = format!("/webhooks/deliveries?webhook={gid}");
    let (_, body) = h.admin(Method::GET, &path, None).await;
    assert_eq!(body["data"]["count"], 1);
    assert_eq!(body["data"]["last_status"], 200);
    assert_eq!(body["data"]["deliveries"][0]["kind"], "heartbeat");
    let (_, all) = h.admin(Method::GET, "/webhooks", None).await;
    assert_eq!(all["data"]["webhooks"][0]["gid"], gid.as_str());
    assert_eq!(
        all["data"]["webhooks"][0]["secret"].as_str().unwrap().len(),
        64
    );
}
