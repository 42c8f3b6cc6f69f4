//! Fault injection: rules matched by route pattern that answer the next N
//! requests (or a seeded fraction of them) with an error, a delay, a broken
//! body or a dropped connection.

use serde::{Deserialize, Serialize};

/// What a matching request gets instead of (or on top of) its normal answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 with `Retry-After: retry_after` seconds.
    RateLimited {
        /// Seconds.
        retry_after: u32,
    },
    /// 500 with Asana's JSON error body and phrase.
    ServerError,
    /// 502 with an HTML body (load balancer).
    BadGatewayHtml,
    /// 503 with an HTML body, optionally with `Retry-After`.
    UnavailableHtml {
        /// Seconds.
        retry_after: Option<u32>,
    },
    /// 504 with a JSON body.
    GatewayTimeout,
    /// Any status with Asana's JSON error body (e.g. 401, 403, 404, 402, 451).
    Status {
        /// HTTP status code.
        code: u16,
        /// `errors[0].message`.
        message: String,
    },
    /// The normal answer, delayed.
    Latency {
        /// Milliseconds.
        ms: u64,
    },
    /// The normal answer's status and headers, its body cut in the middle and
    /// the connection closed.
    Truncated,
    /// A 200 whose body is not valid JSON.
    Malformed,
    /// The connection is closed without any response.
    Drop,
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Route pattern under `/api/1.0`, `*` matching one path segment and a
    /// trailing `**` any rest, e.g. `/projects/*/tasks`, `/tasks`, `/**`.
    /// Matched against the path only (no query).
    pub route: String,
    /// Optional substring the raw query must contain (e.g. `project=123`).
    #[serde(default)]
    pub query_contains: Option<String>,
    /// The fault.
    #[serde(flatten)]
    pub fault: FaultKind,
    /// Apply to the next `times` matching requests only (None = forever).
    #[serde(default)]
    pub times: Option<u32>,
    /// Apply with this probability (seeded RNG); None = always.
    #[serde(default)]
    pub probability: Option<f64>,
}
