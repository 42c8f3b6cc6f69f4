//! The shared Asana rate budget in Postgres ([`PgBudget`]): every worker
//! process of one token, on any machine, books its requests in one row of
//! `rate_budgets`, so that together they never exceed the token's
//! `ASANA_REQUESTS_PER_MINUTE`, and a 429 seen by one pauses them all. This
//! module owns that table; the client sees it through
//! `SharedBudget` ([`crate::asana::SharedBudget`]) and never touches sqlx.
//!
//! # Virtual scheduling (GCRA) in one row
//!
//! The row holds `next_slot`, the earliest moment the token's next request
//! may leave. A request books its slot with one statement that takes the row
//! lock, sets `slot = greatest(next_slot, now, paused_until)` and
//! `next_slot = slot + T`, and returns `slot - now`; the caller sleeps that
//! long. "now" is the database's `clock_timestamp()`, read under the row
//! lock, so machines whose clocks disagree still share one timeline, and a
//! statement that waited for the lock does not book a slot in the past.
//! Slots are therefore strictly increasing and at least `T` apart, whichever
//! process booked them. A slot farther away than the caller would wait
//! (`max_retry_wait`: a long pause) is not booked, so requests handed back to
//! their jobs leave no holes in the schedule. Timestamps are whole microseconds; `T` is rounded up
//! to one, so the spacing is exact.
//!
//! # The interval: `T = (60 s + margin) / rpm`
//!
//! Asana counts *arrivals* in a sliding 60 s window. A request arrives at
//! `slot + d`, where the delay `d` (the reply's trip back from Postgres,
//! timer overshoot, connection set-up, a busy scheduler, the network) is
//! never negative: a request never leaves before its slot. If every `d` lies
//! in `[0, J]`, the arrivals inside any 60 s window come from slots inside a
//! window of `60 s + J`, and slots `T` apart fill at most
//! `ceil((60 s + J) / T)` of those. With `T = (60 s + margin) / rpm` that is
//! `rpm` for any `J ≤ margin`. The default margin is 1 s
//! ([`DEFAULT_JITTER_MARGIN`]): a full second of spread between two
//! requests' delays before one extra request can land in a window, for a
//! cost of 1/61 ≈ 1.6 % of throughput (150 rpm → 147.5, 1500 → 1475).
//! A fixed "rpm − 1" would protect 400 ms at 150 rpm but only 40 ms at
//! 1500; a time margin protects the same jitter at every budget.
//!
//! # No burst
//!
//! A burst `b` (letting `next_slot` lag `(b − 1)·T` behind now) is only safe
//! with a longer interval: the worst 60 s window then holds
//! `b + ceil((60 s + J) / T) − 1` requests, so `T` must grow to
//! `(60 s + J) / (rpm − b + 1)`, every minute, to buy `b − 1` requests of
//! head start after an idle spell. A sync is bound by its total requests,
//! not by the first few, and with several processes the head start is split
//! among them anyway; so the budget has no burst and keeps the full rate.
//! After an idle spell the first request still leaves at once.
//!
//! # Pauses
//!
//! A 429 (or 503) with `Retry-After: r` sets `paused_until` to at least
//! `now + r` for the token: every later booking starts after it. Slots
//! booked before the pause are already promised; a process that saw the 429
//! itself re-books those (see the client's admission), the others' few
//! (at most their in-flight cap each) still go.
//!
//! # Holds
//!
//! The row also holds the token's work when Asana rejects the token (401)
//! or keeps failing (the circuit): no slot is booked then, and one process
//! per probe interval probes Asana; see [`hold`].
//!
//! # Keys and clocks
//!
//! The key is `sha256:` and the first 16 hex digits of SHA-256 over a fixed
//! label and the token ([`token_key`]): stable per token, the token neither
//! stored nor recoverable. All processes of a token must be configured with
//! the same `ASANA_REQUESTS_PER_MINUTE`; each spaces the slots it books by its
//! own interval.
//!
//! # Concurrency
//!
//! The slots bound the rate, not the requests in flight. Those are shared
//! too ([`shares`]): each process holds a share of the token's cap (Asana's
//! 50 concurrent reads), at most its own `AsanaConfig::max_in_flight`, so a
//! fleet of any size stays under the cap.

