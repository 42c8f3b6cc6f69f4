//! Tests of the chokepoint over real HTTP (wiremock): request shape,
//! classification, retries honouring `Retry-After`, truncated bodies, the
//! in-flight cap, stats, `Asana-Change` logging, and the token's secrecy.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{header, method, path},
};

use super::*;
use crate::asana::{
    Gid,
    testing::{Logs, Sequence, TOKEN, client_for, config_at, config_for, server},
};

fn gid(raw: &str) -> Gid {
    raw.parse().unwrap()
}

fn user_body() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": {"gid": "1", "name": "Ada"}}))
}

fn asana_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"errors": [{"message": message}]}))
}

#[tokio::test]
async fn sends_the_bearer_token_and_accept_json() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/1.0/users/me"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("accept", "application/json"))
        .respond_with(user_body())
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);
    assert_eq!(client.me().await.unwrap().name.as_deref(), Some("Ada"));
    assert_eq!(client.stats().requests, 1);
}

#[tokio::test]
async fn unauthorized_is_not_retried_and_says_what_to_do() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(asana_error(401, "Not Authorized"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client_for(&server).me().await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    assert!(!error.is_retryable());
    assert!(
        error
            .to_string()
            .starts_with("Asana rejected the token (401): check ASANA_ACCESS_TOKEN"),
        "{error}"
    );
}

#[tokio::test]
async fn not_found_names_the_portfolio() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/1.0/portfolios/123"))
        .respond_with(asana_error(404, "portfolio: Unknown object: 123"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client_for(&server)
        .portfolio(&gid("123"))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "portfolio 123 not found or not visible to this token (404): \
         Asana says \"portfolio: Unknown object: 123\""
    );
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after_before_the_next_request() {
    let server = server().await;
    let responses = Sequence::new(vec![
        asana_error(429, "You've made too many requests").insert_header("retry-after", "1"),
        user_body(),
    ]);
    Mock::given(method("GET"))
        .respond_with(responses.clone())
        .expect(2)
        .mount(&server)
        .await;
    let client = client_for(&server);
    client.me().await.unwrap();
    let arrivals = responses.arrivals();
    assert!(
        arrivals[1] - arrivals[0] >= Duration::from_secs(1),
        "{:?}",
        arrivals[1] - arrivals[0]
    );
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.rate_limited, stats.retries),
        (2, 1, 1)
    );
    assert!(stats.waited >= Duration::from_secs(1), "{stats:?}");
}

#[tokio::test]
async fn server_errors_are_retried_and_503_honours_retry_after() {
    let server = server().await;
    let responses = Sequence::new(vec![
        asana_error(500, "Server Error"),
        ResponseTemplate::new(502)
            .set_body_raw("<html><h1>502 Bad Gateway</h1></html>", "text/html"),
        ResponseTemplate::new(503).insert_header("retry-after", "1"),
        ResponseTemplate::new(504),
        user_body(),
    ]);
    Mock::given(method("GET"))
        .respond_with(responses.clone())
        .expect(5)
        .mount(&server)
        .await;
    let client = client_for(&server);
    client.me().await.unwrap();
    let arrivals = responses.arrivals();
    assert!(
        arrivals[3] - arrivals[2] >= Duration::from_secs(1),
        "503 Retry-After was cut short"
    );
    assert_eq!(client.stats().retries, 4);
}

#[tokio::test]
async fn gives_up_after_max_attempts_with_the_last_error() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html>bad gateway</html>", "text/html"),
        )
        .expect(5)
        .mount(&server)
        .await;
    let error = client_for(&server).me().await.unwrap_err();
    assert!(error.is_retryable(), "a job may still retry later");
    assert_eq!(
        error.to_string(),
        "Asana failed to serve user me (502): 502 Bad Gateway (gave up after 5 attempts)"
    );
}

#[tokio::test]
async fn rate_limit_exhaustion_names_the_budget() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(asana_error(429, "slow down").insert_header("retry-after", "0"))
        .mount(&server)
        .await;
    let mut config = config_for(&server);
    config.max_rate_limit_wait = Duration::from_millis(50);
    let client = AsanaClient::new(config).unwrap();
    let error = client.me().await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("rate-limited") && text.contains("60000 requests/minute"),
        "{text}"
    );
    assert_eq!(error.retry_after(), Some(Duration::ZERO));
    assert!(client.stats().rate_limited >= 2);
}

#[tokio::test]
async fn truncated_json_is_retried_then_reported() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"data": {"gid": "1", "na"#, "application/json"),
        )
        .expect(5)
        .mount(&server)
        .await;
    let error = client_for(&server).me().await.unwrap_err();
    let Error::GaveUp { attempts: 5, last } = &error else {
        panic!("{error:?}")
    };
    assert!(matches!(**last, Error::Truncated { .. }), "{last:?}");
}

/// A server that promises 1000 bytes, sends a few, and hangs up.
async fn cut_off_server() -> (String, tokio::task::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/1.0", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        let mut served = 0;
        while let Ok(Ok((mut socket, _))) =
            tokio::time::timeout(Duration::from_millis(500), listener.accept()).await
        {
            let mut buf = [0_u8; 4096];
            let _ = socket.read(&mut buf).await;
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
            let _ = socket
                .write_all(format!("{head}{{\"data\": {{\"gid\"").as_bytes())
                .await;
            let _ = socket.shutdown().await;
            served += 1;
        }
        served
    });
    (base, handle)
}

