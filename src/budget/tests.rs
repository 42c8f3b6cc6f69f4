//! Tests of the Postgres budget against a real database: slots spaced by
//! the interval across several "processes", pauses shared, keys without the
//! token, and a refusal when the database is gone. Times are read from the
//! booked slots (the database's clock), not from sleeping.

use sqlx::postgres::PgPoolOptions;

use super::*;

const TOKEN: &str = "0/s3cr3t-budget-t0ken";
const LONG: Duration = Duration::from_secs(3600);

fn rpm(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

async fn migrated(pool: &PgPool) {
    crate::store::migrate(pool, &crate::store::Schema::public())
        .await
        .unwrap();
}

fn micros(d: chrono::TimeDelta) -> i64 {
    d.num_microseconds().unwrap()
}

#[test]
fn no_window_of_60_s_plus_the_margin_holds_more_than_rpm_slots() {
    for n in [1, 2, 10, 60, 150, 599, 600, 1500, 10_000] {
        for margin in [Duration::ZERO, DEFAULT_JITTER_MARGIN] {
            let t = interval(rpm(n), margin).as_micros();
            let window = 60_000_000 + margin.as_micros();
            assert!(window.div_ceil(t) <= u128::from(n), "rpm {n}, {margin:?}");
            assert!(window.div_ceil(t) + 1 >= u128::from(n), "rpm {n} wastes");
        }
    }
    assert_eq!(
        interval(rpm(600), DEFAULT_JITTER_MARGIN),
        Duration::from_micros(101_667)
    );
}

/// Three "processes" (budget instances on one database) each book 10 slots
/// at once. At 2 requests a minute the interval (30.5 s) dwarfs any round
/// trip, however loaded the machine, so every booking lands on the schedule
/// ahead of the clock: the assertions read the slots' times (`at`), never
/// how long the bookings took. With one schedule per instance, each
/// instance's first slot would be "now": three slots within a round trip of
/// each other, and 10 slots spanning 9 intervals instead of 29.
#[sqlx::test(migrations = false)]
async fn slots_are_spaced_by_the_interval_across_processes(pool: PgPool) {
    migrated(&pool).await;
    let processes: Vec<PgBudget> = (0..3)
        .map(|_| PgBudget::for_token(pool.clone(), &SecretString::from(TOKEN), rpm(2)))
        .collect();
    let t = micros(chrono::TimeDelta::from_std(processes[0].interval()).unwrap());
    let tasks = processes.iter().map(|budget| {
        let budget = budget.clone();
        tokio::spawn(async move {
            let mut slots = Vec::new();
            for _ in 0..10 {
                slots.push(budget.reserve_slot(LONG).await.unwrap());
            }
            slots
        })
    });
    let mut slots: Vec<Slot> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .flat_map(Result::unwrap)
        .collect();
    slots.sort_by_key(|s| s.at);
    assert_eq!(slots.len(), 30);
    assert!(slots.iter().all(|s| s.booked), "30 intervals fit in LONG");
    for pair in slots.windows(2) {
        let gap = micros(pair[1].at - pair[0].at);
        assert!(gap >= t, "slots {gap} µs apart, interval {t} µs");
    }
    assert!(
        slots[0].wait() < Duration::from_secs(1),
        "the first goes at once"
    );
    let span = micros(slots[29].at - slots[0].at);
    assert!(
        span >= 29 * t,
        "one schedule of 30 slots spans 29 intervals: {span} µs, interval {t} µs"
    );
}

#[sqlx::test(migrations = false)]
async fn a_pause_by_one_process_delays_the_others(pool: PgPool) {
    migrated(&pool).await;
    let token = SecretString::from(TOKEN);
    let seen_429 = PgBudget::for_token(pool.clone(), &token, rpm(600));
    let other = PgBudget::for_token(pool.clone(), &token, rpm(600));
    assert!(other.reserve_slot(LONG).await.unwrap().wait() < Duration::from_secs(1));
    seen_429.pause(Duration::from_secs(30)).await.unwrap();
    seen_429.pause(Duration::from_secs(5)).await.unwrap(); // never shortens
    let first = other.reserve_slot(LONG).await.unwrap();
    assert!(first.wait() > Duration::from_secs(29), "{first:?}");
    let second = seen_429.reserve_slot(LONG).await.unwrap();
    assert_eq!(
        second.at - first.at,
        chrono::TimeDelta::from_std(other.interval()).unwrap()
    );
    let short = other.reserve_slot(Duration::from_secs(10)).await.unwrap();
    assert!(
        !short.booked && short.wait() > Duration::from_secs(29),
        "{short:?}"
    );
    let third = other.reserve_slot(LONG).await.unwrap();
    assert_eq!(
        third.at - second.at,
        second.at - first.at,
        "nothing was booked"
    );
    let elsewhere = PgBudget::new(pool.clone(), "another token", rpm(600));
    let free = elsewhere.reserve_slot(LONG).await.unwrap();
    assert!(free.wait() < Duration::from_secs(1), "budgets are per key");
}

#[sqlx::test(migrations = false)]
async fn a_pause_that_has_passed_delays_nobody(pool: PgPool) {
    migrated(&pool).await;
    let budget = PgBudget::new(pool, "k", rpm(600));
    budget.pause(Duration::ZERO).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(budget.reserve_slot(LONG).await.unwrap().wait() < Duration::from_millis(500));
}

#[sqlx::test(migrations = false)]
async fn the_key_identifies_the_token_without_containing_it(pool: PgPool) {
    migrated(&pool).await;
    let token = SecretString::from(TOKEN);
    let key = token_key(&token);
    assert!(key.starts_with("sha256:") && key.len() == 7 + 16, "{key}");
    assert_eq!(key, token_key(&SecretString::from(TOKEN)), "stable");
    assert_ne!(key, token_key(&SecretString::from("0/another")));
    let budget = PgBudget::for_token(pool.clone(), &token, rpm(150));
    budget.reserve_slot(LONG).await.unwrap();
    budget.pause(Duration::from_secs(1)).await.unwrap();
    let rows: Vec<String> = sqlx::query_scalar("select row_to_json(r)::text from rate_budgets r")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    for text in rows
        .iter()
        .map(String::as_str)
        .chain([key.as_str(), &format!("{budget:?}")])
    {
        assert!(!text.contains(TOKEN) && !text.contains("s3cr3t"), "{text}");
    }
    assert!(rows[0].contains(&key));
}

#[tokio::test]
async fn an_unreachable_database_refuses_the_booking() {
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy("postgres://aegis@127.0.0.1:1/aegis")
        .unwrap();
    let budget = PgBudget::new(pool, "k", rpm(150));
    let error = budget.reserve(LONG).await.unwrap_err();
    assert!(error.to_string().contains("unreachable"), "{error}");
    budget.pause_all(Duration::from_secs(1)).await; // logged, not fatal
}
