//! Admission control before each request: a cap on requests in flight, a
//! pause that every request honours after a 429 (`Retry-After`), and the
//! requests-per-minute budget — either this process's own (governor,
//! [`Budget::Local`]) or one shared by every process of the token
//! ([`Budget::Shared`], e.g. `aegis::budget::PgBudget` in Postgres).
//!
//! # The local budget never exceeds `rpm` in any minute
//!
//! governor implements GCRA: with an emission interval `T` and a burst `b`, the
//! most cells any half-open window of length `W` can admit is
//! `b + ceil(W / T) - 1`. `Quota::per_minute(rpm)` alone sets `b = rpm`, which
//! lets up to `2·rpm - 1` requests through in the first minute (a full burst,
//! then the steady rate). Asana evaluates its quota over a sliding window, so
//! that would earn 429s. Here the interval is stretched to
//! `T = 60 s / (rpm - b + 1)` (rounded up), which makes the bound for a
//! 60 s window `b + (rpm - b + 1) - 1 = rpm` exactly, while a small burst
//! (`b = clamp(rpm / 30, 1, 5)`) still lets a sync start without waiting.
//!
//! The local limiter is per client (per process): N processes on one token
//! with `Budget::Local` may send N × rpm. Worker fleets use `Budget::Shared`.
//!
//! # The shared budget
//!
//! Each attempt, once it holds an in-flight permit and no local pause runs,
//! asks the [`SharedBudget`] for a slot and sleeps until it. The permit is
//! taken *before* the slot so that the request leaves as soon as its slot
//! comes (a late departure is jitter the budget must absorb). A slot farther
//! than `max_retry_wait` is neither booked nor slept: the request ends with a
//! retryable error carrying the wait, as a long `Retry-After` does. If a 429 arrives in
//! this process while a request sleeps towards its slot, that slot lies
//! inside the pause: the request waits for the pause and books a fresh slot.
//! An unreachable budget fails the request (retryable); it is never bypassed.
//!
//! # Concurrency
//!
//! A cap on requests in flight ([`flights`]): alone, `max_in_flight`; with
//! a shared budget that shares the token's cap (Asana rejects more than 50
//! concurrent reads per token), this process's share of it, so that a
//! fleet of any size stays under the cap.

use std::{fmt, num::NonZeroU32, sync::Arc, sync::Mutex, time::Duration};

use futures::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

use flights::{Flight, Flights};

use super::{
    BoxError,
    hold::{DEFAULT_PROBE_INTERVAL, HoldReason, Outcome, Reported},
    stats::Recorder,
};

/// A requests-per-minute budget shared by every process that uses one Asana
/// token. Implementations keep their state where all processes see it (aegis:
/// Postgres, `aegis::budget::PgBudget`) and use one clock for everyone.
pub trait SharedBudget: fmt::Debug + Send + Sync {
    /// Books the token's next request slot if it is at most `max_wait` away,
    /// and says how long from now the request must wait for it (zero when
    /// the slot is now). A farther slot is not booked ([`Booking::Later`]),
    /// so that a request handed back to its caller wastes no slot. Slots
    /// honour any pause set by [`pause_all`](Self::pause_all).
    ///
    /// # Errors
    /// When the shared state cannot be reached; the request is then not sent.
    fn reserve(&self, max_wait: Duration) -> BoxFuture<'_, Result<Booking, BoxError>>;

    /// Holds every process's requests until `retry_after` from now (a 429's
    /// `Retry-After`); never shortens a pause already set. Best effort: an
    /// implementation logs a failure rather than failing the request.
    fn pause_all(&self, retry_after: Duration) -> BoxFuture<'_, ()>;

