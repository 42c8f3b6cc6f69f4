//! The gate driven over real HTTP: a tiny router behind the middleware on
//! 127.0.0.1:0, requests through reqwest.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use axum::{
    Extension, Json, Router,
    extract::State,
    middleware::from_fn_with_state,
    routing::{get, post},
};
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};

use super::*;
use crate::error::RATE_LIMIT_MESSAGE;

#[path = "../../tests/support/http.rs"]
mod http;

const TOKEN: &str = "secret-token-1";
const OTHER: &str = "secret-token-2";

pub(super) struct Harness {
    pub(super) base: String,
    pub(super) gate: Arc<Gate>,
    pub(super) client: Client,
    entered: mpsc::UnboundedReceiver<()>,
    release: Arc<Semaphore>,
}

#[derive(Clone)]
struct Slow {
    entered: mpsc::UnboundedSender<()>,
    release: Arc<Semaphore>,
}

async fn me(Extension(caller): Extension<Caller>) -> Json<Value> {
    Json(json!({ "data": { "gid": caller.user } }))
}

async fn tasks() -> Json<Value> {
    let data: Vec<Value> = (0..50)
        .map(|i| json!({"gid": format!("{}", 1000 + i), "name": format!("task {i}")}))
        .collect();
    Json(json!({ "data": data }))
}

async fn slow(State(slow): State<Slow>) -> Json<Value> {
    let _ = slow.entered.send(());
    let _permit = slow.release.acquire().await;
    Json(json!({ "data": {} }))
}

pub(super) async fn harness(config: GateConfig) -> Harness {
    let tokens = BTreeMap::from([
        (TOKEN.to_owned(), "42".to_owned()),
        (OTHER.to_owned(), "43".to_owned()),
    ]);
    let gate = Gate::new(config, tokens);
    let (tx, entered) = mpsc::unbounded_channel();
    let release = Arc::new(Semaphore::new(0));
    let app = Router::new()
        .route("/api/1.0/users/me", get(me))
        .route("/api/1.0/projects/{gid}/tasks", get(tasks))
        .route("/api/1.0/tasks", post(tasks))
        .route("/api/1.0/slow", get(slow))
        .with_state(Slow {
            entered: tx,
            release: Arc::clone(&release),
        })
        .layer(from_fn_with_state(Arc::clone(&gate), super::gate));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    Harness {
        base: format!("http://{addr}/api/1.0"),
        gate,
        client: http::client(),
        entered,
        release,
    }
}

pub(super) fn config() -> GateConfig {
    GateConfig {
        requests_per_minute: None,
        max_inflight_gets: 50,
        latency: Duration::ZERO,
        fault_seed: 7,
    }
}

impl Harness {
    async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        let request = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        request.send().await.expect("a response")
    }

    pub(super) async fn get(&self, path: &str) -> reqwest::Response {
        self.get_as(TOKEN, path).await
    }

    /// A request on a fresh connection, for faults that kill the connection.
    pub(super) async fn try_get_fresh(&self, path: &str) -> reqwest::Result<reqwest::Response> {
        http::client()
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
    }

    pub(super) fn fault(&self, route: &str, fault: FaultKind) {
        let rule = FaultRule {
            route: route.to_owned(),
            query_contains: None,
            fault,
            times: None,
            probability: None,
        };
        self.gate.add_fault(rule);
    }
}

pub(super) fn retry_after(response: &reqwest::Response) -> u32 {
    let value = response
        .headers()
        .get(header::RETRY_AFTER)
        .expect("Retry-After");
    value
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds")
}

async fn first_error(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("a JSON body");
    body["errors"][0]["message"]
        .as_str()
        .expect("errors[0].message")
        .to_owned()
}

