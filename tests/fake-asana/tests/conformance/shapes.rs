//! Route by route: default bodies and bodies with a wide `opt_fields`
//! validate against the spec; lists default to the compact records and
//! single GETs to the full record minus the opt-in fields.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    common::{Fake, keys, seed, set},
    schema::{check, check_error, check_items, default_fields, wide_opt_fields},
};

const TASK_NESTED: &[&str] = &[
    "assignee.name",
    "assignee.email",
    "memberships.(project|section).name",
    "custom_fields.name",
    "custom_fields.display_value",
    "custom_fields.enum_value.name",
    "custom_fields.multi_enum_values.name",
    "custom_fields.date_value",
    "custom_fields.people_value.name",
    "custom_fields.resource_subtype",
    "custom_fields.number_value",
    "custom_fields.text_value",
    "tags.name",
    "parent.name",
    "workspace.name",
    "projects.name",
];

/// Fields a default single GET may leave out: conditional ones (approval
/// tasks only, the assignee's own view, OAuth-only, newer custom types).
const TASK_CONDITIONAL: &[&str] = &[
    "approval_status",
    "assignee_section",
    "external",
    "custom_type",
    "custom_type_status_option",
    "actual_time_minutes",
    "assigned_by",
];

fn items(body: &Value) -> &[Value] {
    body["data"].as_array().map(Vec::as_slice).expect("a list")
}

/// A default list: valid, and every item exactly the compact record.
async fn check_default_list(fake: &Fake, path: &str, operation: &str, compact: &str) -> Vec<Value> {
    let body = fake.ok(path).await;
    check(operation, &body);
    assert!(
        body.get("next_page").is_none(),
        "{path}: no limit, no next_page"
    );
    let expected = default_fields(compact);
    for item in items(&body) {
        assert_eq!(keys(item), expected, "{path}: {item}");
    }
    items(&body).to_vec()
}

/// A wide list: valid against the operation and, item by item, against the
/// full component; with `limit`, `next_page` is there.
async fn check_wide_list(fake: &Fake, path: &str, operation: &str, full: &str, nested: &[&str]) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let path = format!(
        "{path}{sep}limit=100&opt_fields={}",
        wide_opt_fields(full, nested)
    );
    let body = fake.ok(&path).await;
    check(operation, &body);
    assert!(
        body.get("next_page").is_some(),
        "{path}: limit sent, next_page expected"
    );
    check_items(full, items(&body));
}

/// A default single GET: valid, no opt-in field, every default one but the
/// conditional ones.
async fn check_default_single(
    fake: &Fake,
    path: &str,
    operation: &str,
    full: &str,
    conditional: &[&str],
) -> Value {
    let body = fake.ok(path).await;
    check(operation, &body);
    check_items(full, std::slice::from_ref(&body["data"]));
    let got = keys(&body["data"]);
    let (all, opt_in) = crate::schema::fields(full);
    let sent_opt_in: BTreeSet<_> = got.intersection(&opt_in).collect();
    assert!(
        sent_opt_in.is_empty(),
        "{path}: opt-in fields sent by default: {sent_opt_in:?}"
    );
    let allowed: BTreeSet<String> = set(conditional);
    let missing: Vec<_> = default_fields(full)
        .into_iter()
        .filter(|f| !got.contains(f) && !allowed.contains(f))
        .collect();
    assert!(
        missing.is_empty(),
        "{path}: default fields missing: {missing:?}"
    );
    assert!(got.is_subset(&all));
    body
}

async fn check_wide_single(fake: &Fake, path: &str, operation: &str, full: &str, nested: &[&str]) {
    let path = format!("{path}?opt_fields={}", wide_opt_fields(full, nested));
    let body = fake.ok(&path).await;
    check(operation, &body);
    check_items(full, std::slice::from_ref(&body["data"]));
}

#[tokio::test]
async fn users_me_and_workspaces() {
    let fake = seed().await;
    let me = check_default_single(&fake, "/users/me", "getUser", "UserResponse", &[]).await;
    check_wide_single(
        &fake,
        "/users/me",
        "getUser",
        "UserResponse",
        &["workspaces.name"],
    )
    .await;
    let by_gid = fake
        .ok(&format!(
            "/users/{}",
            me["data"]["gid"].as_str().expect("gid")
        ))
        .await;
    assert_eq!(by_gid, me);
    check_default_list(&fake, "/workspaces", "getWorkspaces", "WorkspaceCompact").await;
    check_wide_list(
        &fake,
        "/workspaces",
        "getWorkspaces",
        "WorkspaceResponse",
        &[],
    )
    .await;
}

