//! The shared rate budget across clients: three `AsanaClient`s, as three
//! worker processes would have, each with its own `PgBudget` on one
//! database, hammer a fake Asana that enforces the same budget. Together
//! they stay inside it: no 429, no window over the budget, and the
//! requests spaced by the one shared interval rather than one per client.
//!
//! # Why it can fail, and stay short
//!
//! The fake's limiter counts a 60 s window, so a test shorter than a minute
//! can never earn a 429 from it, shared budget or not: its window then holds
//! every request sent so far, whatever their pacing. Overflowing it needs more
//! than `RPM` requests, which a correct shared budget spreads over more than
//! a minute. So the test checks the budget's promise on a shorter window,
//! read from the fake's request log: slots are `T` apart whoever books them,
//! and a request arrives within the jitter margin `m` after its slot, so any
//! window of `W` holds at most `ceil((W + m) / T)` arrivals (the budget's
//! 60 s argument, for any `W`). At 300 rpm (`T` = 203.3 ms) a 10 s window
//! holds at most 55. Each client alone sends 30 requests (fewer than 55);
//! with a budget of its own each would send its 30 in about 5 s (a burst of
//! 5, then one per 203 ms), so all 90 would land inside one 10 s window.
//! Shared, the 90 take about 18 s and no 10 s window holds more than 55.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use aegis::{
    asana::{AsanaClient, AsanaConfig, Budget},
    budget::{DEFAULT_JITTER_MARGIN, PgBudget},
};
use fake_asana::{Config, FakeAsana, gate::LoggedRequest};
use secrecy::SecretString;
use sqlx::PgPool;

use crate::helpers::migrated;

const RPM: u32 = 300;
const CLIENTS: usize = 3;
const REQUESTS_PER_CLIENT: usize = 30;
/// The window the arrivals are counted over (see the module docs).
const WINDOW: Duration = Duration::from_secs(10);

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

/// The most requests the fake received in any half-open `window`.
fn busiest_window(log: &[LoggedRequest], window: Duration) -> usize {
    let mut at: Vec<u64> = log.iter().map(|r| r.at_ms).collect();
    at.sort_unstable();
    let width = u64::try_from(window.as_millis()).expect("a short window");
    let (mut first, mut most) = (0, 0);
    for (last, t) in at.iter().enumerate() {
        while t - at[first] >= width {
            first += 1;
        }
        most = most.max(last - first + 1);
    }
    most
}

/// The most arrivals a window of `window` can hold from slots `interval`
/// apart that arrive at most the jitter margin late (plus 1 ms for the
/// log's whole milliseconds).
fn window_bound(window: Duration, interval: Duration) -> usize {
    let span = window + DEFAULT_JITTER_MARGIN + Duration::from_millis(1);
    let slots = span.as_micros().div_ceil(interval.as_micros());
    usize::try_from(slots).expect("a small bound")
}

/// No `WINDOW` of the fake's log holds more than the shared budget allows,
/// though the clients' requests together would overfill one.
fn assert_no_window_over_the_budget(fake: &FakeAsana, interval: Duration) {
    let bound = window_bound(WINDOW, interval);
    let total = CLIENTS * REQUESTS_PER_CLIENT;
    assert!(
        REQUESTS_PER_CLIENT < bound && total > bound,
        "a meaningful size"
    );
    let busiest = busiest_window(&fake.request_log(), WINDOW);
    assert!(
        busiest <= bound,
        "{busiest} requests within {WINDOW:?}, the shared budget allows {bound}"
    );
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
    assert_no_window_over_the_budget(&fake, interval);
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
