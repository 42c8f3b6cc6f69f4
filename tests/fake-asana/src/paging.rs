//! Pagination as Asana does it: `limit` 1..100, opaque signed `offset` tokens
//! bound to the route and its filters, with an expiry, and `next_page`
//! objects `{offset, path, uri}`.
//!
//! A token is `base64url(payload) "." base64url(HMAC-SHA256(secret, payload ||
//! binding))`, where the payload is a small JSON object holding the keyset
//! position (the last key returned and its index), the issue time and the
//! pager's generation, and `binding` is a digest of the route and every query
//! pair except `offset` (order-independent). A token used on another route or
//! with other filters therefore fails its signature check like a forged one.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The message of a 400 for an expired offset, as Asana words it.
pub const EXPIRED_MESSAGE: &str = "offset: Your pagination token has expired.";
/// The message of a 400 for a forged, foreign or garbled offset.
pub const INVALID_MESSAGE: &str = "offset: Invalid offset";
/// The message of a 400 for a `limit` outside 1..=100.
pub const LIMIT_MESSAGE: &str = "limit: Must be between 1 and 100";

type HmacSha256 = Hmac<Sha256>;

/// Issues and checks offset tokens.
#[derive(Debug)]
pub struct Pager {
    secret: [u8; 32],
    ttl: Mutex<Duration>,
    /// Tokens of an older generation are expired (`expire_all`).
    generation: AtomicU64,
}

/// What one page covers.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSlice {
    /// Indices into the ordered key list that this page returns.
    pub range: std::ops::Range<usize>,
    /// `next_page` to emit: `None` = omit (no `limit` sent), `Some(Value::Null)`
    /// = last page, `Some(object)` = `{offset, path, uri}`.
    pub next_page: Option<Value>,
}

/// Why an offset was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum OffsetError {
    #[error("{EXPIRED_MESSAGE}")]
    Expired,
    #[error("{INVALID_MESSAGE}")]
    Invalid,
}

impl From<OffsetError> for ApiError {
    fn from(e: OffsetError) -> Self {
        ApiError::bad_request(e.to_string())
    }
}

/// The signed content of a token.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Position {
    /// The last key returned.
    k: String,
    /// Its index in the key list when the token was issued.
    i: usize,
    /// Issued at, milliseconds since the epoch.
    t: i64,
    /// The pager generation at issue.
    g: u64,
}

impl Pager {
    /// A pager signing with `secret`, tokens valid for `ttl`.
    pub fn new(secret: [u8; 32], ttl: Duration) -> Pager {
        Pager {
            secret,
            ttl: Mutex::new(ttl),
            generation: AtomicU64::new(0),
        }
    }

    /// Changes the lifetime of tokens (checked at use, so it applies to old ones too).
    pub fn set_ttl(&self, ttl: Duration) {
        *self.ttl.lock().expect("pager ttl lock") = ttl;
    }

    /// Makes every token issued so far expired (a test switch).
    pub fn expire_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Cuts one page out of `keys` (the stable ordering of the full result,
    /// e.g. task gids in project rank order).
    ///
    /// `route` is the path under `/api/1.0` (e.g. `/projects/1/tasks`),
    /// `query` the request's query pairs as received (limit, offset,
    /// opt_fields and filters), `base_url` the fake's `.../api/1.0`. The
    /// token binds the route and every query pair except `offset`.
    pub fn page(
        &self,
        keys: &[String],
        route: &str,
        query: &[(String, String)],
        base_url: &str,
        now: DateTime<Utc>,
    ) -> Result<PageSlice, ApiError> {
        let limit = parse_limit(query)?;
        let binding = binding(route, query);
        let start = match last_value(query, "offset") {
            Some(token) => resume_index(keys, &self.check(token, &binding, now)?),
            None => 0,
        };
        let Some(limit) = limit else {
            return Ok(PageSlice {
                range: start..keys.len(),
                next_page: None,
            });
        };
        let end = start.saturating_add(limit).min(keys.len());
        let next_page = if end < keys.len() {
            let position = Position {
                k: keys[end - 1].clone(),
                i: end - 1,
                t: now.timestamp_millis(),
                g: self.generation.load(Ordering::SeqCst),
            };
            next_page_object(&self.sign(&position, &binding), route, query, base_url)
        } else {
            Value::Null
        };
        Ok(PageSlice {
            range: start..end,
            next_page: Some(next_page),
        })
    }

    fn mac(&self, payload: &[u8], binding: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(payload);
        mac.update(binding);
        mac
    }

    fn sign(&self, position: &Position, binding: &[u8]) -> String {
        let payload = serde_json::to_vec(position).expect("a position serialises");
        let tag = self.mac(&payload, binding).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    fn check(
        &self,
        token: &str,
        binding: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Position, OffsetError> {
        let (payload, tag) = token.split_once('.').ok_or(OffsetError::Invalid)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| OffsetError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| OffsetError::Invalid)?;
        self.mac(&payload, binding)
            .verify_slice(&tag)
            .map_err(|_| OffsetError::Invalid)?;
        let position: Position =
            serde_json::from_slice(&payload).map_err(|_| OffsetError::Invalid)?;
        let ttl = *self.ttl.lock().expect("pager ttl lock");
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let stale = position.g < self.generation.load(Ordering::SeqCst);
        if stale || now.timestamp_millis() > position.t.saturating_add(ttl_ms) {
            return Err(OffsetError::Expired);
        }
        Ok(position)
    }
}

/// Where the page after `position` starts: after its key if still present,
/// else at the index the key had (the items behind it moved up by one).
fn resume_index(keys: &[String], position: &Position) -> usize {
    let found = keys.iter().position(|k| *k == position.k);
    found.map_or(position.i, |i| i + 1).min(keys.len())
}

/// The last value of `name` in the query, if any.
fn last_value<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `limit`, checked to be an integer in 1..=100.
fn parse_limit(query: &[(String, String)]) -> Result<Option<usize>, ApiError> {
    let Some(raw) = last_value(query, "limit") else {
        return Ok(None);
    };
    match raw.trim().parse::<i64>() {
        Ok(n @ 1..=100) => Ok(Some(n as usize)),
        Ok(_) => Err(ApiError::bad_request(LIMIT_MESSAGE)),
        Err(_) => Err(ApiError::bad_request(format!(
            "limit: Not a valid integer: {raw}"
        ))),
    }
}

/// The digest a token is bound to: the route and the sorted query pairs
/// other than `offset`.
fn binding(route: &str, query: &[(String, String)]) -> Vec<u8> {
    let mut pairs: Vec<&(String, String)> = query.iter().filter(|(k, _)| k != "offset").collect();
    pairs.sort();
    let encoded = serde_json::to_vec(&(route, pairs)).expect("strings serialise");
    Sha256::digest(encoded).to_vec()
}

/// `{offset, path, uri}` with the original query, `offset` replaced or added.
fn next_page_object(token: &str, route: &str, query: &[(String, String)], base_url: &str) -> Value {
    let mut pairs: Vec<String> = query
        .iter()
        .filter(|(k, _)| k != "offset")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    pairs.push(format!("offset={}", encode(token)));
    let path = format!("{route}?{}", pairs.join("&"));
    let uri = format!("{}{path}", base_url.trim_end_matches('/'));
    json!({ "offset": token, "path": path, "uri": uri })
}

/// Percent-encodes a query component (keeps unreserved characters and `,:()`).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b','
            | b':'
            | b'('
            | b')' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests;
