//! Shared helpers: a running fake with an HTTP client, JSON requests, page
//! walking, and checks every response body must pass (digit-string gids,
//! millisecond UTC timestamps, `YYYY-MM-DD` dates).

use std::collections::BTreeSet;

use fake_asana::{Config, FakeAsana, generate::Preset, world::World};
use reqwest::{Client, StatusCode, header::HeaderMap};
use serde_json::Value;

/// A fake on loopback and a client holding its token.
pub struct Fake {
    pub fake: FakeAsana,
    client: Client,
}

/// One answer: status, headers and the body parsed as JSON.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// `errors[0].message`.
    pub fn message(&self) -> &str {
        self.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
    }
}

/// The seed preset (projects Aegis, Triptic, Agents).
pub async fn seed() -> Fake {
    start(Config::default()).await
}

/// Two projects of 60 tasks each, for paging.
pub async fn big() -> Fake {
    start(Config {
        preset: Preset::Custom {
            projects: 2,
            tasks_per_project: 60,
        },
        ..Config::default()
    })
    .await
}

pub async fn start(config: Config) -> Fake {
    let fake = FakeAsana::spawn(config).await.expect("the fake starts");
    Fake {
        fake,
        client: crate::http::client(),
    }
}

impl Fake {
    /// `GET {base_url}{path}` with the fake's token.
    pub async fn get(&self, path: &str) -> Answer {
        self.get_as(Some(&self.fake.token), path).await
    }

    /// `GET {base_url}{path}` with `token` (None: no Authorization header).
    pub async fn get_as(&self, token: Option<&str>, path: &str) -> Answer {
        let mut request = self.client.get(format!("{}{path}", self.fake.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("GET {path} body: {e}"));
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {text}"));
        check_formats(&body, path);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Any API request with an optional JSON body (the webhook routes).
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let url = format!("{}{path}", self.fake.base_url);
        let mut request = self
            .client
            .request(method, url)
            .bearer_auth(&self.fake.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let (status, headers) = (response.status(), response.headers().clone());
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        check_formats(&body, path);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// The body of a GET that must answer 200.
    pub async fn ok(&self, path: &str) -> Value {
        let answer = self.get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "GET {path}: {}", answer.body);
        answer.body
    }

    /// Every item of a listing, following `next_page.path` to the end, and the
    /// number of pages.
    pub async fn all_pages(&self, first: &str) -> (Vec<Value>, usize) {
        let (mut items, mut pages, mut path) = (Vec::new(), 0, first.to_owned());
        loop {
            let body = self.ok(&path).await;
            pages += 1;
            items.extend(body["data"].as_array().expect("a list").iter().cloned());
            let next = &body["next_page"];
            if next.is_null() {
                return (items, pages);
            }
            let next_path = next["path"].as_str().expect("next_page.path").to_owned();
            assert_eq!(next["uri"], format!("{}{next_path}", self.fake.base_url));
            assert!(next_path.contains(next["offset"].as_str().expect("offset")));
            path = next_path;
        }
    }

    pub fn world(&self) -> World {
        self.fake.snapshot()
    }

    /// A project of the main portfolio with at least `min_tasks` live tasks.
    pub fn project_with_tasks(&self, min_tasks: usize) -> String {
        let world = self.world();
        let portfolio = &world.portfolios[&world.main_portfolio];
        portfolio
            .items
            .iter()
            .filter_map(|gid| world.projects.get(gid))
            .find(|p| {
                p.task_order
                    .iter()
                    .filter(|t| world.tasks.get(*t).is_some_and(|t| !t.deleted))
                    .count()
                    >= min_tasks
            })
            .map(|p| p.gid.clone())
            .expect("a project with enough tasks")
    }

    /// The live task gids of a project, in rank order.
    pub fn task_gids(&self, project: &str) -> Vec<String> {
        let world = self.world();
        let live = |g: &&String| world.tasks.get(*g).is_some_and(|t| !t.deleted);
        world.projects[project]
            .task_order
            .iter()
            .filter(live)
            .cloned()
            .collect()
    }
}

/// The `gid`s of a list body, in order.
pub fn gids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["gid"].as_str().expect("gid").to_owned())
        .collect()
}

/// The key set of a JSON object.
pub fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Builds a key set from names.
pub fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Every `gid` is a digit string, every `*_at` a `YYYY-MM-DDTHH:MM:SS.mmmZ`
/// or null, every `*_on` and `date` a `YYYY-MM-DD` or null.
pub fn check_formats(value: &Value, context: &str) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| check_formats(v, context)),
        Value::Object(object) => {
            for (key, v) in object {
                check_field(key, v, context);
                check_formats(v, context);
            }
        }
        _ => {}
    }
}

fn check_field(key: &str, value: &Value, context: &str) {
    let Some(text) = value.as_str() else {
        return;
    };
    let ok = match key {
        "gid" => !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
        k if k.ends_with("_at") => is_timestamp(text),
        k if k.ends_with("_on") || k == "date" || k == "due_date" => is_date(text),
        _ => true,
    };
    assert!(ok, "{context}: `{key}` = {text:?} has the wrong format");
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = [11, 12, 14, 15, 17, 18, 20, 21, 22];
    b.len() == 24
        && is_date(&s[..10])
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && digits.iter().all(|&i| b[i].is_ascii_digit())
}
