//! Tests that a 429 is flow control, not a failure: waiting it out spends
//! none of a request's attempts, and the time spent waiting 429s out is
//! bounded instead, with an error that says so.

use std::time::Duration;

use serde_json::json;
use wiremock::{Mock, ResponseTemplate, matchers::method};

use super::*;
use crate::asana::testing::{Sequence, config_for, server};

fn user_body() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": {"gid": "1", "name": "Ada"}}))
}

fn too_many() -> ResponseTemplate {
    ResponseTemplate::new(429)
        .set_body_json(json!({"errors": [{"message": "slow down"}]}))
        .insert_header("retry-after", "0")
}

fn bad_gateway() -> ResponseTemplate {
    ResponseTemplate::new(502).set_body_raw("<html>bad gateway</html>", "text/html")
}

#[tokio::test]
async fn waiting_out_429s_spends_no_attempt() {
    let server = server().await;
    // Three 429s, then two 502s, then success: five errors in all, but
    // only two failures, within three attempts.
    let mut answers = vec![too_many(), too_many(), too_many()];
    answers.extend([bad_gateway(), bad_gateway(), user_body()]);
    let responses = Sequence::new(answers);
    Mock::given(method("GET"))
        .respond_with(responses.clone())
        .expect(6)
        .mount(&server)
        .await;
    let mut config = config_for(&server);
    config.max_attempts = 3;
    let client = AsanaClient::new(config).unwrap();
    client.me().await.expect("the 429s cost no attempt");
    let stats = client.stats();
    assert_eq!((stats.requests, stats.rate_limited), (6, 3));
}

#[tokio::test]
async fn failures_still_use_up_the_attempts() {
    let server = server().await;
    let responses = Sequence::new(vec![too_many(), bad_gateway()]);
    Mock::given(method("GET"))
        .respond_with(responses.clone())
        .expect(4)
        .mount(&server)
        .await;
    let mut config = config_for(&server);
    config.max_attempts = 3;
    let error = AsanaClient::new(config).unwrap().me().await.unwrap_err();
    assert!(error.is_retryable());
    assert!(
        error.to_string().ends_with("(gave up after 4 attempts)"),
        "{error}"
    );
}

#[tokio::test]
async fn the_time_spent_waiting_out_429s_is_bounded_and_said() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(too_many())
        .mount(&server)
        .await;
    let mut config = config_for(&server);
    config.max_rate_limit_wait = Duration::from_millis(100);
    config.max_attempts = 2;
    let client = AsanaClient::new(config).unwrap();
    let error = client.me().await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimitWaitExceeded { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable(), "a job may still retry later");
    assert_eq!(error.status(), Some(429));
    assert!(
        error
            .to_string()
            .contains("still rate-limited after waiting"),
        "{error}"
    );
    let rate_limited = client.stats().rate_limited;
    assert!(rate_limited > 2, "more 429s than attempts: {rate_limited}");
}