use std::{fmt, num::NonZeroU32, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tracing::warn;
use uuid::Uuid;

pub use shares::{DEFAULT_SHARE_LEASE, DEFAULT_SHARE_RENEWAL, DEFAULT_TOKEN_IN_FLIGHT};

use crate::asana::{
    AsanaConfig, Booking, BoxError, Budget, DEFAULT_CIRCUIT_AFTER, DEFAULT_PROBE_INTERVAL,
    HoldReason, Outcome, Reported, SharedBudget,
};

/// How far apart two requests' delays (booking to arrival at Asana) may
/// drift before a 60 s window could hold one request too many.
pub const DEFAULT_JITTER_MARGIN: Duration = Duration::from_secs(1);

/// The longest wait a booking accepts, whatever the caller asks (keeps the
/// timestamp arithmetic in range).
const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// Errors of the shared budget.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database could not be reached or refused the statement.
    #[error("the shared Asana rate budget in Postgres is unreachable: {0}")]
    Database(#[from] sqlx::Error),
}

/// The budget's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The key of a token's budget: `sha256:<16 hex digits>`. It identifies the
/// token without containing it or letting it be recovered.
pub fn token_key(token: &SecretString) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"aegis rate budget\0");
    hasher.update(token.expose_secret().as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The spacing of slots for `rpm` requests per minute with `margin` of
/// jitter tolerance: `(60 s + margin) / rpm`, rounded up to a microsecond.
pub fn interval(rpm: NonZeroU32, margin: Duration) -> Duration {
    let window_us = 60_000_000_u128 + margin.as_micros();
    let us = window_us.div_ceil(u128::from(rpm.get()));
    Duration::from_micros(u64::try_from(us).unwrap_or(u64::MAX))
}

/// Makes `config`'s client draw from the token's budget in `pool`, at
/// `config.requests_per_minute`, with the default margin.
pub fn share(config: &mut AsanaConfig, pool: PgPool) {
    let budget = PgBudget::for_token(pool, &config.token, config.requests_per_minute)
        .with_hold(config.probe_interval, config.circuit_after)
        .with_token_in_flight(config.token_in_flight);
    config.budget = Budget::Shared(Arc::new(budget));
}

/// A booked slot, on the database's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// When the request may leave.
    pub at: DateTime<Utc>,
    /// The database's clock when the slot was booked.
    pub now: DateTime<Utc>,
    /// Whether it was booked; not when farther than the caller would wait,
    /// nor while the token's work is held.
    pub booked: bool,
    /// Whether the token's last answers were failures.
    pub failing: bool,
    /// The token's hold and when its next probe is due, if it is held.
    pub hold: Option<(HoldReason, DateTime<Utc>)>,
}

impl Slot {
    /// How long to sleep for the slot (zero if it is now or past).
    pub fn wait(&self) -> Duration {
        (self.at - self.now).to_std().unwrap_or(Duration::ZERO)
    }
}

/// One token's requests-per-minute budget, shared through Postgres. Build
/// one per process (or per client); all instances with the same key share it.
#[derive(Clone)]
pub struct PgBudget {
    pool: PgPool,
    key: String,
    rpm: NonZeroU32,
    interval: Duration,
    probe_interval: Duration,
    circuit_after: u32,
    /// This instance's membership in the token's in-flight shares.
    member: Uuid,
    token_in_flight: usize,
    share_renewal: Duration,
    share_lease: Duration,
}

impl PgBudget {
    /// The budget named `key` at `rpm` requests per minute, with
    /// [`DEFAULT_JITTER_MARGIN`].
    pub fn new(pool: PgPool, key: impl Into<String>, rpm: NonZeroU32) -> Self {
        Self {
            pool,
            key: key.into(),
            rpm,
            interval: interval(rpm, DEFAULT_JITTER_MARGIN),
            probe_interval: DEFAULT_PROBE_INTERVAL,
            circuit_after: DEFAULT_CIRCUIT_AFTER,
            member: Uuid::new_v4(),
            token_in_flight: DEFAULT_TOKEN_IN_FLIGHT,
            share_renewal: DEFAULT_SHARE_RENEWAL,
            share_lease: DEFAULT_SHARE_LEASE,
        }
    }

    /// The same budget with another probe interval and circuit threshold
    /// (failures in a row that open it; at least 1). See [`hold`].
    pub fn with_hold(mut self, probe_interval: Duration, circuit_after: u32) -> Self {
        self.probe_interval = probe_interval;
        self.circuit_after = circuit_after.max(1);
        self
    }

    /// The budget of `token` (keyed by [`token_key`]).
    pub fn for_token(pool: PgPool, token: &SecretString, rpm: NonZeroU32) -> Self {
        Self::new(pool, token_key(token), rpm)
    }

    /// The same budget with another jitter margin (see the module docs).
    pub fn with_jitter_margin(mut self, margin: Duration) -> Self {
        self.interval = interval(self.rpm, margin);
        self
    }