#[tokio::test]
async fn unauthenticated_requests_get_401_and_are_charged_to_no_token() {
    let h = harness(config()).await;
    let none = h
        .client
        .get(format!("{}/users/me", h.base))
        .send()
        .await
        .expect("response");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(first_error(none).await, "Not Authorized");
    assert_eq!(
        h.get_as("wrong", "/users/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let basic = h
        .client
        .get(format!("{}/users/me", h.base))
        .basic_auth(TOKEN, Some("x"))
        .send()
        .await;
    assert_eq!(basic.expect("response").status(), StatusCode::UNAUTHORIZED);
    let stats = h.gate.stats();
    assert_eq!(stats.total_requests, 3);
    assert_eq!(stats.by_route["GET /users/me"], 3);
    assert!(stats.max_requests_in_60s.is_empty());
    assert!(h.gate.request_log().iter().all(|r| r.status == 401));
}

#[tokio::test]
async fn handlers_see_the_caller_and_revoked_tokens_get_401() {
    let h = harness(config()).await;
    let body: Value = h.get("/users/me").await.json().await.expect("json");
    assert_eq!(body["data"]["gid"], "42");
    h.gate.revoke_token(TOKEN);
    assert_eq!(h.get("/users/me").await.status(), StatusCode::UNAUTHORIZED);
    h.gate.add_token("fresh".to_owned(), "44".to_owned());
    let body: Value = h
        .get_as("fresh", "/users/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["data"]["gid"], "44");
}

#[tokio::test]
async fn the_token_is_never_in_stats_log_or_debug_output() {
    let h = harness(config()).await;
    h.get("/users/me").await;
    let everything = format!(
        "{:?} {:?} {:?}",
        h.gate,
        h.gate.stats(),
        h.gate.request_log()
    );
    assert!(!everything.contains(TOKEN) && !everything.contains(OTHER));
    assert_eq!(
        h.gate.stats().max_requests_in_60s,
        BTreeMap::from([("42".to_owned(), 1)])
    );
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_and_counts_rejected_requests() {
    let h = harness(GateConfig {
        requests_per_minute: Some(3),
        ..config()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = h.get("/users/me").await;
        statuses.push(response.status().as_u16());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let secs = retry_after(&response);
            assert!((50..=60).contains(&secs), "Retry-After {secs}");
            assert_eq!(first_error(response).await, RATE_LIMIT_MESSAGE);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    // Another token has its own window.
    assert_eq!(h.get_as(OTHER, "/users/me").await.status(), StatusCode::OK);
    // Only 3 succeeded, but the 2 refused ones count: a limit of 6 admits one more.
    h.gate.set_rate_limit(Some(6));
    assert_eq!(h.get("/users/me").await.status(), StatusCode::OK);
    assert_eq!(
        h.get("/users/me").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    h.gate.set_rate_limit(None);
    assert_eq!(h.get("/users/me").await.status(), StatusCode::OK);
    let stats = h.gate.stats();
    assert_eq!(stats.served_429, 3);
    assert_eq!(stats.total_requests, 9);
    assert_eq!(
        stats.max_requests_in_60s,
        BTreeMap::from([("42".to_owned(), 8), ("43".to_owned(), 1)])
    );
    let logged: Vec<u16> = h.gate.request_log().iter().map(|r| r.status).collect();
    assert_eq!(logged, [200, 200, 200, 429, 429, 200, 200, 429, 200]);
}

#[tokio::test]
async fn in_flight_gets_are_capped_per_token_until_their_bodies_are_done() {
    let mut h = harness(GateConfig {
        max_inflight_gets: 2,
        ..config()
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..2 {
        let request = h.client.get(format!("{}/slow", h.base)).bearer_auth(TOKEN);
        slow.push(tokio::spawn(request.send()));
    }
    for _ in 0..2 {
        h.entered.recv().await.expect("a slow request entered");
    }
    assert_eq!(h.gate.inflight_gets(), 2);
    let refused = h.get("/users/me").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&refused), 1);
    assert_eq!(h.get_as(OTHER, "/users/me").await.status(), StatusCode::OK);
    let write = h
        .client
        .post(format!("{}/tasks", h.base))
        .bearer_auth(TOKEN)
        .send()
        .await;
    assert_eq!(write.expect("response").status(), StatusCode::OK);
    h.release.add_permits(2);
    for task in slow {
        let response = task.await.expect("joined").expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        response.bytes().await.expect("body");
    }
    h.gate.wait_inflight_at_most(0).await;
    assert_eq!(h.get("/users/me").await.status(), StatusCode::OK);
    assert_eq!(h.gate.stats().served_429, 1);
}

#[tokio::test]
async fn routes_are_counted_with_gid_segments_normalised() {
    let h = harness(config()).await;
    h.get("/projects/123/tasks?limit=2").await;
    h.get("/projects/456/tasks").await;
    h.get("/users/me").await;
    h.get("/nowhere/9").await;
    let expected = BTreeMap::from([
        ("GET /projects/{gid}/tasks".to_owned(), 2),
        ("GET /users/me".to_owned(), 1),
        ("GET /nowhere/{gid}".to_owned(), 1),
    ]);
    assert_eq!(h.gate.stats().by_route, expected);
    let log = h.gate.request_log();
    assert_eq!(
        (log[0].path.as_str(), log[0].query.as_str(), log[0].status),
        ("/projects/123/tasks", "limit=2", 200)
    );
    assert_eq!(log[3].status, 404);
    assert!(log.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    h.gate.reset_stats();
    assert_eq!(h.gate.stats(), Stats::default());
    assert!(h.gate.request_log().is_empty());
}
