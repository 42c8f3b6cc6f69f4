//! Tests of the chokepoint with a shared budget (in memory): every attempt
//! books a slot, a 429 pauses the whole budget, and an unreachable or far
//! budget ends the request (retryably) without sending it.

use std::{
    sync::{Arc, atomic::Ordering::SeqCst},
    time::Duration,
};

use serde_json::json;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};

use super::*;
use crate::asana::{
    Budget, SharedBudget,
    testing::{MemoryBudget, Sequence, config_for, server},
};

fn user_body() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": {"gid": "1", "name": "Ada"}}))
}

fn shared_client(server: &MockServer, budget: &Arc<MemoryBudget>) -> AsanaClient {
    let mut config = config_for(server);
    config.budget = Budget::Shared(Arc::clone(budget) as Arc<dyn SharedBudget>);
    config.max_retry_wait = Duration::from_secs(5);
    AsanaClient::new(config).unwrap()
}

#[tokio::test]
async fn every_attempt_books_a_slot_and_is_paced_by_it() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(user_body())
        .expect(3)
        .mount(&server)
        .await;
    let budget = MemoryBudget::new(Duration::from_millis(100));
    let client = shared_client(&server, &budget);
    let start = std::time::Instant::now();
    for _ in 0..3 {
        client.me().await.unwrap();
    }
    assert!(start.elapsed() >= Duration::from_millis(200));
    assert_eq!(budget.reserved(), 3);
    let stats = client.stats();
    assert!(stats.paced >= Duration::from_millis(150), "{stats:?}");
    assert_eq!(stats.waited, Duration::ZERO);
}

#[tokio::test]
async fn a_429_pauses_every_holder_of_the_budget() {
    let server = server().await;
    let responses = Sequence::new(vec![
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        user_body(),
    ]);
    Mock::given(method("GET"))
        .respond_with(responses.clone())
        .expect(2)
        .mount(&server)
        .await;
    let budget = MemoryBudget::new(Duration::ZERO);
    let client = shared_client(&server, &budget);
    client.me().await.unwrap();
    assert_eq!(budget.pauses(), vec![Duration::from_secs(1)]);
    assert_eq!(budget.reserved(), 2, "the retry books its own slot");
    let arrivals = responses.arrivals();
    assert!(arrivals[1] - arrivals[0] >= Duration::from_secs(1));
}

#[tokio::test]
async fn an_unreachable_budget_fails_retryably_without_sending() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(user_body())
        .expect(0)
        .mount(&server)
        .await;
    let budget = MemoryBudget::new(Duration::ZERO);
    budget.unreachable.store(true, SeqCst);
    let error = shared_client(&server, &budget).me().await.unwrap_err();
    let Error::GaveUp { last, attempts } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*attempts, 5);
    assert!(
        matches!(**last, Error::BudgetUnavailable { .. }),
        "{last:?}"
    );
    assert!(error.is_retryable());
    assert!(error.to_string().contains("DATABASE_URL"), "{error}");
}

#[tokio::test]
async fn a_far_slot_is_handed_back_to_the_caller() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(user_body())
        .expect(0)
        .mount(&server)
        .await;
    let budget = MemoryBudget::new(Duration::ZERO);
    budget.pause_all(Duration::from_secs(30)).await;
    let start = std::time::Instant::now();
    let error = shared_client(&server, &budget).me().await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5), "not slept");
    assert!(matches!(error, Error::BudgetPaused { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert!(error.retry_after().unwrap() > Duration::from_secs(29));
    assert_eq!(
        budget.reserved(),
        0,
        "no slot booked for a request not sent"
    );
}
