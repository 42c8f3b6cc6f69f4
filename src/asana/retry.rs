//! The retry policy of one request: exponential backoff with jitter
//! (backon's) for failures, capped attempts, and `Retry-After` never cut
//! short. A 429 is flow control, not a failure: waiting it out spends no
//! attempt; the time spent waiting out 429s is bounded instead
//! (`max_rate_limit_wait`), and hitting the bound says so.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

use super::{AsanaConfig, Error};

/// Backoff for one request: `backoff_base · 2ⁿ` (plus jitter up to the same
/// again), capped at `backoff_max`, for `max_attempts - 1` retries.
pub(crate) fn policy(config: &AsanaConfig) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(config.backoff_base)
        .with_max_delay(config.backoff_max)
        .with_factor(2.0)
        .with_jitter()
        .with_max_times(config.max_attempts.saturating_sub(1) as usize)
}

/// The delay before the next attempt: `None` once the attempts are used up
/// or when `Retry-After` exceeds `max_wait` (the caller gets the error and its
/// `retry_after`), otherwise the backoff, but never less than `Retry-After`.
pub(crate) fn delay(
    error: &Error,
    backoff: Option<Duration>,
    max_wait: Duration,
) -> Option<Duration> {
    let backoff = backoff?;
    match error.retry_after() {
        Some(after) if after > max_wait => None,
        Some(after) => Some(after.max(backoff)),
        None => Some(backoff),
    }
}

/// Why a request stopped retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Still retrying.
    No,
    /// Its failed attempts (429s aside) are used up.
    Attempts,
    /// Its time waiting out 429s is used up.
    RateLimitWait,
    /// Asana asked for a wait longer than is slept in memory.
    LongRetryAfter,
}

/// Where one request's retries stand.
pub(crate) struct Retries {
    failures: ExponentialBackoff,
    rate_limits: ExponentialBackoff,
    attempts: u32,
    rate_limited_wait: Duration,
    max_retry_wait: Duration,
    max_rate_limit_wait: Duration,
    stop: Stop,
}

impl Retries {
    /// A request's retries under `config`.
    pub(crate) fn new(config: &AsanaConfig) -> Retries {
        Retries {
            failures: policy(config).build(),
            rate_limits: policy(config).without_max_times().build(),
            attempts: 0,
            rate_limited_wait: Duration::ZERO,
            max_retry_wait: config.max_retry_wait,
            max_rate_limit_wait: config.max_rate_limit_wait,
            stop: Stop::No,
        }
    }

    /// After a retryable `error`: how long to wait before trying again, or
    /// `None` to stop (then [`Retries::give_up`] says why).
    pub(crate) fn next_wait(&mut self, error: &Error) -> Option<Duration> {
        self.attempts += 1;
        let rate_limited = matches!(error, Error::RateLimited { .. });
        let backoff = if rate_limited {
            self.rate_limits.next()
        } else {
            self.failures.next()
        };
        let Some(backoff) = backoff else {
            self.stop = Stop::Attempts;
            return None;
        };
        let Some(wait) = delay(error, Some(backoff), self.max_retry_wait) else {
            self.stop = Stop::LongRetryAfter;
            return None;
        };
        if rate_limited {
            if self.rate_limited_wait + wait > self.max_rate_limit_wait {
                self.stop = Stop::RateLimitWait;
                return None;
            }
            self.rate_limited_wait += wait;
        }
        Some(wait)
    }

    /// The error a request ends with once [`Retries::next_wait`] said stop.
    pub(crate) fn give_up(&self, last: Error) -> Error {
        match self.stop {
            Stop::Attempts if self.attempts > 1 => Error::GaveUp {
                attempts: self.attempts,
                last: Box::new(last),
            },
            Stop::RateLimitWait => Error::RateLimitWaitExceeded {
                waited: self.rate_limited_wait,
                last: Box::new(last),
            },
            _ => last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asana::Target;

    const MAX: Duration = Duration::from_secs(60);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn rate_limited(retry_after: Option<Duration>) -> Error {
        let target = Target::new("task", 1);
        Error::RateLimited {
            target,
            retry_after,
            budget_rpm: 150,
        }
    }

    #[test]
    fn retry_after_wins_over_a_shorter_backoff() {
        assert_eq!(
            delay(&rate_limited(Some(ms(5000))), Some(ms(10)), MAX),
            Some(ms(5000))
        );
        assert_eq!(
            delay(&rate_limited(Some(ms(5))), Some(ms(10)), MAX),
            Some(ms(10))
        );
        assert_eq!(delay(&rate_limited(None), Some(ms(10)), MAX), Some(ms(10)));
    }

    #[test]
    fn no_delay_once_attempts_are_used_up() {
        assert_eq!(delay(&rate_limited(Some(ms(5))), None, MAX), None);
    }

    #[test]
    fn a_retry_after_beyond_the_limit_is_handed_to_the_caller() {
        assert_eq!(
            delay(&rate_limited(Some(ms(300_000))), Some(ms(10)), MAX),
            None
        );
    }
}
