//! `AsanaConfig`: everything an [`AsanaClient`](super::AsanaClient) needs,
//! typed, with defaults that stay well inside Asana's limits. The token is a
//! `SecretString` and `Debug` redacts it.

use std::{fmt, num::NonZeroU32, time::Duration};

use reqwest::Url;
use secrecy::SecretString;

use crate::metrics::Metrics;

use super::{Budget, DEFAULT_CIRCUIT_AFTER, DEFAULT_PROBE_INTERVAL};

/// Asana's cap on one token's concurrent read requests.
pub const TOKEN_IN_FLIGHT: usize = 50;

/// Asana's production API root.
pub const DEFAULT_BASE_URL: &str = "https://app.asana.com/api/1.0";

/// How to reach Asana and how hard to push it.
pub struct AsanaConfig {
    /// API root, e.g. `https://app.asana.com/api/1.0` (tests: the fake).
    pub base_url: Url,
    /// Personal access token, sent as `Authorization: Bearer …` and nowhere else.
    pub token: SecretString,
    /// Requests per minute this client may send (Asana: 150 free, 1500 paid).
    /// With [`Budget::Shared`] the shared budget enforces its own rate (built
    /// from the same setting); this one then only names it in 429 messages.
    pub requests_per_minute: NonZeroU32,
    /// Where the requests-per-minute budget lives: this process
    /// ([`Budget::Local`], the default) or every process of the token
    /// ([`Budget::Shared`]; see `aegis::budget`).
    pub budget: Budget,
    /// Requests in flight at once, per process (Asana rejects more than 50
    /// concurrent reads per token: keep this × worker processes under 50).
    pub max_in_flight: usize,
    /// Requests in flight at once over every process of the token, shared
    /// with [`Budget::Shared`] (each process holds a share, at most its
    /// `max_in_flight`). Asana: 50 concurrent reads per token.
    pub token_in_flight: usize,
    /// Timeout for establishing a connection.
    pub connect_timeout: Duration,
    /// Timeout for a whole request, body included.
    pub request_timeout: Duration,
    /// Attempts per request, the first included, before giving up.
    pub max_attempts: u32,
    /// First backoff delay; it doubles per retry, with jitter.
    pub backoff_base: Duration,
    /// Longest backoff delay (a longer `Retry-After` is still honoured).
    pub backoff_max: Duration,
    /// Longest `Retry-After` slept in memory. A longer one ends the request
    /// at once with a retryable error whose [`retry_after`] tells the caller
    /// when to try again (a job persists it as its next run time rather than
    /// holding a worker).
    ///
    /// [`retry_after`]: super::Error::retry_after
    pub max_retry_wait: Duration,
    /// Longest total time one request waits out 429s. A 429 is flow
    /// control: it spends none of `max_attempts`; past this total the
    /// request ends with a retryable error that says so.
    pub max_rate_limit_wait: Duration,
    /// With a shared budget: how long apart the probes (`GET /users/me`)
    /// of a held token are (a 401, or an open circuit).
    pub probe_interval: Duration,
    /// With a shared budget: the 5xx or connection failures in a row, over
    /// every process of the token, that open the circuit.
    pub circuit_after: u32,
    /// The Prometheus series requests and waits are counted in (none by
    /// default).
    pub metrics: Option<Metrics>,
}

impl AsanaConfig {
    /// A config with the defaults: 150 requests/minute (Asana's free tier)
    /// in a local budget, 10 in flight, 10 s connect and 60 s request timeouts, 5 attempts,
    /// backoff from 1 s up to 60 s, `Retry-After` slept up to 120 s, 429s
    /// waited out for up to 10 minutes per request; a held token probed
    /// every 30 s, the circuit opened by 5 failures in a row.
    pub fn new(base_url: Url, token: SecretString) -> Self {
        Self {
            base_url,
            token,
            requests_per_minute: NonZeroU32::new(150).unwrap_or(NonZeroU32::MIN),
            budget: Budget::Local,
            max_in_flight: 10,
            token_in_flight: TOKEN_IN_FLIGHT,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_attempts: 5,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            max_retry_wait: Duration::from_secs(120),
            max_rate_limit_wait: Duration::from_secs(600),
            probe_interval: DEFAULT_PROBE_INTERVAL,
            circuit_after: DEFAULT_CIRCUIT_AFTER,
            metrics: None,
        }
    }
}

impl fmt::Debug for AsanaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsanaConfig")
            .field("base_url", &self.base_url.as_str())
            .field("token", &"[redacted]")
            .field("requests_per_minute", &self.requests_per_minute)
            .field("budget", &self.budget)
            .field("max_in_flight", &self.max_in_flight)
            .field("token_in_flight", &self.token_in_flight)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_attempts", &self.max_attempts)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_max", &self.backoff_max)
            .field("max_retry_wait", &self.max_retry_wait)
            .field("max_rate_limit_wait", &self.max_rate_limit_wait)
            .field("probe_interval", &self.probe_interval)
            .field("circuit_after", &self.circuit_after)
            .field("metrics", &self.metrics.is_some())
            .finish()
    }
}