    /// While the token's work is held ([`Booking::Held`]), claims the next
    /// probe for this caller and books its slot: `Some(wait)` when this
    /// caller probes (after `wait`), `None` when the probe is not due (or
    /// there is no hold). `force` claims it even before it is due (a
    /// worker's check of its token at start). A budget without holds
    /// never claims.
    ///
    /// # Errors
    /// When the shared state cannot be reached.
    fn claim_probe(&self, force: bool) -> BoxFuture<'_, Result<Option<Duration>, BoxError>> {
        let _ = force;
        Box::pin(async { Ok(None) })
    }

    /// Tells the budget what Asana answered, for the hold: a 401 holds the
    /// token's work, failures in a row open the circuit, a success lifts
    /// either. Report successes only when the booking said
    /// [`failing`](Booking::Slot::failing) or after a probe. Best effort:
    /// an implementation logs a failure to record it.
    fn report(&self, outcome: Outcome) -> BoxFuture<'_, Reported> {
        let _ = outcome;
        Box::pin(async { Reported::default() })
    }

    /// How long apart probes of a held token are.
    fn probe_interval(&self) -> Duration {
        DEFAULT_PROBE_INTERVAL
    }

    /// `Some((renewal, lease))` when this budget shares the token's cap on
    /// requests in flight among its processes: each renews its share every
    /// `renewal`, and a share not renewed for `lease` lapses. `None` (the
    /// default): each process keeps its own `max_in_flight`.
    fn in_flight_lease(&self) -> Option<(Duration, Duration)> {
        None
    }

    /// Renews this process's share of the token's cap, wanting `want` with
    /// `in_use` requests in flight now; returns how many it may have in
    /// flight. The shares of live processes never add up to more than the
    /// cap.
    ///
    /// # Errors
    /// When the shared state cannot be reached.
    fn renew_in_flight(
        &self,
        want: usize,
        in_use: usize,
    ) -> BoxFuture<'_, Result<usize, BoxError>> {
        let _ = in_use;
        Box::pin(async move { Ok(want) })
    }

    /// Gives this process's share back (a clean stop). Best effort.
    fn leave_in_flight(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// A [`SharedBudget`]'s answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Booking {
    /// A slot is booked: send after this wait.
    Slot {
        /// How long from now the slot is.
        wait: Duration,
        /// Whether the token's last answers were failures (report the
        /// outcome, so that a success ends the run of failures).
        failing: bool,
    },
    /// Nothing booked: the next slot is this far away, beyond `max_wait`.
    Later(Duration),
    /// Nothing booked: the token's work is held; its next probe is due in
    /// `retry_in` (zero: due now, see [`SharedBudget::claim_probe`]).
    Held {
        /// Why.
        reason: HoldReason,
        /// When the next probe is due.
        retry_in: Duration,
    },
}

/// Where a client's requests-per-minute budget lives.
#[derive(Clone, Default)]
pub enum Budget {
    /// This client's own governor limiter: right for one process per token.
    #[default]
    Local,
    /// One budget for every process of the token.
    Shared(Arc<dyn SharedBudget>),
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local => f.write_str("Local"),
            Self::Shared(shared) => f.debug_tuple("Shared").field(shared).finish(),
        }
    }
}

/// Why admission did not let a request go.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The shared budget could not be reached.
    Unreachable(BoxError),
    /// The shared budget's next slot is this far away, beyond `max_retry_wait`.
    Later(Duration),
    /// The token's work is held; the next probe is due in this long.
    Held(HoldReason, Duration),
}

/// The burst allowed on top of the steady rate.
fn burst(rpm: NonZeroU32) -> NonZeroU32 {
    NonZeroU32::new((rpm.get() / 30).clamp(1, 5)).unwrap_or(NonZeroU32::MIN)
}

