//! The harness: a fake per test, a reqwest client, and small readers.

use fake_asana::{Config, FakeAsana, generate::Preset, world::World};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

pub struct Harness {
    pub fake: FakeAsana,
    pub http: Client,
}

impl Harness {
    pub async fn start(preset: Preset) -> Harness {
        let fake = FakeAsana::spawn(Config {
            preset,
            ..Config::default()
        })
        .await
        .expect("spawn the fake");
        Harness {
            fake,
            http: crate::http::client(),
        }
    }

    pub async fn custom() -> Harness {
        Harness::start(Preset::Custom {
            projects: 3,
            tasks_per_project: 6,
        })
        .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
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

    /// An API request with any method and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.fake.base_url);
        let mut request = self.http.request(method, url).bearer_auth(&self.fake.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
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

    pub fn world(&self) -> World {
        self.fake.snapshot()
    }

    /// The first project of the portfolio.
    pub fn project(&self) -> String {
        let world = self.world();
        world.portfolios[&world.main_portfolio]
            .items
            .iter()
            .find(|g| world.projects.contains_key(*g))
            .unwrap()
            .clone()
    }
}

pub fn gids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v["gid"].as_str().unwrap().to_owned())
        .collect()
}

pub fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}