    /// The row's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The spacing between two slots.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    fn interval_us(&self) -> i64 {
        i64::try_from(self.interval.as_micros()).unwrap_or(i64::MAX)
    }

    /// Books the next slot if it is at most `max_wait` away: one statement,
    /// under the row lock. A farther slot (a long pause, a long queue) is not
    /// booked; the answer then has `booked: false` and says when it would be.
    ///
    /// # Errors
    /// When the database is unreachable.
    pub async fn reserve_slot(&self, max_wait: Duration) -> Result<Slot> {
        let max_us = i64::try_from(max_wait.min(MAX_WAIT).as_micros()).unwrap_or(i64::MAX);
        let booked = sqlx::query_as::<_, (DateTime<Utc>, DateTime<Utc>, bool)>(
            "insert into rate_budgets as b (key, next_slot, updated_at)
             values ($1, clock_timestamp() + $2 * interval '1 microsecond', clock_timestamp())
             on conflict (key) do update set
                 next_slot = greatest(b.next_slot, clock_timestamp(), b.paused_until)
                             + $2 * interval '1 microsecond',
                 updated_at = clock_timestamp()
             where greatest(b.next_slot, clock_timestamp(), b.paused_until)
                   <= clock_timestamp() + $3 * interval '1 microsecond'
               and b.hold is null
             returning b.next_slot - $2 * interval '1 microsecond', clock_timestamp(),
                       b.failures > 0",
        )
        .bind(&self.key)
        .bind(self.interval_us())
        .bind(max_us)
        .fetch_optional(&self.pool)
        .await?;
        if let Some((at, now, failing)) = booked {
            return Ok(Slot {
                at,
                now,
                booked: true,
                failing,
                hold: None,
            });
        }
        let (at, now, failures, hold, probe_at) = sqlx::query_as::<_, Unbooked>(
            "select greatest(next_slot, clock_timestamp(), paused_until), clock_timestamp(),
                    failures, hold, probe_at
             from rate_budgets where key = $1",
        )
        .bind(&self.key)
        .fetch_one(&self.pool)
        .await?;
        let hold = hold.as_deref().and_then(HoldReason::parse);
        Ok(Slot {
            at,
            now,
            booked: false,
            failing: failures > 0,
            hold: hold.map(|reason| (reason, probe_at.unwrap_or(now))),
        })
    }

    /// Holds every booking of this budget until `retry_after` from now
    /// (never shortens a pause already set).
    ///
    /// # Errors
    /// When the database is unreachable.
    pub async fn pause(&self, retry_after: Duration) -> Result<()> {
        let us = i64::try_from(retry_after.as_micros()).unwrap_or(i64::MAX);
        sqlx::query(
            "insert into rate_budgets as b (key, next_slot, paused_until, updated_at)
             values ($1, clock_timestamp(), clock_timestamp() + $2 * interval '1 microsecond',
                     clock_timestamp())
             on conflict (key) do update set
                 paused_until = greatest(b.paused_until, excluded.paused_until),
                 updated_at = clock_timestamp()",
        )
        .bind(&self.key)
        .bind(us)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// A slot not booked: its time, now, failures in a row, hold, next probe.
type Unbooked = (
    DateTime<Utc>,
    DateTime<Utc>,
    i32,
    Option<String>,
    Option<DateTime<Utc>>,
);

impl SharedBudget for PgBudget {
    fn reserve(&self, max_wait: Duration) -> BoxFuture<'_, Result<Booking, BoxError>> {
        Box::pin(async move {
            let slot = self.reserve_slot(max_wait).await?;
            Ok(match slot.hold {
                Some((reason, probe_at)) => Booking::Held {
                    reason,
                    retry_in: (probe_at - slot.now).to_std().unwrap_or(Duration::ZERO),
                },
                None if slot.booked => Booking::Slot {
                    wait: slot.wait(),
                    failing: slot.failing,
                },
                None => Booking::Later(slot.wait()),
            })
        })
    }

    fn claim_probe(&self, force: bool) -> BoxFuture<'_, Result<Option<Duration>, BoxError>> {
        Box::pin(async move {
            let slot = self.claim_probe_slot(force).await?;
            Ok(slot.map(|s| s.wait()))
        })
    }

    fn report(&self, outcome: Outcome) -> BoxFuture<'_, Reported> {
        Box::pin(async move {
            self.record(outcome).await.unwrap_or_else(|error| {
                warn!(%error, budget.key = %self.key, "could not record Asana's answer in the shared budget");
                Reported::default()
            })
        })
    }

    fn probe_interval(&self) -> Duration {
        self.probe_interval
    }

    fn in_flight_lease(&self) -> Option<(Duration, Duration)> {
        Some((self.share_renewal, self.share_lease))
    }

    fn renew_in_flight(
        &self,
        want: usize,
        in_use: usize,
    ) -> BoxFuture<'_, Result<usize, crate::asana::BoxError>> {
        Box::pin(async move { Ok(self.renew_in_flight(want, in_use).await?) })
    }

    fn leave_in_flight(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(error) = PgBudget::leave_in_flight(self).await {
                warn!(%error, budget.key = %self.key, "could not give back this process's in-flight share");
            }
        })
    }

    fn pause_all(&self, retry_after: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(error) = self.pause(retry_after).await {
                warn!(%error, budget.key = %self.key, "could not pause the shared Asana rate budget");
            }
        })
    }
}

impl fmt::Debug for PgBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgBudget")
            .field("key", &self.key)
            .field("rpm", &self.rpm)
            .field("interval", &self.interval)
            .field("probe_interval", &self.probe_interval)
            .field("circuit_after", &self.circuit_after)
            .field("token_in_flight", &self.token_in_flight)
            .finish_non_exhaustive()
    }
}

pub mod hold;
pub mod shares;
#[cfg(test)]
mod tests;
