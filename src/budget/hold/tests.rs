//! The hold in the budget row against a real database: failures in a row
//! from two "processes" open the circuit once, a 401 holds at once, one
//! probe per interval is claimed over the fleet, a success lifts the hold.

use std::num::NonZeroU32;

use sqlx::PgPool;

use super::*;
use crate::asana::{Booking, SharedBudget};

const LONG: Duration = Duration::from_secs(3600);

fn budget(pool: &PgPool, probe: Duration) -> PgBudget {
    PgBudget::new(pool.clone(), "k", NonZeroU32::new(6000).unwrap()).with_hold(probe, 3)
}

async fn held(budget: &PgBudget) -> Option<HoldReason> {
    match budget.reserve(LONG).await.unwrap() {
        Booking::Held { reason, .. } => Some(reason),
        _ => None,
    }
}

#[sqlx::test(migrations = false)]
async fn failures_in_a_row_open_the_circuit_once_and_a_success_closes_it(pool: PgPool) {
    crate::store::migrate(&pool, &crate::store::Schema::public())
        .await
        .unwrap();
    let (one, two) = (budget(&pool, LONG), budget(&pool, LONG));
    one.reserve_slot(LONG).await.unwrap();
    assert!(!one.record(Outcome::Failure).await.unwrap().changed);
    assert!(
        one.reserve_slot(LONG).await.unwrap().failing,
        "the booking says so"
    );
    assert!(!two.record(Outcome::Failure).await.unwrap().changed);
    let opened = one.record(Outcome::Failure).await.unwrap();
    assert_eq!(
        (opened.hold, opened.changed),
        (Some(HoldReason::Outage), true)
    );
    assert!(
        !two.record(Outcome::Failure).await.unwrap().changed,
        "logged once"
    );
    assert_eq!(
        held(&two).await,
        Some(HoldReason::Outage),
        "every process holds"
    );
    assert_eq!(two.claim_probe_slot(false).await.unwrap(), None, "not due");
    assert!(
        two.claim_probe_slot(true).await.unwrap().is_some(),
        "forced"
    );
    let closed = two.record(Outcome::Success).await.unwrap();
    assert_eq!((closed.hold, closed.changed), (None, true));
    assert!(closed.lasted.is_some());
    assert_eq!(held(&one).await, None);
    assert!(
        !one.reserve_slot(LONG).await.unwrap().failing,
        "the run of failures ended"
    );
}

#[sqlx::test(migrations = false)]
async fn a_401_holds_at_once_and_one_probe_per_interval_is_claimed(pool: PgPool) {
    crate::store::migrate(&pool, &crate::store::Schema::public())
        .await
        .unwrap();
    let (one, two) = (budget(&pool, Duration::ZERO), budget(&pool, LONG));
    one.reserve_slot(LONG).await.unwrap();
    let set = one.record(Outcome::Unauthorized).await.unwrap();
    assert_eq!(
        (set.hold, set.changed),
        (Some(HoldReason::Unauthorized), true)
    );
    assert!(!two.record(Outcome::Unauthorized).await.unwrap().changed);
    assert_eq!(held(&two).await, Some(HoldReason::Unauthorized));
    // Due at once (interval zero for `one`): the first claim wins; `two`'s
    // claim moves the next probe an hour on, so nobody claims after it.
    assert!(one.claim_probe_slot(false).await.unwrap().is_some());
    assert!(two.claim_probe_slot(false).await.unwrap().is_some());
    assert_eq!(one.claim_probe_slot(false).await.unwrap(), None);
    assert_eq!(two.claim_probe_slot(false).await.unwrap(), None);
    let failed = one.record(Outcome::Failure).await.unwrap();
    assert_eq!(
        failed.hold,
        Some(HoldReason::Unauthorized),
        "a 5xx keeps the 401's hold"
    );
}

/// Seconds from the database's now until the token's next probe.
async fn next_probe_in(pool: &PgPool) -> f64 {
    sqlx::query_scalar(
        "select extract(epoch from probe_at - clock_timestamp())::float8 \
         from rate_budgets where key = 'k'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn probes_back_off_with_the_holds_age_up_to_ten_intervals(pool: PgPool) {
    crate::store::migrate(&pool, &crate::store::Schema::public())
        .await
        .unwrap();
    let one = budget(&pool, Duration::from_secs(2));
    one.reserve_slot(LONG).await.unwrap();
    one.record(Outcome::Unauthorized).await.unwrap();
    for (age, want) in [(0, 2.0), (80, 10.0), (4000, 20.0)] {
        sqlx::query(
            "update rate_budgets set probe_at = clock_timestamp(), \
             hold_since = clock_timestamp() - make_interval(secs => $1)",
        )
        .bind(f64::from(age))
        .execute(&pool)
        .await
        .unwrap();
        assert!(one.claim_probe_slot(false).await.unwrap().is_some(), "due");
        let next = next_probe_in(&pool).await;
        assert!(
            (want - 0.5..=want + 0.5).contains(&next),
            "a hold {age} s old probes again in {next} s, not ~{want} s"
        );
    }
}
