//! The token's hold in its budget row: a 401 or failures in a row (the
//! circuit) stop every process of the token from sending, while one
//! process at a time probes Asana (see [`crate::asana`]'s hold).
//!
//! - `failures` counts 5xx and connection failures in a row over all the
//!   token's processes; a success (reported only when the booking said the
//!   token was failing, so a healthy token costs no extra statement) sets
//!   it back to 0. At `circuit_after` the circuit opens: `hold = 'outage'`.
//! - A 401 sets `hold = 'unauthorized'` at once.
//! - While `hold` is set no slot is booked ([`PgBudget::reserve_slot`]
//!   says so); the first caller at or after `probe_at` claims the probe
//!   ([`PgBudget::claim_probe_slot`]), which books it a slot and moves
//!   `probe_at` one probe interval on, so the whole fleet sends one probe
//!   per interval whatever its size. The first success lifts the hold.
//!
//! - Probes back off with the hold's age: the next one is due after the
//!   larger of the probe interval and an eighth of the time the hold has
//!   lasted, at most ten probe intervals. A 30-minute outage at the default
//!   30 s interval costs about 25 probes (8 in the first four minutes, then
//!   one per eighth of the age), and work resumes at most an eighth of the
//!   outage (at most five minutes) after Asana is back.
//!
//! Every change is one statement under the row lock; whether it changed
//! the hold is read in the same statement, so exactly one process logs
//! each change.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{PgBudget, Result, Slot};
use crate::asana::{HoldReason, Outcome, Reported};

/// `(hold after, whether the statement changed it, seconds the lifted hold lasted)`.
type Change = (Option<String>, bool, Option<f64>);

/// The next probe waits at least the hold's age divided by this.
const PROBE_BACKOFF_DIVISOR: f64 = 8.0;

/// … and at most this many probe intervals.
const PROBE_BACKOFF_MAX_FACTOR: i64 = 10;

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

impl PgBudget {
    /// Claims the token's next probe and books its slot: while the token is
    /// held and the probe is due (or at once with `force`, or with no hold
    /// when forced: a start-up check). `None` when the probe is not this
    /// caller's.
    ///
    /// # Errors
    /// When the database is unreachable.
    pub async fn claim_probe_slot(&self, force: bool) -> Result<Option<Slot>> {
        let slot = sqlx::query_as::<_, (DateTime<Utc>, DateTime<Utc>)>(
            "insert into rate_budgets as b (key, next_slot, updated_at)
             values ($1, clock_timestamp() + $2 * interval '1 microsecond', clock_timestamp())
             on conflict (key) do update set
                 next_slot = greatest(b.next_slot, clock_timestamp(), b.paused_until)
                             + $2 * interval '1 microsecond',
                 probe_at = case when b.hold is null then null
                                 else clock_timestamp() + greatest(
                                     $3 * interval '1 microsecond',
                                     least((clock_timestamp() - b.hold_since) / $5,
                                           $3 * $6 * interval '1 microsecond')) end,
                 updated_at = clock_timestamp()
             where $4 or (b.hold is not null and b.probe_at <= clock_timestamp())
             returning b.next_slot - $2 * interval '1 microsecond', clock_timestamp()",
        )
        .bind(&self.key)
        .bind(self.interval_us())
        .bind(micros(self.probe_interval))
        .bind(force)
        .bind(PROBE_BACKOFF_DIVISOR)
        .bind(PROBE_BACKOFF_MAX_FACTOR)
        .fetch_optional(&self.pool)
        .await?;
        Ok(slot.map(|(at, now)| Slot {
            at,
            now,
            booked: true,
            failing: true,
            hold: None,
        }))
    }

    /// Records what Asana answered (see the module docs).
    ///
    /// # Errors
    /// When the database is unreachable.
    pub async fn record(&self, outcome: Outcome) -> Result<Reported> {
        let change: Option<Change> = match outcome {
            Outcome::Success => self.succeeded().await?,
            Outcome::Failure => self.failed().await?,
            Outcome::Unauthorized => self.unauthorized().await?,
        };
        let Some((hold, changed, lasted)) = change else {
            return Ok(Reported::default());
        };
        Ok(Reported {
            hold: hold.as_deref().and_then(HoldReason::parse),
            changed,
            lasted: lasted.map(|s| Duration::from_secs_f64(s.max(0.0))),
        })
    }

    async fn succeeded(&self) -> Result<Option<Change>> {
        Ok(sqlx::query_as(
            "with old as (select key, hold, hold_since from rate_budgets
                          where key = $1 and (failures > 0 or hold is not null) for update)
             update rate_budgets b set failures = 0, hold = null, hold_since = null,
                 probe_at = null, updated_at = clock_timestamp()
             from old where b.key = old.key
             returning b.hold, old.hold is not null,
                 extract(epoch from clock_timestamp() - old.hold_since)::float8",
        )
        .bind(&self.key)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn failed(&self) -> Result<Option<Change>> {
        Ok(sqlx::query_as(
            "with old as (select key, hold from rate_budgets where key = $1 for update)
             update rate_budgets b set failures = b.failures + 1,
                 hold = case when b.hold is null and b.failures + 1 >= $2 then 'outage'
                             else b.hold end,
                 hold_since = case when b.hold is null and b.failures + 1 >= $2
                                   then clock_timestamp() else b.hold_since end,
                 probe_at = case when b.hold is null and b.failures + 1 >= $2
                     then clock_timestamp() + $3 * interval '1 microsecond' else b.probe_at end,
                 updated_at = clock_timestamp()
             from old where b.key = old.key
             returning b.hold, old.hold is distinct from b.hold, null::float8",
        )
        .bind(&self.key)
        .bind(i32::try_from(self.circuit_after).unwrap_or(i32::MAX))
        .bind(micros(self.probe_interval))
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn unauthorized(&self) -> Result<Option<Change>> {
        Ok(sqlx::query_as(
            "with old as (select key, hold from rate_budgets where key = $1 for update)
             update rate_budgets b set hold = 'unauthorized',
                 hold_since = case when b.hold = 'unauthorized' then b.hold_since
                                   else clock_timestamp() end,
                 probe_at = case when b.hold = 'unauthorized' then b.probe_at
                     else clock_timestamp() + $2 * interval '1 microsecond' end,
                 updated_at = clock_timestamp()
             from old where b.key = old.key
             returning b.hold, old.hold is distinct from b.hold, null::float8",
        )
        .bind(&self.key)
        .bind(micros(self.probe_interval))
        .fetch_optional(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests;
