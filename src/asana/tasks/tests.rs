//! Tests of the task resources: exact request shape, paging to the end,
//! restart after an expired offset, and tolerant decoding of every field.

use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path, query_param, query_param_is_missing},
};

use super::*;
use crate::asana::{
    Error,
    page::items,
    testing::{Sequence, TOKEN, client_for, server},
};

fn gid(raw: &str) -> Gid {
    raw.parse().unwrap()
}

fn page(gids: &[&str], next: Option<&str>) -> ResponseTemplate {
    let data: Vec<Value> = gids
        .iter()
        .map(|g| json!({"gid": g, "name": format!("task {g}")}))
        .collect();
    let next_page = next.map(|offset| {
        json!({"offset": offset, "path": format!("/tasks?offset={offset}"), "uri": "https://x/tasks"})
    });
    ResponseTemplate::new(200).set_body_json(json!({"data": data, "next_page": next_page}))
}

async fn mount_page(server: &MockServer, offset: Option<&str>, response: ResponseTemplate) {
    let mock = Mock::given(method("GET"))
        .and(path("/api/1.0/tasks"))
        .and(query_param("project", "7"));
    let mock = match offset {
        Some(offset) => mock.and(query_param("offset", offset)),
        None => mock.and(query_param_is_missing("offset")),
    };
    mock.respond_with(response).mount(server).await;
}

fn names(tasks: &[Task]) -> Vec<&str> {
    tasks.iter().map(|t| t.gid.as_str()).collect()
}

#[tokio::test]
async fn project_tasks_sends_limit_100_exact_fields_and_the_token() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/1.0/tasks"))
        .and(query_param("project", "7"))
        .and(query_param("limit", "100"))
        .and(query_param("opt_fields", TASK_FIELDS))
        .and(query_param("modified_since", "2024-05-01T10:00:00.000Z"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(page(&["1"], None))
        .expect(1)
        .mount(&server)
        .await;
    let since = "2024-05-01T10:00:00Z".parse().unwrap();
    let client = client_for(&server);
    let pages: Vec<_> = client
        .project_tasks(&gid("7"), Some(since))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert!(
        TASK_FIELDS
            .split(',')
            .all(|f| !f.is_empty() && !f.ends_with('.'))
    );
}

#[tokio::test]
async fn paging_follows_next_page_to_the_end() {
    let server = server().await;
    mount_page(&server, None, page(&["1", "2"], Some("a"))).await;
    mount_page(&server, Some("a"), page(&["3", "4"], Some("b"))).await;
    mount_page(&server, Some("b"), page(&["5"], None)).await;
    let client = client_for(&server);
    let tasks: Vec<Task> = items(client.project_tasks(&gid("7"), None))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&tasks), ["1", "2", "3", "4", "5"]);
    assert_eq!((client.stats().pages, client.stats().requests), (3, 3));
}

#[tokio::test]
async fn an_expired_offset_restarts_the_listing_without_repeating_items() {
    let server = server().await;
    let expired = ResponseTemplate::new(400).set_body_json(
        json!({"errors": [{"message": "offset: Your pagination token has expired."}]}),
    );
    let first = Sequence::new(vec![
        page(&["1", "2"], Some("a")),
        page(&["1", "2"], Some("b")),
    ]);
    Mock::given(method("GET"))
        .and(path("/api/1.0/tasks"))
        .and(query_param_is_missing("offset"))
        .respond_with(first.clone())
        .expect(2)
        .mount(&server)
        .await;
    mount_page(&server, Some("a"), expired).await;
    mount_page(&server, Some("b"), page(&["2", "3"], None)).await;
    let client = client_for(&server);
    let tasks: Vec<Task> = items(client.project_tasks(&gid("7"), None))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&tasks), ["1", "2", "3"]);
}

