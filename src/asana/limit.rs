//! Admission control before each request: a cap on requests in flight, a
//! pause that every request honours after a 429 (`Retry-After`), and the
//! requests-per-minute budget (governor).
//!
//! # The budget never exceeds `rpm` in any minute
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
//! The limiter is per client (per process). Several processes sharing one
//! token must split `ASANA_REQUESTS_PER_MINUTE` between them, or coordinate
//! through a shared budget outside this module.

use std::{num::NonZeroU32, sync::Mutex, time::Duration};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::{
    sync::{Semaphore, SemaphorePermit},
    time::Instant,
};

use super::stats::Recorder;

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

/// Rate, concurrency and 429-pause gates, shared by every clone of a client.
pub(crate) struct Limiter {
    rate: DefaultDirectRateLimiter,
    in_flight: Semaphore,
    paused_until: Mutex<Option<Instant>>,
}

impl Limiter {
    pub(crate) fn new(rpm: NonZeroU32, max_in_flight: usize) -> Self {
        Self {
            rate: RateLimiter::direct(quota(rpm)),
            in_flight: Semaphore::new(max_in_flight.max(1)),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits for an in-flight slot, for any 429 pause to pass, then for the
    /// rate budget. Hold the permit until the response body is read.
    pub(crate) async fn admit(&self, stats: &Recorder) -> SemaphorePermit<'_> {
        #[allow(clippy::expect_used)]
        let permit = self
            .in_flight
            .acquire()
            .await
            .expect("the in-flight semaphore is never closed");
        self.wait_for_pause(stats).await;
        self.rate.until_ready().await;
        permit
    }

    /// Holds every request of this client until `wait` from now has passed
    /// (or longer, if a pause already runs past that).
    pub(crate) fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.lock();
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Most admissions in a 60 s half-open window: b + ceil(60 s / T) - 1.
    fn worst_minute(rpm: u32) -> u64 {
        let rpm = NonZeroU32::new(rpm).unwrap();
        let q = quota(rpm);
        let period = q.replenish_interval().as_nanos();
        let b = u128::from(q.burst_size().get());
        (b + 60_000_000_000_u128.div_ceil(period) - 1) as u64
    }

    #[test]
    fn no_minute_exceeds_the_budget() {
        for rpm in [1, 2, 10, 29, 30, 60, 150, 151, 1500, 10_000] {
            let worst = worst_minute(rpm);
            assert!(worst <= u64::from(rpm), "rpm {rpm}: worst minute {worst}");
            assert!(
                worst + 1 >= u64::from(rpm),
                "rpm {rpm}: wastes budget ({worst})"
            );
        }
    }

    #[tokio::test]
    async fn admits_a_burst_then_paces() {
        let limiter = Limiter::new(NonZeroU32::new(150).unwrap(), 10);
        let stats = Recorder::default();
        for _ in 0..5 {
            assert!(limiter.rate.check().is_ok());
        }
        assert!(limiter.rate.check().is_err(), "burst of 5 for 150 rpm");
        drop(limiter.admit(&stats).await);
    }

    #[tokio::test]
    async fn a_pause_holds_later_requests() {
        let limiter = Limiter::new(NonZeroU32::new(6000).unwrap(), 2);
        let stats = Recorder::default();
        limiter.pause_for(Duration::from_millis(200));
        limiter.pause_for(Duration::from_millis(50)); // never shortens
        let start = std::time::Instant::now();
        drop(limiter.admit(&stats).await);
        assert!(start.elapsed() >= Duration::from_millis(190));
        assert!(stats.snapshot().waited >= Duration::from_millis(150));
    }
}
