//! `asana::Error`: every way a request can fail, classified once into
//! retryable (429, 500/502/503/504, timeouts, connection errors, truncated
//! bodies, a shared rate budget that is unreachable or paused) and fatal
//! (400, 401, 402, 403, 404, 451, bodies that do not fit the schema), with
//! messages that say what to do.

use std::{fmt, time::Duration};

/// A boxed error source (reqwest or serde_json).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a request was about ("portfolio 123", "tasks of project 456"), so
/// that an error names the object that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    what: &'static str,
    id: String,
}

impl Target {
    /// `what` is a noun phrase ("portfolio", "tasks of project"), `id` the gid.
    pub fn new(what: &'static str, id: impl fmt::Display) -> Self {
        Self {
            what,
            id: id.to_string(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.what, self.id)
    }
}

/// Everything that can go wrong talking to Asana. The token never appears in
/// any variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 401: the token is wrong, revoked, or the workspace disabled the app.
    #[error("Asana rejected the token (401): check ASANA_ACCESS_TOKEN{}", says(.message))]
    Unauthorized {
        /// What was asked for.
        target: Target,
        /// Asana's `errors[0].message`.
        message: Option<String>,
    },
    /// 403: the token's user may not see the object.
    #[error("{target} is not accessible to this token (403): share it with the token's user{}", says(.message))]
    Forbidden {
        /// What was asked for.
        target: Target,
        /// Asana's `errors[0].message`.
        message: Option<String>,
    },
    /// 404: deleted, never existed, or invisible to this token.
    #[error("{target} not found or not visible to this token (404){}", says(.message))]
    NotFound {
        /// What was asked for.
        target: Target,
        /// Asana's `errors[0].message`.
        message: Option<String>,
    },
    /// 404 that is not Asana's: no error envelope, or Asana's "No matching
    /// route" (the path under the base URL is wrong). The client is talking
    /// to something other than Asana's API, so `ASANA_BASE_URL` is suspect;
    /// nothing is known about the object asked for.
    #[error(
        "the request for {target} reached no Asana API route (404{}): ASANA_BASE_URL looks wrong (Asana's is {})",
        says(.message), super::DEFAULT_BASE_URL
    )]
    NoRoute {
        /// What was asked for.
        target: Target,
        /// Asana's `errors[0].message`, if there was an envelope.
        message: Option<String>,
    },
    /// 402: a premium-only feature.
    #[error("{target} needs a paid Asana plan (402: premium feature){}", says(.message))]
    PaymentRequired {
        /// What was asked for.
        target: Target,
        /// Asana's `errors[0].message`.
        message: Option<String>,
    },
    /// 451: blocked for legal reasons (e.g. an embargoed IP).
    #[error("Asana refuses to serve {target} for legal reasons (451){}", says(.message))]
    LegalReasons {
        /// What was asked for.
        target: Target,
        /// Asana's `errors[0].message`.
        message: Option<String>,
    },
    /// 400 other than an expired offset: aegis sent a bad request.
    #[error("Asana refused the request for {target} as malformed (400): {message}")]
    BadRequest {
        /// What was asked for.
        target: Target,
        /// Asana's `errors[0].message`, or the status line.
        message: String,
    },
    /// 400 `offset: Your pagination token has expired.`: restart the listing.
    #[error("the pagination token for {target} expired (400): the listing must restart")]
    OffsetExpired {
        /// What was being listed.
        target: Target,
    },
    /// A listing whose offset kept expiring, restarted too often.
    #[error("gave up listing {target}: its pagination token expired {restarts} times")]
    TooManyRestarts {
        /// What was being listed.
        target: Target,
        /// How many times the listing restarted.
        restarts: u32,
    },
    /// 412 on `/events`: the sync token is missing, invalid or expired.
    #[error("the events sync token for {target} is missing or expired (412)")]
    SyncExpired {
        /// The subscribed resource.
        target: Target,
        /// The fresh token from the body, if Asana sent one.
        fresh_sync: Option<String>,
    },
    /// 429: a rate limiter (requests, concurrency or cost) said no.
    #[error(
        "Asana rate-limited the request for {target} (429{}): this client's budget is {budget_rpm} requests/minute; lower ASANA_REQUESTS_PER_MINUTE or run fewer workers on this token",
        after(.retry_after)
    )]
    RateLimited {
        /// What was asked for.
        target: Target,
        /// The `Retry-After` Asana asked for.
        retry_after: Option<Duration>,
        /// The configured requests per minute.
        budget_rpm: u32,
    },
    /// 500, 502, 503, 504: Asana or its load balancers failed.
    #[error("Asana failed to serve {target} ({status}{}): {message}", after(.retry_after))]
    Server {
        /// What was asked for.
        target: Target,
        /// The HTTP status.
        status: u16,
        /// `Retry-After`, honoured on 503.
        retry_after: Option<Duration>,
        /// Asana's `errors[0].message`, or the status line (HTML bodies).
        message: String,
    },
    /// Any other unexpected status; not retried.
    #[error("unexpected HTTP status {status} from Asana for {target}: {message}")]
    Status {
        /// What was asked for.
        target: Target,
        /// The HTTP status.
        status: u16,
        /// Asana's `errors[0].message`, or the status line.
        message: String,
    },
    /// The request (connect, or the whole exchange) exceeded its timeout.
    #[error("the request for {target} to Asana timed out")]
    Timeout {
        /// What was asked for.
        target: Target,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// Connecting, or sending, failed (DNS, refused, reset).
    #[error(
        "could not reach Asana at {} for {target}: {} (check ASANA_BASE_URL and the network)",
        origin(.source),
        root_cause(.source)
    )]
    Transport {
        /// What was asked for.
        target: Target,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The body was cut off: its read failed, or the JSON ends too early.
    #[error("the response for {target} was cut off before its end")]
    Truncated {
        /// What was asked for.
        target: Target,
        /// The body-read or JSON error.
        #[source]
        source: BoxError,
    },
    /// The JSON is complete but does not fit aegis's types.
    #[error(
        "Asana's response for {target} does not fit the expected schema at `{path}`: {message}"
    )]
    Decode {
        /// What was asked for.
        target: Target,
        /// The field path, e.g. `data[3].custom_fields[0].number_value`.
        path: String,
        /// What serde expected.
        message: String,
    },
    /// The request could not be built (bad base URL or path).
    #[error("could not build the request for {target}: {message}")]
    Request {
        /// What was asked for.
        target: Target,
        /// Why.
        message: String,
    },
    /// The shared rate budget could not be reached (its database is down or
    /// refuses): the request was not sent rather than sent unbudgeted.
    #[error(
        "could not book a slot for {target} in the shared Asana rate budget: check that the database (DATABASE_URL) is reachable; the request was not sent"
    )]
    BudgetUnavailable {
        /// What was asked for.
        target: Target,
        /// Why the budget could not be reached.
        #[source]
        source: BoxError,
    },
    /// The shared rate budget has no slot for a while: a 429 seen by a
    /// process of this token paused them all, or many requests queue ahead.
    #[error(
        "the shared Asana rate budget has no slot for {target} for {}s (a 429 paused every worker of this token, or the budget is booked ahead): try again then",
        .retry_after.as_secs_f64().ceil()
    )]
    BudgetPaused {
        /// What was asked for.
        target: Target,
        /// How long until the next slot.
        retry_after: Duration,
    },
    /// The token's work is held for every process of the token (a 401, or
    /// the circuit opened by failures in a row): the request was not sent.
    /// A job waits without spending an attempt; the next probe is due in
    /// `retry_after`.
    #[error(
        "{reason}{}: every worker of this token waits (no request for {target} sent) and probes /users/me; next probe in {}s{}",
        .cause.as_ref().map(|c| format!(" (last: {c})")).unwrap_or_default(),
        .retry_after.as_secs_f64().ceil(),
        if matches!(.reason, super::HoldReason::Unauthorized) { ": check ASANA_ACCESS_TOKEN" } else { "" }
    )]
    Held {
        /// What was asked for.
        target: Target,
        /// Why the token's work is held.
        reason: super::HoldReason,
        /// When the next probe is due.
        retry_after: Duration,
        /// The failure of this request that opened the hold, if it did.
        cause: Option<String>,
    },
    /// The client configuration is unusable.
    #[error("invalid Asana client configuration: {0}")]
    Config(String),
    /// A retryable error that outlasted every attempt.
    #[error("{last} (gave up after {attempts} attempts)")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's error.
        last: Box<Error>,
    },
    /// Still rate-limited after waiting out 429s for the longest one request
    /// may (`max_rate_limit_wait`).
    #[error("{last} (still rate-limited after waiting {}s for this request, its limit)", .waited.as_secs())]
    RateLimitWaitExceeded {
        /// Time spent waiting out 429s.
        waited: Duration,
        /// The last 429.
        last: Box<Error>,
    },
}

