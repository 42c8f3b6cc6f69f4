//! The shared rate budget across clients: three `AsanaClient`s, as three
//! worker processes would have, each with its own `PgBudget` on one
//! database, hammer a fake Asana that enforces the same budget. Together
//! they stay inside it: no 429, no 60 s window over the budget, and the
//! requests spaced by the one shared interval rather than one per client.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use aegis::{
    asana::{AsanaClient, AsanaConfig, Budget},
    budget::PgBudget,
};
use fake_asana::{Config, FakeAsana};
use secrecy::SecretString;
use sqlx::PgPool;

use crate::helpers::migrated;

const RPM: u32 = 600;
const CLIENTS: usize = 3;
const REQUESTS_PER_CLIENT: usize = 15;

/// A client for the fake drawing from the token's budget in `pool`, as
/// `aegis worker` builds it (a budget instance per process).
fn worker_client(fake: &FakeAsana, pool: &PgPool) -> (AsanaClient, Duration) {
    let token = SecretString::from(fake.token.clone());
    let rpm = NonZeroU32::new(RPM).expect("non-zero");
    let budget = PgBudget::for_token(pool.clone(), &token, rpm);
    let interval = budget.interval();
    let mut config = AsanaConfig::new(fake.base_url.parse().expect("fake base url"), token);
    config.requests_per_minute = rpm;
    config.budget = Budget::Shared(Arc::new(budget));
    config.backoff_base = Duration::from_millis(5);
    config.backoff_max = Duration::from_millis(50);
    config.request_timeout = Duration::from_secs(10);
    (AsanaClient::new(config).expect("client builds"), interval)
}

/// Sends `n` requests, up to the client's in-flight cap at once.
async fn hammer(client: AsanaClient, n: usize) -> AsanaClient {
    let calls = (0..n).map(|_| client.me());
    for result in futures::future::join_all(calls).await {
        result.expect("request succeeds");
    }
    client
}

#[sqlx::test(migrations = false)]
async fn three_workers_share_one_budget_without_a_429(pool: PgPool) {
    migrated(&pool).await;
    let fake = FakeAsana::spawn(Config {
        requests_per_minute: Some(RPM),
        ..Config::default()
    })
    .await
    .expect("fake asana starts");
    let workers: Vec<(AsanaClient, Duration)> =
        (0..CLIENTS).map(|_| worker_client(&fake, &pool)).collect();
    let interval = workers[0].1;
    let start = std::time::Instant::now();
    let runs = workers
        .into_iter()
        .map(|(client, _)| tokio::spawn(hammer(client, REQUESTS_PER_CLIENT)));
    let clients: Vec<AsanaClient> = futures::future::join_all(runs)
        .await
        .into_iter()
        .map(|r| r.expect("worker task"))
        .collect();
    let elapsed = start.elapsed();

    let total = CLIENTS * REQUESTS_PER_CLIENT;
    let stats = fake.stats();
    assert_eq!(stats.served_429, 0, "{stats:?}");
    assert_eq!(stats.total_requests, total as u64);
    let busiest = stats.max_requests_in_60s.values().copied().max();
    assert!(busiest.is_some_and(|n| n <= u64::from(RPM)), "{busiest:?}");
    // Slots are booked one interval apart whoever books them, and nobody
    // sends before its slot: one budget, not one per client.
    let floor = interval * (total as u32 - 1);
    assert!(
        elapsed >= floor,
        "{total} requests in {elapsed:?} < {floor:?}"
    );
    for client in &clients {
        let s = client.stats();
        assert_eq!(
            (s.requests, s.rate_limited),
            (REQUESTS_PER_CLIENT as u64, 0)
        );
        assert!(s.paced > Duration::ZERO, "{s:?}");
    }
}
