//! Request accounting for runs: how many requests a client sent, how
//! many 429s it saw, how long it waited for `Retry-After` or backoff, how long
//! the rate budget held it back, and how many pages it read. Cheap atomics,
//! shared by clones of a client.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

use crate::metrics::{Metrics, WaitReason};

/// Live counters. A client records into its process-wide totals and, when it
/// is a scoped handle ([`crate::asana::AsanaClient::scoped`]), into the
/// scope's own counters too.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    rate_limited: AtomicU64,
    retries: AtomicU64,
    waited_ms: AtomicU64,
    paced_ms: AtomicU64,
    pages: AtomicU64,
}

/// A point-in-time copy of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent (every attempt counts).
    pub requests: u64,
    /// 429 responses seen.
    pub rate_limited: u64,
    /// Attempts that were retries of an earlier one.
    pub retries: u64,
    /// Time slept before retries (Retry-After or backoff), and paused by a
    /// 429 seen by another request of the same client.
    pub waited: Duration,
    /// Time requests waited for the requests-per-minute budget (their slot
    /// in the shared budget, or the local limiter). Normal pacing, not
    /// trouble: `waited` is the figure for 429s and failures.
    pub paced: Duration,
    /// Pages of listings read.
    pub pages: u64,
}

impl ClientStats {
    /// What happened between `earlier` and `self` (saturating).
    pub fn since(&self, earlier: &ClientStats) -> ClientStats {
        ClientStats {
            requests: self.requests.saturating_sub(earlier.requests),
            rate_limited: self.rate_limited.saturating_sub(earlier.rate_limited),
            retries: self.retries.saturating_sub(earlier.retries),
            waited: self.waited.saturating_sub(earlier.waited),
            paced: self.paced.saturating_sub(earlier.paced),
            pages: self.pages.saturating_sub(earlier.pages),
        }
    }
}

impl Counters {
    pub(crate) fn snapshot(&self) -> ClientStats {
        ClientStats {
            requests: self.requests.load(Relaxed),
            rate_limited: self.rate_limited.load(Relaxed),
            retries: self.retries.load(Relaxed),
            waited: Duration::from_millis(self.waited_ms.load(Relaxed)),
            paced: Duration::from_millis(self.paced_ms.load(Relaxed)),
            pages: self.pages.load(Relaxed),
        }
    }
}

/// Where one handle records: the totals, plus its scope if it has one,
/// and the process's Prometheus series when it has them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Recorder {
    pub(crate) totals: Arc<Counters>,
    pub(crate) scope: Option<Arc<Counters>>,
    pub(crate) metrics: Option<Metrics>,
}

impl Recorder {
    fn each(&self, f: impl Fn(&Counters)) {
        f(&self.totals);
        if let Some(scope) = &self.scope {
            f(scope);
        }
    }

    pub(crate) fn request(&self) {
        self.each(|c| {
            c.requests.fetch_add(1, Relaxed);
        });
    }

    pub(crate) fn rate_limited(&self) {
        self.each(|c| {
            c.rate_limited.fetch_add(1, Relaxed);
        });
    }

    /// A retry after `wait`: a 429's `Retry-After` (`rate_limited`) or a
    /// failure's backoff.
    pub(crate) fn retry(&self, wait: Duration, rate_limited: bool) {
        self.each(|c| {
            c.retries.fetch_add(1, Relaxed);
        });
        self.add_waited(wait);
        let reason = if rate_limited {
            WaitReason::RetryAfter
        } else {
            WaitReason::Backoff
        };
        self.observe(reason, wait);
    }

    /// Time paused by a 429 another request saw.
    pub(crate) fn waited(&self, wait: Duration) {
        self.add_waited(wait);
        self.observe(WaitReason::RetryAfter, wait);
    }

    fn observe(&self, reason: WaitReason, wait: Duration) {
        if let Some(metrics) = &self.metrics {
            metrics.waited(reason, wait);
        }
    }

    fn add_waited(&self, wait: Duration) {
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.each(|c| {
            c.waited_ms.fetch_add(ms, Relaxed);
        });
    }

    pub(crate) fn paced(&self, wait: Duration) {
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.each(|c| {
            c.paced_ms.fetch_add(ms, Relaxed);
        });
        self.observe(WaitReason::Budget, wait);
    }

    pub(crate) fn page(&self) {
        self.each(|c| {
            c.pages.fetch_add(1, Relaxed);
        });
    }

    /// A recorder with the same totals and fresh scope counters.
    pub(crate) fn scoped(&self) -> Recorder {
        Recorder {
            totals: Arc::clone(&self.totals),
            scope: Some(Arc::default()),
            metrics: self.metrics.clone(),
        }
    }

    /// The scope's counters if scoped, else the totals.
    pub(crate) fn snapshot(&self) -> ClientStats {
        self.scope.as_ref().unwrap_or(&self.totals).snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_count_their_own_and_the_totals() {
        let root = Recorder::default();
        root.request();
        let run = root.scoped();
        run.request();
        run.rate_limited();
        run.retry(Duration::from_millis(1500), true);
        run.page();
        run.paced(Duration::from_millis(250));
        assert_eq!(root.snapshot().requests, 2);
        let s = run.snapshot();
        assert_eq!(
            (s.requests, s.rate_limited, s.retries, s.pages),
            (1, 1, 1, 1)
        );
        assert_eq!(s.waited, Duration::from_millis(1500));
        assert_eq!(s.paced, Duration::from_millis(250));
        assert_eq!(root.snapshot().since(&s).requests, 1);
    }
}
