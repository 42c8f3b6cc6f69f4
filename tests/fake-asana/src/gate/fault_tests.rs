//! Each injected fault's effect as a client sees it, through reqwest.

use std::time::Duration;

use reqwest::{StatusCode, header};
use serde_json::Value;

use super::tests::{config, harness, retry_after};
use crate::faults::{FaultKind, FaultRule};

#[tokio::test]
async fn truncated_keeps_status_and_length_but_cuts_the_body() {
    let h = harness(config()).await;
    let full = h
        .get("/projects/1/tasks")
        .await
        .bytes()
        .await
        .expect("full body")
        .len();
    h.fault("/projects/*/tasks", FaultKind::Truncated);
    let response = h
        .try_get_fresh("/projects/1/tasks")
        .await
        .expect("status and headers arrive");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(full as u64));
    assert!(
        response.bytes().await.is_err(),
        "reading a truncated body must fail"
    );
}

#[tokio::test]
async fn drop_closes_the_connection_without_a_response() {
    let h = harness(config()).await;
    h.fault("/users/me", FaultKind::Drop);
    let error = h
        .try_get_fresh("/users/me")
        .await
        .expect_err("no response at all");
    // hyper's IncompleteMessage: the connection closed before any status line.
    assert!(
        error.is_request() && !error.is_status() && !error.is_timeout(),
        "{error:?}"
    );
    assert_eq!(h.gate.request_log()[0].status, 0);
}

#[tokio::test]
async fn malformed_is_a_200_json_response_that_does_not_parse() {
    let h = harness(config()).await;
    h.fault("/users/me", FaultKind::Malformed);
    let response = h.get("/users/me").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert!(response.json::<Value>().await.is_err());
}

#[tokio::test]
async fn load_balancer_errors_are_html_pages() {
    let h = harness(config()).await;
    h.fault("/users/me", FaultKind::BadGatewayHtml);
    h.fault(
        "/projects/**",
        FaultKind::UnavailableHtml {
            retry_after: Some(9),
        },
    );
    let bad = h.get("/users/me").await;
    assert_eq!(bad.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(bad.headers()[header::CONTENT_TYPE], "text/html");
    assert!(
        bad.text()
            .await
            .expect("text")
            .contains("<h1>502 Bad Gateway</h1>")
    );
    let unavailable = h.get("/projects/1/tasks").await;
    assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry_after(&unavailable), 9);
    assert!(
        unavailable.json::<Value>().await.is_err(),
        "an HTML page, not JSON"
    );
}

#[tokio::test]
async fn json_faults_use_asanas_error_envelope() {
    let h = harness(config()).await;
    let cases = [
        (FaultKind::GatewayTimeout, 504),
        (FaultKind::ServerError, 500),
        (
            FaultKind::Status {
                code: 451,
                message: "Unavailable For Legal Reasons".to_owned(),
            },
            451,
        ),
        (FaultKind::RateLimited { retry_after: 7 }, 429),
    ];
    for (fault, code) in cases {
        h.gate.clear_faults();
        h.fault("/**", fault);
        let response = h.get("/users/me").await;
        assert_eq!(response.status().as_u16(), code);
        if code == 429 {
            assert_eq!(retry_after(&response), 7);
        }
        let body: Value = response.json().await.expect("JSON");
        assert!(body["errors"][0]["message"].is_string(), "{body}");
        assert_eq!(
            body["errors"][0]["phrase"].is_string(),
            code == 500,
            "{body}"
        );
    }
    assert_eq!(h.gate.stats().served_429, 1);
}

#[tokio::test]
async fn latency_faults_still_answer_normally() {
    let h = harness(config()).await;
    h.fault("/users/me", FaultKind::Latency { ms: 5 });
    h.gate.set_latency(Duration::from_millis(5));
    let body: Value = h.get("/users/me").await.json().await.expect("json");
    assert_eq!(body["data"]["gid"], "42");
}

#[tokio::test]
async fn faults_count_down_and_honour_query_contains() {
    let h = harness(config()).await;
    let rule = FaultRule {
        route: "/projects/*/tasks".to_owned(),
        query_contains: Some("limit=5".to_owned()),
        fault: FaultKind::ServerError,
        times: Some(2),
        probability: None,
    };
    h.gate.add_fault(rule);
    assert_eq!(
        h.get("/projects/1/tasks?limit=6").await.status(),
        StatusCode::OK
    );
    let statuses = [
        h.get("/projects/1/tasks?limit=5").await.status(),
        h.get("/projects/2/tasks?limit=5").await.status(),
        h.get("/projects/3/tasks?limit=5").await.status(),
    ];
    assert_eq!(statuses, [500, 500, 200]);
    assert!(h.gate.faults().is_empty());
}
