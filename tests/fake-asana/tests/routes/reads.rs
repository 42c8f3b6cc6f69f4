//! Read routes: users, workspaces, portfolios and their items, project
//! and section lists, paging, and task records in their three forms.

use fake_asana::generate::Preset;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Harness, gids, message};

#[tokio::test]
async fn users_workspaces_and_unknown_routes() {
    let h = Harness::start(Preset::Seed).await;
    let me = h.ok("/users/me").await;
    let world = h.world();
    let owner = &world.portfolios[&world.main_portfolio].owner;
    assert_eq!(&me["data"]["gid"], owner);
    for key in [
        "email",
        "photo",
        "workspaces",
        "custom_fields",
        "resource_type",
        "name",
    ] {
        assert!(me["data"].get(key).is_some(), "user has {key}");
    }
    let email = me["data"]["email"].as_str().unwrap();
    assert_eq!(
        h.ok(&format!("/users/{email}")).await["data"]["gid"],
        *owner
    );
    let ws = h.ok("/workspaces").await;
    assert_eq!(
        ws["data"][0],
        json!({ "gid": world.workspace.gid, "resource_type": "workspace", "name": world.workspace.name })
    );
    let (status, body) = h.get("/nothing/here").await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::NOT_FOUND, "No matching route for request")
    );
    let (status, body) = h.get("/tasks/42").await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::NOT_FOUND, "task: Unknown object: 42")
    );
    let url = format!("{}/tasks/42", h.fake.base_url);
    let post = h
        .http
        .post(url)
        .bearer_auth(&h.fake.token)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn portfolio_items_mix_projects_and_portfolios() {
    let h = Harness::custom().await;
    let p = h.fake.portfolio_gid.clone();
    let items = h.ok(&format!("/portfolios/{p}/items")).await;
    let world = h.world();
    assert_eq!(gids(&items), world.portfolios[&p].items);
    let kinds: Vec<&str> = items["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["resource_type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"project") && kinds.contains(&"portfolio"),
        "{kinds:?}"
    );
    assert_eq!(
        items["data"][0].as_object().unwrap().len(),
        3,
        "compact items: gid, resource_type, name"
    );
    let rich = h
        .ok(&format!(
            "/portfolios/{p}/items?opt_fields=name,archived,owner.name"
        ))
        .await;
    assert!(rich["data"][0].get("archived").is_some());
    let portfolio = h.ok(&format!("/portfolios/{p}")).await;
    assert!(
        portfolio["data"].get("archived").is_none(),
        "archived is opt-in"
    );
    assert!(portfolio["data"]["owner"]["name"].is_string());
    let project = h.project();
    h.fake.remove_project_from_portfolio(&project).unwrap();
    assert!(!gids(&h.ok(&format!("/portfolios/{p}/items")).await).contains(&project));
    h.fake.add_project_to_portfolio(&project).unwrap();
    assert!(gids(&h.ok(&format!("/portfolios/{p}/items")).await).contains(&project));
}

#[tokio::test]
async fn project_lists_follow_rank_and_skip_subtasks() {
    let h = Harness::custom().await;
    let project = h.project();
    let world = h.world();
    let listed = h.ok(&format!("/projects/{project}/tasks")).await;
    assert_eq!(
        gids(&listed),
        world.project_task_gids(&world.projects[&project])
    );
    let first = &listed["data"][0];
    assert_eq!(first.as_object().unwrap().len(), 4, "compact task: {first}");
    assert!(first["resource_subtype"].is_string());
    for gid in gids(&listed) {
        let task = &world.tasks[&gid];
        assert!(task.parent.is_none() || task.memberships.iter().any(|m| m.project == project));
    }
    let parent = world
        .tasks
        .values()
        .find(|t| !t.subtasks.is_empty() && world.live_task(&t.gid).is_some())
        .unwrap();
    let subs = h.ok(&format!("/tasks/{}/subtasks", parent.gid)).await;
    assert_eq!(gids(&subs), world.subtask_gids(parent));
    let sections = h.ok(&format!("/projects/{project}/sections")).await;
    assert_eq!(gids(&sections), world.projects[&project].sections);
    let section = &world.projects[&project].sections[0];
    let in_section = h.ok(&format!("/sections/{section}/tasks")).await;
    assert_eq!(gids(&in_section), world.section_task_gids(section));
}

#[tokio::test]
async fn paging_walks_every_task_once() {
    let h = Harness::custom().await;
    let project = h.project();
    let all = gids(&h.ok(&format!("/projects/{project}/tasks")).await);
    let (mut seen, mut path) = (
        Vec::new(),
        format!("/projects/{project}/tasks?limit=2&opt_fields=name"),
    );
    loop {
        let page = h.ok(&path).await;
        seen.extend(gids(&page));
        match page["next_page"]["path"].as_str() {
            Some(next) => path = next.to_owned(),
            None => break assert!(page["next_page"].is_null()),
        }
    }
    assert_eq!(seen, all);
    let (status, _) = h.get(&format!("/projects/{project}/tasks?limit=101")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn task_records_default_and_projected() {
    let h = Harness::custom().await;
    let world = h.world();
    let sub = world
        .tasks
        .values()
        .find(|t| t.parent.is_some() && world.live_task(&t.gid).is_some())
        .unwrap();
    let body = h.ok(&format!("/tasks/{}", sub.gid)).await;
    let data = &body["data"];
    for opt_in in [
        "html_notes",
        "num_subtasks",
        "dependencies",
        "dependents",
        "created_by",
        "assigned_by",
        "is_rendered_as_separator",
    ] {
        assert!(data.get(opt_in).is_none(), "{opt_in} is opt-in");
    }
    for key in [
        "notes",
        "memberships",
        "custom_fields",
        "workspace",
        "permalink_url",
        "modified_at",
        "parent",
        "tags",
        "followers",
    ] {
        assert!(data.get(key).is_some(), "default has {key}");
    }
    assert_eq!(data["parent"]["gid"], sub.parent.clone().unwrap().as_str());
    let fields = "name,parent.name,workspace.name,assignee.name,memberships.section.name,custom_fields.display_value,custom_fields.enum_value.name,num_subtasks,html_notes";
    let projected = h
        .ok(&format!("/tasks/{}?opt_fields={fields}", sub.gid))
        .await["data"]
        .clone();
    assert_eq!(
        projected["parent"]["name"],
        world.tasks[sub.parent.as_ref().unwrap()].name.as_str()
    );
    assert!(projected["workspace"]["name"].is_string() && projected.get("notes").is_none());
    assert!(
        projected["num_subtasks"].is_number()
            && projected["html_notes"]
                .as_str()
                .unwrap()
                .starts_with("<body>")
    );
    assert!(
        projected.get("resource_type").is_none(),
        "resource_type only when asked"
    );
    let rich = world
        .tasks
        .values()
        .find(|t| t.custom_values.len() >= 6 && world.live_task(&t.gid).is_some())
        .unwrap();
    let cf = h
        .ok(&format!(
            "/tasks/{}?opt_fields=custom_fields.(display_value|resource_subtype|people_value.name)",
            rich.gid
        ))
        .await;
    for (value, field) in cf["data"]["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&rich.custom_values)
    {
        let def = &world.custom_fields[&field.field];
        let expected = fake_asana::render::display_value(&world, def, &field.value);
        assert_eq!(value["display_value"], json!(expected), "{value}");
    }
}