#[tokio::test]
async fn a_body_cut_off_mid_transfer_is_retried_then_reported() {
    let (base, served) = cut_off_server().await;
    let client = AsanaClient::new(config_at(&base)).unwrap();
    let error = client.me().await.unwrap_err();
    let Error::GaveUp { attempts: 5, last } = &error else {
        panic!("{error:?}")
    };
    assert!(matches!(**last, Error::Truncated { .. }), "{last:?}");
    assert_eq!(served.await.unwrap(), 5);
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_retryable() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(user_body().set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let mut config = config_for(&server);
    config.request_timeout = Duration::from_millis(100);
    config.max_attempts = 2;
    let error = AsanaClient::new(config).unwrap().me().await.unwrap_err();
    assert!(
        matches!(&error, Error::GaveUp { last, .. } if matches!(**last, Error::Timeout { .. })),
        "{error:?}"
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}/api/1.0", listener.local_addr().unwrap());
    drop(listener);
    let mut config = config_at(&closed);
    config.max_attempts = 2;
    let error = AsanaClient::new(config).unwrap().me().await.unwrap_err();
    assert!(
        matches!(&error, Error::GaveUp { last, .. } if matches!(**last, Error::Transport { .. })),
        "{error:?}"
    );
    // The message names where it tried and why it failed, in one line.
    let text = error.to_string();
    let origin = closed.trim_end_matches("/api/1.0");
    assert!(
        text.starts_with(&format!("could not reach Asana at {origin} for ")),
        "{text}"
    );
    assert!(text.contains("refused"), "{text}");
    assert!(text.contains("check ASANA_BASE_URL"), "{text}");
}

#[tokio::test]
async fn a_decode_error_names_the_field_path_and_is_fatal() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "gid": "5", "name": "t", "custom_fields": [{"gid": "1", "number_value": "three"}]}})))
        .expect(1)
        .mount(&server)
        .await;
    let error = client_for(&server).task(&gid("5")).await.unwrap_err();
    let Error::Decode { path, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(path, "data.custom_fields[0].number_value");
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("task 5"), "{error}");
}

#[tokio::test]
async fn requests_in_flight_stay_under_the_cap() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(user_body().set_delay(Duration::from_millis(200)))
        .expect(6)
        .mount(&server)
        .await;
    let mut config = config_for(&server);
    config.max_in_flight = 2;
    let client = AsanaClient::new(config).unwrap();
    let start = Instant::now();
    let calls = (0..6).map(|_| client.me());
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    assert!(
        start.elapsed() >= Duration::from_millis(600),
        "6 requests, 2 at a time, 200 ms each"
    );
}

#[tokio::test]
async fn scoped_handles_count_their_own_requests() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(user_body())
        .mount(&server)
        .await;
    let client = client_for(&server);
    client.me().await.unwrap();
    let run = client.scoped();
    run.me().await.unwrap();
    run.me().await.unwrap();
    assert_eq!(run.stats().requests, 2);
    assert_eq!(client.stats().requests, 3);
    assert_eq!(run.total_stats().requests, 3);
}

#[tokio::test]
async fn asana_change_headers_are_logged_once_per_value() {
    let server = server().await;
    let change = "name=new_user_task_lists;info=https://asana.com/developers;affected=true";
    Mock::given(method("GET"))
        .respond_with(user_body().append_header("asana-change", change))
        .mount(&server)
        .await;
    let (logs, _guard) = Logs::capture();
    let client = client_for(&server);
    client.me().await.unwrap();
    client.me().await.unwrap();
    let text = logs.text();
    assert_eq!(text.matches("new_user_task_lists").count(), 1, "{text}");
    assert!(text.contains("WARN"), "{text}");
}

#[tokio::test]
async fn the_token_appears_in_no_debug_output_error_or_log_line() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(500),
            asana_error(401, "Not Authorized"),
        ]))
        .mount(&server)
        .await;
    let (logs, _guard) = Logs::capture();
    let config = config_for(&server);
    let config_debug = format!("{config:?}");
    let client = AsanaClient::new(config).unwrap();
    let error = client.me().await.unwrap_err();
    let outputs = [
        config_debug,
        format!("{client:?}"),
        format!("{error:?}"),
        error.to_string(),
        logs.text(),
    ];
    assert!(
        logs.text().contains("retrying Asana request"),
        "the capture works"
    );
    for output in outputs {
        assert!(
            !output.contains(TOKEN) && !output.contains("s3cr3t"),
            "token leaked: {output}"
        );
    }
}

#[tokio::test]
async fn a_token_that_cannot_be_a_header_is_a_config_error_without_the_token() {
    let mut config = config_at("http://127.0.0.1:1/api/1.0");
    config.token = secrecy::SecretString::from("bad\ns3cr3t");
    let error = AsanaClient::new(config).unwrap_err();
    assert!(matches!(error, Error::Config(_)));
    assert!(!format!("{error:?}{error}").contains("s3cr3t"));
}

#[tokio::test]
async fn a_long_retry_after_is_handed_back_instead_of_slept() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(asana_error(429, "slow down").insert_header("retry-after", "300"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client_for(&server).me().await.unwrap_err();
    assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(300)));
}
