//! Classifying a non-success response into [`Error`], once: the status,
//! Asana's error envelope (`{"errors":[{"message"}]}`), and `Retry-After`.
//! A 404 without that envelope, or with Asana's "No matching route", is
//! [`Error::NoRoute`] (the base URL is wrong), not a missing object.

use std::time::{Duration, SystemTime};

use reqwest::{StatusCode, header::HeaderMap};
use serde::Deserialize;

use super::{Error, Target};

/// Asana's error envelope, read leniently; `sync` comes with 412s.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
    #[serde(default)]
    sync: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    message: Option<String>,
}

const OFFSET_EXPIRED: &str = "pagination token has expired";

/// Asana's message for a path it has no route for.
const NO_ROUTE: &str = "No matching route for request";

/// Classifies a non-success response. `budget_rpm` goes into 429 messages.
pub(crate) fn from_response(
    target: Target,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    budget_rpm: u32,
) -> Error {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let enveloped = !parsed.errors.is_empty();
    let message = parsed.errors.into_iter().find_map(|e| e.message);
    let or_status_line = |m: Option<String>| m.unwrap_or_else(|| status.to_string());
    let retry_after = retry_after(headers, SystemTime::now());
    match status.as_u16() {
        400 if message
            .as_deref()
            .is_some_and(|m| m.contains(OFFSET_EXPIRED)) =>
        {
            Error::OffsetExpired { target }
        }
        400 => Error::BadRequest {
            target,
            message: or_status_line(message),
        },
        401 => Error::Unauthorized { target, message },
        402 => Error::PaymentRequired { target, message },
        403 => Error::Forbidden { target, message },
        404 if !enveloped || message.as_deref() == Some(NO_ROUTE) => {
            Error::NoRoute { target, message }
        }
        404 => Error::NotFound { target, message },
        412 => Error::SyncExpired {
            target,
            fresh_sync: parsed.sync,
        },
        429 => Error::RateLimited {
            target,
            retry_after,
            budget_rpm,
        },
        code @ (500 | 502 | 503 | 504) => Error::Server {
            target,
            status: code,
            retry_after,
            message: or_status_line(message),
        },
        451 => Error::LegalReasons { target, message },
        code => Error::Status {
            target,
            status: code,
            message: or_status_line(message),
        },
    }
}

/// Reads `Retry-After`: integer seconds or an HTTP-date (past dates → 0).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let raw = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at: SystemTime = chrono::DateTime::parse_from_rfc2822(raw).ok()?.into();
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}
