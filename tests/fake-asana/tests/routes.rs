//! The fake's routes over HTTP: shapes and Asana semantics (filters,
//! `completed_since=now`, inclusive `modified_since`, deletion and removal,
//! subtasks, nested portfolio items, bubbling events) and the control API.

use fake_asana::{Config, FakeAsana, NewTask, TaskPatch, generate::Preset, world::World};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

struct Harness {
    fake: FakeAsana,
    http: Client,
}

impl Harness {
    async fn start(preset: Preset) -> Harness {
        let fake = FakeAsana::spawn(Config {
            preset,
            ..Config::default()
        })
        .await
        .expect("spawn the fake");
        Harness {
            fake,
            http: Client::new(),
        }
    }

    async fn custom() -> Harness {
        Harness::start(Preset::Custom {
            projects: 3,
            tasks_per_project: 6,
        })
        .await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.fake.base_url);
        let response = self
            .http
            .get(url)
            .bearer_auth(&self.fake.token)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }

    async fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.fake.admin_url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("admin request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    fn world(&self) -> World {
        self.fake.snapshot()
    }

    /// The first project of the portfolio.
    fn project(&self) -> String {
        let world = self.world();
        world.portfolios[&world.main_portfolio]
            .items
            .iter()
            .find(|g| world.projects.contains_key(*g))
            .unwrap()
            .clone()
    }
}

fn gids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v["gid"].as_str().unwrap().to_owned())
        .collect()
}

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

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
async fn control_api_over_http() {
    let h = Harness::custom().await;
    let project = h.project();
    let (status, created) = h
        .admin(
            Method::POST,
            "/tasks",
            Some(json!({ "project": project, "name": "via http", "notes": "n" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let gid = created["data"]["gid"].as_str().unwrap().to_owned();
    let patch = json!({ "name": "patched", "completed": true, "due_on": "2026-03-01" });
    assert_eq!(
        h.admin(Method::PATCH, &format!("/tasks/{gid}"), Some(patch))
            .await
            .0,
        StatusCode::OK
    );
    let task = h.ok(&format!("/tasks/{gid}")).await;
    assert_eq!(
        (
            task["data"]["name"].as_str(),
            task["data"]["due_on"].as_str()
        ),
        (Some("patched"), Some("2026-03-01"))
    );
    assert_eq!(
        h.admin(
            Method::DELETE,
            &format!("/tasks/{gid}/projects/{project}"),
            None
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        h.admin(Method::DELETE, &format!("/tasks/{gid}"), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        h.get(&format!("/tasks/{gid}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.admin(Method::POST, &format!("/tasks/{gid}/undelete"), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        h.admin(Method::DELETE, "/tasks/42", None).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, made) = h
        .admin(
            Method::POST,
            "/projects",
            Some(json!({ "name": "Fresh", "tasks": 3 })),
        )
        .await;
    let fresh = made["data"]["gid"].as_str().unwrap().to_owned();
    assert_eq!(
        gids(&h.ok(&format!("/projects/{fresh}/tasks")).await).len(),
        3
    );
    h.admin(
        Method::POST,
        &format!("/projects/{fresh}/archive"),
        Some(json!({ "archived": true })),
    )
    .await;
    assert_eq!(
        h.ok(&format!("/projects/{fresh}?opt_fields=archived"))
            .await["data"]["archived"],
        true
    );
    let fault = json!({ "route": "/users/me", "kind": "server_error", "times": 1 });
    assert_eq!(
        h.admin(Method::POST, "/faults", Some(fault)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        h.get("/users/me").await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(h.get("/users/me").await.0, StatusCode::OK);
    let (_, stats) = h.admin(Method::GET, "/stats", None).await;
    assert!(stats["data"]["total_requests"].as_u64().unwrap() > 5);
    let (_, log) = h.admin(Method::GET, "/requests", None).await;
    assert!(
        log["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == 500)
    );
    let (_, world) = h.admin(Method::GET, "/world", None).await;
    assert!(world["data"]["tasks"].as_u64().unwrap() >= 18, "{world}");
    let (_, events) = h.admin(Method::GET, "/world/events", None).await;
    assert!(events["data"].as_array().unwrap().len() >= 8);
    h.admin(
        Method::POST,
        "/tokens/revoke",
        Some(json!({ "token": h.fake.token })),
    )
    .await;
    assert_eq!(h.get("/users/me").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn create_task_with_every_option() {
    let h = Harness::custom().await;
    let project = h.project();
    let world = h.world();
    let user = world.users.keys().next().unwrap().clone();
    let new = NewTask {
        project: Some(project.clone()),
        name: "full".into(),
        assignee: Some(user.clone()),
        completed: true,
        ..NewTask::default()
    };
    let gid = h.fake.create_task(new).unwrap();
    let task = h.ok(&format!("/tasks/{gid}")).await["data"].clone();
    assert_eq!(
        (
            task["assignee"]["gid"].as_str(),
            task["completed"].as_bool()
        ),
        (Some(user.as_str()), Some(true))
    );
    assert_eq!(task["memberships"][0]["project"]["gid"], project.as_str());
    assert!(
        h.fake
            .create_task(NewTask {
                name: "orphan".into(),
                ..NewTask::default()
            })
            .is_err()
    );
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