#[tokio::test]
async fn an_offset_that_keeps_expiring_fails_the_listing() {
    let server = server().await;
    let expired = ResponseTemplate::new(400).set_body_json(
        json!({"errors": [{"message": "offset: Your pagination token has expired."}]}),
    );
    mount_page(&server, None, page(&["1"], Some("a"))).await;
    mount_page(&server, Some("a"), expired).await;
    let client = client_for(&server);
    let error = client
        .project_tasks(&gid("7"), None)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::TooManyRestarts { restarts: 3, .. }),
        "{error:?}"
    );
    assert_eq!(
        client.stats().requests,
        8,
        "4 first pages + 4 expired offsets"
    );
}

#[tokio::test]
async fn subtasks_and_gid_listing_ask_for_their_fields() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/1.0/tasks/9/subtasks"))
        .and(query_param("limit", "100"))
        .and(query_param("opt_fields", TASK_FIELDS))
        .respond_with(page(&["10"], None))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1.0/tasks"))
        .and(query_param("project", "7"))
        .and(query_param("opt_fields", "gid"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"gid": "1"}], "next_page": null})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);
    let subtasks: Vec<Task> = items(client.subtasks(&gid("9")))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&subtasks), ["10"]);
    let gids: Vec<NamedRef> = items(client.project_task_gids(&gid("7")))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(gids[0].gid.as_str(), "1");
}

#[tokio::test]
async fn a_task_with_every_field_decodes_and_tolerates_drift() {
    let server = server().await;
    let body = json!({"data": {
        "gid": "5", "name": "Ünïcødé ✓", "resource_subtype": "some_future_subtype",
        "notes": "n", "html_notes": "<body>n</body>", "completed": true,
        "completed_at": "2024-02-01T12:00:00.000Z", "due_on": "2024-02-03", "due_at": null,
        "start_on": null, "created_at": "2024-01-01T00:00:00.000Z", "modified_at": "2024-02-01T12:00:00.000Z",
        "assignee": {"gid": "100", "name": "Ada"}, "permalink_url": "https://app.asana.com/1/1/task/5",
        "tags": null, "parent": null, "num_subtasks": 2,
        "memberships": [{"project": {"gid": "7", "name": "Aegis"}, "section": {"gid": "8", "name": "Doing"}},
                        {"project": {"gid": "9", "name": "Other"}}, {"goal": {"gid": "3"}}],
        "custom_fields": [
            {"gid": "c1", "name": "Priority", "resource_subtype": "enum", "display_value": "High",
             "enum_value": {"gid": "e1", "name": "High"}, "enabled": true},
            {"gid": "c2", "resource_subtype": "multi_enum", "multi_enum_values": [{"gid": "e2", "name": "A"}]},
            {"gid": "c3", "resource_subtype": "number", "number_value": 2.5},
            {"gid": "c4", "resource_subtype": "date", "date_value": {"date": "2024-08-23", "date_time": null}},
            {"gid": "c5", "resource_subtype": "people", "people_value": [{"gid": "100", "name": "Ada"}]},
            {"gid": "c6", "resource_subtype": "text", "text_value": null, "display_value": null},
            {"gid": "c7", "resource_subtype": "reference", "reference_value": [{"gid": "1"}]}],
        "workspace": {"gid": "1", "name": "Acme"}, "custom_type": null, "assigned_by": {"gid": "2"}
    }});
    Mock::given(method("GET"))
        .and(path("/api/1.0/tasks/5"))
        .and(query_param("opt_fields", TASK_FIELDS))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let task = client_for(&server).task(&gid("5")).await.unwrap();
    assert_eq!(task.name, "Ünïcødé ✓");
    assert_eq!(task.due_on.unwrap().to_string(), "2024-02-03");
    assert!(task.tags.is_empty());
    assert_eq!(task.memberships.len(), 3);
    assert_eq!(task.memberships[1].section, None);
    assert_eq!(
        task.custom_fields[0]
            .enum_value
            .as_ref()
            .unwrap()
            .name
            .as_deref(),
        Some("High")
    );
    assert_eq!(task.custom_fields[2].number_value, Some(2.5));
    let date = task.custom_fields[3].date_value.as_ref().unwrap();
    assert_eq!(date.date.unwrap().to_string(), "2024-08-23");
    assert_eq!(task.custom_fields[4].people_value.len(), 1);
}