#[tokio::test]
async fn portfolio_and_its_items() {
    let fake = seed().await;
    let portfolio = format!("/portfolios/{}", fake.fake.portfolio_gid);
    check_default_single(
        &fake,
        &portfolio,
        "getPortfolio",
        "PortfolioResponse",
        &["project_templates"],
    )
    .await;
    check_wide_single(
        &fake,
        &portfolio,
        "getPortfolio",
        "PortfolioResponse",
        &["owner.name"],
    )
    .await;
    let items = check_default_list(
        &fake,
        &format!("{portfolio}/items"),
        "getItemsForPortfolio",
        "ProjectCompact",
    )
    .await;
    assert!(items.iter().any(|i| i["resource_type"] == "project"));
    let wide = format!(
        "{portfolio}/items?opt_fields={}",
        wide_opt_fields("ProjectResponse", &[])
    );
    let body = fake.ok(&wide).await;
    check("getItemsForPortfolio", &body);
}

#[tokio::test]
async fn projects_their_sections_and_tasks() {
    let fake = seed().await;
    let world = fake.world();
    for project in world.portfolios[&world.main_portfolio]
        .items
        .iter()
        .filter(|g| world.projects.contains_key(*g))
    {
        let path = format!("/projects/{project}");
        let conditional = [
            "current_status",
            "current_status_update",
            "icon",
            "project_brief",
            "created_from_template",
        ];
        check_default_single(&fake, &path, "getProject", "ProjectResponse", &conditional).await;
        check_wide_single(
            &fake,
            &path,
            "getProject",
            "ProjectResponse",
            &["team.name", "owner.name"],
        )
        .await;
        let sections = format!("{path}/sections");
        check_default_list(&fake, &sections, "getSectionsForProject", "SectionCompact").await;
        check_wide_list(
            &fake,
            &sections,
            "getSectionsForProject",
            "SectionResponse",
            &["project.name"],
        )
        .await;
        let tasks = format!("{path}/tasks");
        check_default_list(&fake, &tasks, "getTasksForProject", "TaskCompact").await;
        check_wide_list(
            &fake,
            &tasks,
            "getTasksForProject",
            "TaskResponse",
            TASK_NESTED,
        )
        .await;
        let filtered = format!("/tasks?project={project}");
        check_default_list(&fake, &filtered, "getTasks", "TaskCompact").await;
        check_wide_list(&fake, &filtered, "getTasks", "TaskResponse", TASK_NESTED).await;
    }
}

#[tokio::test]
async fn every_task_and_its_subtasks() {
    let fake = seed().await;
    let world = fake.world();
    let live = world.tasks.values().filter(|t| !t.deleted);
    let mut subtasks_seen = 0;
    for task in live {
        let path = format!("/tasks/{}", task.gid);
        check_default_single(&fake, &path, "getTask", "TaskResponse", TASK_CONDITIONAL).await;
        check_wide_single(&fake, &path, "getTask", "TaskResponse", TASK_NESTED).await;
        let subtasks = format!("{path}/subtasks");
        subtasks_seen += check_default_list(&fake, &subtasks, "getSubtasksForTask", "TaskCompact")
            .await
            .len();
        check_wide_list(
            &fake,
            &subtasks,
            "getSubtasksForTask",
            "TaskResponse",
            TASK_NESTED,
        )
        .await;
    }
    assert!(subtasks_seen > 0, "the seed world has subtasks");
}

#[tokio::test]
async fn events_after_the_412() {
    let fake = seed().await;
    let project = fake.project_with_tasks(1);
    let first = fake.get(&format!("/events?resource={project}")).await;
    assert_eq!(first.status, StatusCode::PRECONDITION_FAILED);
    check("getEvents412", &first.body);
    check_error(&first.body);
    let sync = first.body["sync"]
        .as_str()
        .expect("a fresh sync token")
        .to_owned();
    fake.fake.add_task(&project, "an event");
    let task = fake.task_gids(&project)[0].clone();
    fake.fake.delete_task(&task).expect("delete");
    let body = fake
        .ok(&format!("/events?resource={project}&sync={sync}"))
        .await;
    check("getEvents", &body);
    assert!(!items(&body).is_empty());
    check_items("EventResponse", items(&body));
}

#[tokio::test]
async fn error_bodies() {
    let fake = seed().await;
    let cases = [
        ("/tasks/999", StatusCode::NOT_FOUND),
        ("/projects/999", StatusCode::NOT_FOUND),
        ("/nowhere", StatusCode::NOT_FOUND),
        ("/tasks", StatusCode::BAD_REQUEST),
        ("/workspaces?limit=0", StatusCode::BAD_REQUEST),
        ("/events", StatusCode::BAD_REQUEST),
    ];
    for (path, status) in cases {
        let answer = fake.get(path).await;
        assert_eq!(answer.status, status, "{path}: {}", answer.body);
        check_error(&answer.body);
        assert!(
            answer.body["errors"][0].get("phrase").is_none(),
            "phrase is for 500s only"
        );
    }
    let unauthorized = fake.get_as(None, "/users/me").await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    check_error(&unauthorized.body);
    assert_eq!(unauthorized.message(), "Not Authorized");
    let wrong = fake.get_as(Some("not-a-token"), "/users/me").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.headers["content-type"], "application/json");
}