fn says(message: &Option<String>) -> String {
    message
        .as_deref()
        .map(|m| format!(": Asana says \"{m}\""))
        .unwrap_or_default()
}

fn after(retry_after: &Option<Duration>) -> String {
    retry_after
        .map(|d| format!(", Retry-After {}s", d.as_secs_f64().ceil()))
        .unwrap_or_default()
}

impl Error {
    /// Whether trying again later can succeed (429, 5xx, timeouts,
    /// connection errors, truncated bodies). A [`Error::GaveUp`] is as
    /// retryable as its last error: a job may still try again later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. }
            | Self::Server { .. }
            | Self::Timeout { .. }
            | Self::Transport { .. }
            | Self::Truncated { .. }
            | Self::BudgetUnavailable { .. }
            | Self::BudgetPaused { .. }
            | Self::Held { .. } => true,
            Self::GaveUp { last, .. } | Self::RateLimitWaitExceeded { last, .. } => {
                last.is_retryable()
            }
            _ => false,
        }
    }

    /// Whether the shared budget (the database) could not be reached, so
    /// the request was never sent.
    pub fn is_budget_unavailable(&self) -> bool {
        match self {
            Self::BudgetUnavailable { .. } => true,
            Self::GaveUp { last, .. } | Self::RateLimitWaitExceeded { last, .. } => {
                last.is_budget_unavailable()
            }
            _ => false,
        }
    }

    /// The earliest moment a retry may be sent, as Asana asked (429, 503).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Server { retry_after, .. } => {
                *retry_after
            }
            Self::BudgetPaused { retry_after, .. } | Self::Held { retry_after, .. } => {
                Some(*retry_after)
            }
            Self::GaveUp { last, .. } | Self::RateLimitWaitExceeded { last, .. } => {
                last.retry_after()
            }
            _ => None,
        }
    }

    /// Why the token's work waits, when this error means it should (a
    /// hold, or the 401 that set one): a job then waits for the token
    /// rather than dying or spending an attempt.
    pub fn hold(&self) -> Option<super::HoldReason> {
        match self {
            Self::Held { reason, .. } => Some(*reason),
            Self::Unauthorized { .. } => Some(super::HoldReason::Unauthorized),
            Self::GaveUp { last, .. } | Self::RateLimitWaitExceeded { last, .. } => last.hold(),
            _ => None,
        }
    }

    /// Whether the chokepoint counts this as a failure towards opening the
    /// circuit: a 5xx, a timeout, a connection failure.
    pub(crate) fn is_outage(&self) -> bool {
        matches!(
            self,
            Self::Server { .. } | Self::Timeout { .. } | Self::Transport { .. }
        )
    }

    /// The HTTP status, when the error came from one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { .. }
            | Self::Held {
                reason: super::HoldReason::Unauthorized,
                ..
            } => Some(401),
            Self::Forbidden { .. } => Some(403),
            Self::NotFound { .. } | Self::NoRoute { .. } => Some(404),
            Self::PaymentRequired { .. } => Some(402),
            Self::LegalReasons { .. } => Some(451),
            Self::BadRequest { .. } | Self::OffsetExpired { .. } => Some(400),
            Self::SyncExpired { .. } => Some(412),
            Self::RateLimited { .. } => Some(429),
            Self::Server { status, .. } | Self::Status { status, .. } => Some(*status),
            Self::GaveUp { last, .. } | Self::RateLimitWaitExceeded { last, .. } => last.status(),
            _ => None,
        }
    }
}

mod classify;

pub(crate) use classify::from_response;

#[cfg(test)]
mod tests;

/// `scheme://host:port` of the request a transport error is about (no
/// path, query or credentials); `ASANA_BASE_URL` when reqwest gives none.
fn origin(error: &reqwest::Error) -> String {
    match error.url() {
        Some(url) => {
            let host = url.host_str().unwrap_or("?");
            match url.port_or_known_default() {
                Some(port) => format!("{}://{host}:{port}", url.scheme()),
                None => format!("{}://{host}", url.scheme()),
            }
        }
        None => "ASANA_BASE_URL".to_owned(),
    }
}

/// The innermost cause of `error` (e.g. `Connection refused (os error
/// 111)`, `dns error: failed to lookup address information`).
fn root_cause(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
