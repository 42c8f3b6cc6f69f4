//! The per-token rate limit through the whole fake: N allowed per minute,
//! every request counted (refused ones too), 429 with `Retry-After` and
//! Asana's body, and the counters the control API reports.

use fake_asana::{
    Config,
    faults::{FaultKind, FaultRule},
};
use reqwest::StatusCode;

use crate::{common::start, schema::check_error};

const RATE_LIMIT_MESSAGE: &str = "You've made too many requests and hit a rate limit. Please retry after the given amount of time.";

#[tokio::test]
async fn n_plus_k_requests_get_k_429s_with_retry_after() {
    let (n, k) = (5, 3);
    let fake = start(Config {
        requests_per_minute: Some(n),
        ..Config::default()
    })
    .await;
    let mut refused = 0;
    for _ in 0..n + k {
        let answer = fake.get("/users/me").await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
            let retry: u32 = answer.headers["retry-after"]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("whole seconds");
            assert!((1..=60).contains(&retry), "Retry-After {retry}");
            check_error(&answer.body);
            assert_eq!(answer.message(), RATE_LIMIT_MESSAGE);
        } else {
            assert_eq!(answer.status, StatusCode::OK);
        }
    }
    assert_eq!(refused, k);
    let stats = fake.fake.stats();
    assert_eq!(stats.total_requests, u64::from(n + k));
    assert_eq!(stats.served_429, u64::from(k));
    assert_eq!(stats.by_route["GET /users/me"], u64::from(n + k));
    let user = fake.world().tokens[&fake.fake.token].clone();
    assert_eq!(
        stats.max_requests_in_60s[&user],
        u64::from(n + k),
        "refused requests count too"
    );
    let log = fake.fake.request_log();
    assert_eq!(log.iter().filter(|r| r.status == 429).count(), k as usize);
}

#[tokio::test]
async fn lifting_the_limit_and_injected_429s() {
    let fake = start(Config {
        requests_per_minute: Some(1),
        ..Config::default()
    })
    .await;
    assert_eq!(fake.get("/users/me").await.status, StatusCode::OK);
    assert_eq!(
        fake.get("/users/me").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    fake.fake.set_rate_limit(None);
    assert_eq!(fake.get("/users/me").await.status, StatusCode::OK);
    let rule = FaultRule {
        route: "/**".to_owned(),
        query_contains: None,
        fault: FaultKind::RateLimited { retry_after: 17 },
        times: Some(2),
        probability: None,
    };
    fake.fake.add_fault(rule);
    for _ in 0..2 {
        let answer = fake.get("/workspaces").await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(answer.headers["retry-after"], "17");
    }
    assert_eq!(fake.get("/workspaces").await.status, StatusCode::OK);
    assert_eq!(fake.fake.stats().served_429, 3);
}
