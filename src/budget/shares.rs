//! The token's requests in flight, shared by its processes: each
//! [`PgBudget`] instance is a member of its token's `rate_budget_shares`
//! and holds a share of the token's in-flight cap (Asana: 50 concurrent
//! reads), renewed under a lease by the client's in-flight gate. The rule
//! lives in the `share_in_flight` function of the migration: under the
//! budget row's lock, the fair share is `cap / live members` (at least 1,
//! at most what the process wants); a member grows toward it only from free
//! slots and shrinks toward it only as its requests finish, so the shares
//! of live members never add up to more than the cap. A process that dies
//! keeps its slots until its lease lapses; one that stops cleanly gives
//! them back ([`PgBudget::leave_in_flight`]).
//!
//! Cost: one statement per member per renewal (every
//! [`DEFAULT_SHARE_RENEWAL`]), whatever the request rate.

use std::time::Duration;

use super::{PgBudget, Result};

/// Asana's cap on a token's concurrent read requests.
pub const DEFAULT_TOKEN_IN_FLIGHT: usize = crate::asana::TOKEN_IN_FLIGHT;

/// How often a member renews its share.
pub const DEFAULT_SHARE_RENEWAL: Duration = Duration::from_secs(1);

/// How long a share outlives its last renewal (a process frozen or killed
/// keeps its slots this long; a live one renews every second).
pub const DEFAULT_SHARE_LEASE: Duration = Duration::from_secs(10);

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl PgBudget {
    /// Renews this member's share of the token's in-flight cap, wanting
    /// `want` slots with `in_use` requests in flight now, and returns how
    /// many it may have in flight (possibly fewer than `in_use`: then it
    /// waits for some to finish before sending more).
    ///
    /// # Errors
    /// When the database is unreachable.
    pub async fn renew_in_flight(&self, want: usize, in_use: usize) -> Result<usize> {
        let lease = i64::try_from(self.share_lease.as_micros()).unwrap_or(i64::MAX);
        let granted: i32 = sqlx::query_scalar("select share_in_flight($1, $2, $3, $4, $5, $6)")
            .bind(&self.key)
            .bind(self.member)
            .bind(count(self.token_in_flight))
            .bind(count(want.max(1)))
            .bind(count(in_use))
            .bind(lease)
            .fetch_one(&self.pool)
            .await?;
        Ok(usize::try_from(granted).unwrap_or(0))
    }

    /// Gives this member's slots back at once (a clean stop).
    ///
    /// # Errors
    /// When the database is unreachable.
    pub async fn leave_in_flight(&self) -> Result<()> {
        sqlx::query("delete from rate_budget_shares where key = $1 and member = $2")
            .bind(&self.key)
            .bind(self.member)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The same budget with another token-wide in-flight cap (at least 1).
    pub fn with_token_in_flight(mut self, cap: usize) -> Self {
        self.token_in_flight = cap.max(1);
        self
    }
}

#[cfg(test)]
mod tests;
