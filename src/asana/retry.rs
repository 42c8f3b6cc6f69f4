//! The retry policy: exponential backoff with jitter and capped attempts
//! (backon), adjusted so that a `Retry-After` is never cut short.

use std::time::Duration;

use backon::ExponentialBuilder;

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
