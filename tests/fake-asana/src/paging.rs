//! Pagination as Asana does it: `limit` 1..100, opaque signed `offset` tokens
//! bound to the route and its filters, with an expiry, and `next_page`
//! objects `{offset, path, uri}`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::error::ApiError;

/// Issues and checks offset tokens.
#[derive(Debug)]
pub struct Pager {}

/// What one page covers.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSlice {
    /// Indices into the ordered key list that this page returns.
    pub range: std::ops::Range<usize>,
    /// `next_page` to emit: `None` = omit (no `limit` sent), `Some(Value::Null)`
    /// = last page, `Some(object)` = `{offset, path, uri}`.
    pub next_page: Option<Value>,
}

impl Pager {
    /// A pager signing with `secret`, tokens valid for `ttl`.
    pub fn new(_secret: [u8; 32], _ttl: Duration) -> Pager {
        todo!("owned by the protocol helper")
    }

    /// Changes the lifetime of tokens (checked at use, so it applies to old ones too).
    pub fn set_ttl(&self, _ttl: Duration) {
        todo!("owned by the protocol helper")
    }

    /// Makes every token issued so far expired (a test switch).
    pub fn expire_all(&self) {
        todo!("owned by the protocol helper")
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
        _keys: &[String],
        _route: &str,
        _query: &[(String, String)],
        _base_url: &str,
        _now: DateTime<Utc>,
    ) -> Result<PageSlice, ApiError> {
        todo!("owned by the protocol helper")
    }
}
