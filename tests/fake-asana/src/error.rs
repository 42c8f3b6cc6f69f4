//! Asana's error envelope: `{"errors":[{"message", "help", "phrase"}]}` with
//! the status codes and headers Asana uses. Every error the fake serves is an
//! [`ApiError`].

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

/// The `help` text Asana puts in error bodies.
pub const HELP: &str = "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors";

/// The message Asana sends with every 429.
pub const RATE_LIMIT_MESSAGE: &str = "You've made too many requests and hit a rate limit. Please retry after the given amount of time.";

/// The message of a 412 from `/events`.
pub const SYNC_INVALID_MESSAGE: &str = "Sync token invalid or too old. If you are attempting to keep resources in sync, you must fetch the full dataset for this query now and use the new sync token for the next sync.";

/// An error response in Asana's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `errors[0].message`.
    pub message: String,
    /// `errors[0].phrase`, sent on 500s only.
    pub phrase: Option<String>,
    /// Top-level `sync`, sent with 412s from `/events`.
    pub sync: Option<String>,
    /// `Retry-After` header in whole seconds.
    pub retry_after: Option<u32>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            phrase: None,
            sync: None,
            retry_after: None,
        }
    }

    /// 400 with the given message (`param: problem`).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401 `Not Authorized`.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Not Authorized")
    }

    /// 403 `<resource>: Forbidden`.
    pub fn forbidden(resource_type: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, format!("{resource_type}: Forbidden"))
    }

    /// 404 `<resource>: Unknown object: <gid>`.
    pub fn not_found(resource_type: &str, gid: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("{resource_type}: Unknown object: {gid}"),
        )
    }

    /// 404 for a route that does not exist.
    pub fn no_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "No matching route for request")
    }

    /// 412 from `/events` carrying a fresh sync token.
    pub fn sync_invalid(fresh_token: String) -> Self {
        let mut e = Self::new(StatusCode::PRECONDITION_FAILED, SYNC_INVALID_MESSAGE);
        e.sync = Some(fresh_token);
        e
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(retry_after_secs: u32) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, RATE_LIMIT_MESSAGE);
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    /// 500 with a support phrase.
    pub fn server_error() -> Self {
        let mut e = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Server Error");
        e.phrase = Some("6 sad squid snuggle softly".to_owned());
        e
    }

    /// Any other status with a JSON body.
    pub fn status(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "message": self.message, "help": HELP });
        if let Some(phrase) = &self.phrase {
            error["phrase"] = json!(phrase);
        }
        let mut body = json!({ "errors": [error] });
        if let Some(sync) = &self.sync {
            body["sync"] = json!(sync);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