/// The quota described in the module docs: at most `rpm` requests in any
/// 60-second window.
pub(crate) fn quota(rpm: NonZeroU32) -> Quota {
    let burst = burst(rpm);
    let steady = u64::from(rpm.get() - burst.get() + 1);
    let period_ns = 60_000_000_000_u64.div_ceil(steady);
    Quota::with_period(Duration::from_nanos(period_ns))
        .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// The rate gate: this process's governor, or the shared budget.
enum Pace {
    Local(DefaultDirectRateLimiter),
    Shared(Arc<dyn SharedBudget>),
}

/// Rate, concurrency and 429-pause gates, shared by every clone of a client.
pub(crate) struct Limiter {
    pace: Pace,
    flights: Arc<Flights>,
    paused_until: Mutex<Option<Instant>>,
    /// Longest wait for a shared slot slept in memory.
    max_wait: Duration,
}

impl Limiter {
    pub(crate) fn new(
        rpm: NonZeroU32,
        max_in_flight: usize,
        budget: &Budget,
        max_wait: Duration,
    ) -> Self {
        let (pace, flights) = match budget {
            Budget::Local => (
                Pace::Local(RateLimiter::direct(quota(rpm))),
                Flights::new(max_in_flight, None),
            ),
            Budget::Shared(shared) => (
                Pace::Shared(Arc::clone(shared)),
                Flights::new(max_in_flight, Some(shared)),
            ),
        };
        Self {
            pace,
            flights,
            paused_until: Mutex::new(None),
            max_wait,
        }
    }

    /// A place in flight, without booking a rate slot (a probe books its
    /// own with [`SharedBudget::claim_probe`]).
    pub(crate) async fn permit(&self) -> Result<Flight<'_>, Refused> {
        self.flights.enter().await.map_err(Refused::Unreachable)
    }

    /// The shared budget, if the rate lives in one.
    pub(crate) fn shared(&self) -> Option<&Arc<dyn SharedBudget>> {
        match &self.pace {
            Pace::Shared(shared) => Some(shared),
            Pace::Local(_) => None,
        }
    }

    /// Waits for an in-flight slot, for any 429 pause to pass, then for the
    /// rate budget. Hold the permit until the response body is read. The
    /// flag says whether the token's last answers were failures.
    pub(crate) async fn admit(&self, stats: &Recorder) -> Result<(Flight<'_>, bool), Refused> {
        let permit = self.permit().await?;
        loop {
            self.wait_for_pause(stats).await;
            let started = Instant::now();
            match &self.pace {
                Pace::Local(rate) => {
                    rate.until_ready().await;
                    stats.paced(started.elapsed());
                    return Ok((permit, false));
                }
                Pace::Shared(shared) => {
                    let booking = shared.reserve(self.max_wait).await;
                    let (wait, failing) = match booking.map_err(Refused::Unreachable)? {
                        Booking::Slot { wait, failing } => (wait, failing),
                        Booking::Later(wait) => return Err(Refused::Later(wait)),
                        Booking::Held { reason, retry_in } => {
                            return Err(Refused::Held(reason, retry_in));
                        }
                    };
                    tokio::time::sleep(wait).await;
                    stats.paced(started.elapsed());
                    if !self.is_paused() {
                        return Ok((permit, failing));
                    }
                    // A 429 came in while this request slept: its slot lies
                    // inside the pause. Wait the pause out, book a new slot.
                }
            }
        }
    }

    /// Holds every request of this client (and, with a shared budget, of
    /// every process of the token) until `wait` from now has passed, or
    /// longer if a pause already runs past that.
    pub(crate) async fn pause(&self, wait: Duration) {
        self.pause_for(wait);
        if let Pace::Shared(shared) = &self.pace {
            shared.pause_all(wait).await;
        }
    }

    /// The local half of [`pause`](Self::pause).
    pub(crate) fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.lock();
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    /// How long this client's 429 pause still lasts, if one runs.
    pub(crate) fn pause_left(&self) -> Option<Duration> {
        let until = (*self.lock())?;
        until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }

    fn is_paused(&self) -> bool {
        self.lock().is_some_and(|until| until > Instant::now())
    }

    async fn wait_for_pause(&self, stats: &Recorder) {
        loop {
            let until = *self.lock();
            let now = Instant::now();
            match until {
                Some(until) if until > now => {
                    stats.waited(until - now);
                    tokio::time::sleep_until(until).await;
                }
                _ => return,
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // The guarded value is a plain Instant: a poisoned lock still holds a
        // valid one.
        self.paused_until.lock().unwrap_or_else(|p| p.into_inner())
    }
}

mod flights;
#[cfg(test)]
mod tests;
