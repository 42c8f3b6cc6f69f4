//! The per-token limiters behind the gate: a sliding 60-second request
//! window (every request counts, rejected ones included, as at Asana) and
//! the count of GETs in flight. Pure bookkeeping with the clock passed in,
//! so the arithmetic is tested without waiting.

use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
};

/// The window Asana's standard limiter counts over.
pub(super) const WINDOW: Duration = Duration::from_secs(60);

/// The outcome of recording one request in its token's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Admission {
    /// Requests in the window after recording this one.
    pub in_window: u64,
    /// `Some(seconds)` when the request is refused: how long until one more
    /// request would be admitted.
    pub retry_after: Option<u32>,
}

/// Arrival times per token over the last [`WINDOW`].
#[derive(Default)]
pub(super) struct Windows {
    per_token: HashMap<String, VecDeque<Instant>>,
}

impl Windows {
    /// Records a request of `token` at `now` and decides it against `limit`
    /// requests per window: refused when the window already held `limit`.
    pub fn record(&mut self, token: &str, now: Instant, limit: Option<u32>) -> Admission {
        let window = self.per_token.entry(token.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
        {
            window.pop_front();
        }
        let held = window.len();
        window.push_back(now);
        let in_window = window.len() as u64;
        let retry_after = match limit {
            Some(limit) if held >= limit as usize => Some(retry_after(window, limit as usize, now)),
            _ => None,
        };
        Admission {
            in_window,
            retry_after,
        }
    }
}

/// Whole seconds (rounded up, at least 1) until enough entries have left
/// `window` that it holds fewer than `limit`, i.e. one more is admitted.
fn retry_after(window: &VecDeque<Instant>, limit: usize, now: Instant) -> u32 {
    // Entries 0..=k must leave so that len - (k + 1) <= limit - 1.
    let k = (window.len() + 1).checked_sub(limit + 1);
    let wait = match k.and_then(|k| window.get(k)) {
        Some(t) => (*t + WINDOW).saturating_duration_since(now),
        None => WINDOW,
    };
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    u32::try_from(secs.max(1)).unwrap_or(u32::MAX)
}

/// GETs in flight per token.
#[derive(Default)]
pub(super) struct InFlight {
    per_token: HashMap<String, u32>,
}

impl InFlight {
    /// Takes a slot for `token` unless `max` are taken already.
    pub fn try_acquire(&mut self, token: &str, max: u32) -> bool {
        let taken = self.per_token.entry(token.to_owned()).or_default();
        if *taken >= max {
            return false;
        }
        *taken += 1;
        true
    }

    /// Gives a slot back.
    pub fn release(&mut self, token: &str) {
        if let Some(taken) = self.per_token.get_mut(token) {
            *taken = taken.saturating_sub(1);
            if *taken == 0 {
                self.per_token.remove(token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    #[test]
    fn admits_up_to_the_limit_then_refuses() {
        let (mut w, t0) = (Windows::default(), Instant::now());
        for (i, ms) in [0, 10_000, 20_000].into_iter().enumerate() {
            let a = w.record("t", at(t0, ms), Some(3));
            assert_eq!(
                a,
                Admission {
                    in_window: i as u64 + 1,
                    retry_after: None
                }
            );
        }
        // Window [0, 10, 20, 30]: one more fits once 0 and 10 have left, at 70 s.
        assert_eq!(
            w.record("t", at(t0, 30_000), Some(3)),
            Admission {
                in_window: 4,
                retry_after: Some(40)
            }
        );
    }

    #[test]
    fn rejected_requests_count_and_push_retry_after_out() {
        let (mut w, t0) = (Windows::default(), Instant::now());
        for ms in [0, 10_000, 20_000, 30_000] {
            w.record("t", at(t0, ms), Some(3));
        }
        // Window [0, 10, 20, 30, 35]: 0, 10 and 20 must leave → at 80 s.
        assert_eq!(w.record("t", at(t0, 35_000), Some(3)).retry_after, Some(45));
        // At 80 s the window holds [30, 35]: admitted.
        assert_eq!(
            w.record("t", at(t0, 80_000), Some(3)),
            Admission {
                in_window: 3,
                retry_after: None
            }
        );
    }

    #[test]
    fn the_promised_wait_is_exact() {
        let (mut w, t0) = (Windows::default(), Instant::now());
        for ms in [0, 10_000, 20_000] {
            w.record("a", at(t0, ms), Some(3));
        }
        assert_eq!(w.record("a", at(t0, 30_000), Some(3)).retry_after, Some(40));
        let (mut early, mut ok) = (Windows::default(), Windows::default());
        for ms in [0, 10_000, 20_000, 30_000] {
            early.record("a", at(t0, ms), Some(3));
            ok.record("a", at(t0, ms), Some(3));
        }
        assert!(
            early
                .record("a", at(t0, 69_999), Some(3))
                .retry_after
                .is_some()
        );
        assert!(
            ok.record("a", at(t0, 70_000), Some(3))
                .retry_after
                .is_none()
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_of_at_least_one() {
        let t0 = Instant::now();
        let mut w = Windows::default();
        w.record("t", at(t0, 0), Some(2));
        w.record("t", at(t0, 500), Some(2));
        // Window [0, 0.5, 59.999]: 0 and 0.5 must leave → 0.501 s → 1.
        assert_eq!(w.record("t", at(t0, 59_999), Some(2)).retry_after, Some(1));
        let mut w = Windows::default();
        w.record("t", at(t0, 0), Some(2));
        w.record("t", at(t0, 10_500), Some(2));
        // Window [0, 10.5, 20]: 10.5 must leave → 50.5 s → 51.
        assert_eq!(w.record("t", at(t0, 20_000), Some(2)).retry_after, Some(51));
        let mut w = Windows::default();
        w.record("t", at(t0, 0), Some(1));
        // The refused request itself counts: both must leave → 60 s.
        assert_eq!(w.record("t", at(t0, 59_999), Some(1)).retry_after, Some(60));
        let mut w = Windows::default();
        assert_eq!(w.record("t", at(t0, 0), Some(0)).retry_after, Some(60));
    }

    #[test]
    fn tokens_have_independent_windows_and_no_limit_only_counts() {
        let (mut w, t0) = (Windows::default(), Instant::now());
        w.record("a", t0, Some(1));
        assert_eq!(w.record("b", t0, Some(1)).retry_after, None);
        for _ in 0..5 {
            w.record("c", t0, None);
        }
        assert_eq!(
            w.record("c", t0, None),
            Admission {
                in_window: 6,
                retry_after: None
            }
        );
        assert_eq!(w.record("c", at(t0, 60_000), None).in_window, 1);
    }

    #[test]
    fn in_flight_slots_are_capped_per_token() {
        let mut f = InFlight::default();
        assert!(f.try_acquire("a", 2) && f.try_acquire("a", 2));
        assert!(!f.try_acquire("a", 2));
        assert!(f.try_acquire("b", 2));
        f.release("a");
        assert!(f.try_acquire("a", 2));
    }
}
