//! Shares of the token's in-flight cap against a real database: members
//! joining one by one never hold more than the cap together, and converge
//! to their fair share as their requests finish; a lapsed member's slots
//! go back; a member that leaves gives its slots back at once.

use std::num::NonZeroU32;

use sqlx::PgPool;

use super::*;

fn member(pool: &PgPool) -> PgBudget {
    PgBudget::new(pool.clone(), "k", NonZeroU32::new(6000).unwrap()).with_token_in_flight(50)
}

async fn held(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "select coalesce(sum(held), 0)::int8 from rate_budget_shares \
         where key = 'k' and expires_at > clock_timestamp()",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn migrated(pool: &PgPool) {
    crate::store::migrate(pool, &crate::store::Schema::public())
        .await
        .unwrap();
}

#[sqlx::test(migrations = false)]
async fn eight_busy_members_never_exceed_the_cap_and_converge_to_six_each(pool: PgPool) {
    migrated(&pool).await;
    let members: Vec<PgBudget> = (0..8).map(|_| member(&pool)).collect();
    // Each member keeps as many requests in flight as its share allows.
    let mut in_use = [0_usize; 8];
    for round in 0..6 {
        for (i, m) in members.iter().enumerate() {
            let share = m.renew_in_flight(10, in_use[i]).await.unwrap();
            // Requests beyond the share finish; new ones fill it.
            in_use[i] = share;
            let total = held(&pool).await;
            assert!(total <= 50, "round {round}: {total} slots held");
        }
    }
    assert_eq!(in_use, [6; 8], "every member has its fair share");
    assert_eq!(held(&pool).await, 48);
}

#[sqlx::test(migrations = false)]
async fn a_member_that_keeps_requests_in_flight_keeps_their_slots(pool: PgPool) {
    migrated(&pool).await;
    let (one, two) = (member(&pool), member(&pool));
    assert_eq!(one.renew_in_flight(50, 0).await.unwrap(), 50);
    assert_eq!(two.renew_in_flight(50, 0).await.unwrap(), 0, "nothing free");
    // One's share is now 25, but 40 of its requests are still in flight.
    assert_eq!(one.renew_in_flight(50, 40).await.unwrap(), 25);
    assert_eq!(two.renew_in_flight(50, 0).await.unwrap(), 10);
    assert_eq!(held(&pool).await, 50);
    assert_eq!(one.renew_in_flight(50, 25).await.unwrap(), 25);
    assert_eq!(two.renew_in_flight(50, 10).await.unwrap(), 25);
}

#[sqlx::test(migrations = false)]
async fn lapsed_and_departed_members_give_their_slots_back(pool: PgPool) {
    migrated(&pool).await;
    let (frozen, left, stays) = (member(&pool), member(&pool), member(&pool));
    assert_eq!(frozen.renew_in_flight(10, 0).await.unwrap(), 10);
    assert_eq!(left.renew_in_flight(30, 0).await.unwrap(), 25);
    assert_eq!(stays.renew_in_flight(50, 0).await.unwrap(), 15, "the rest");
    left.leave_in_flight().await.unwrap();
    assert_eq!(
        stays.renew_in_flight(50, 15).await.unwrap(),
        25,
        "two members"
    );
    // The frozen member's lease lapses without a renewal.
    sqlx::query("update rate_budget_shares set expires_at = clock_timestamp() where held = 10")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(stays.renew_in_flight(50, 25).await.unwrap(), 50, "alone");
}
