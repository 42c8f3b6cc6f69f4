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

/// The delay before the next attempt: `None` once the attempts are used up,
/// otherwise the backoff, but never less than the error's `Retry-After`.
pub(crate) fn delay(error: &Error, backoff: Option<Duration>) -> Option<Duration> {
    let backoff = backoff?;
    Some(
        error
            .retry_after()
            .map_or(backoff, |after| after.max(backoff)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asana::Target;

    fn rate_limited(retry_after: Option<Duration>) -> Error {
        Error::RateLimited {
            target: Target::new("task", 1),
            retry_after,
            budget_rpm: 150,
        }
    }

    #[test]
    fn retry_after_wins_over_a_shorter_backoff() {
        let ms = Duration::from_millis;
        assert_eq!(
            delay(&rate_limited(Some(ms(5000))), Some(ms(10))),
            Some(ms(5000))
        );
        assert_eq!(
            delay(&rate_limited(Some(ms(5))), Some(ms(10))),
            Some(ms(10))
        );
        assert_eq!(delay(&rate_limited(None), Some(ms(10))), Some(ms(10)));
        assert_eq!(
            delay(&rate_limited(Some(ms(5))), None),
            None,
            "attempts used up"
        );
    }
}
