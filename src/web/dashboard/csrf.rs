//! CSRF protection of every POST: a double-submit token.
//!
//! Each browser gets a random token in an `HttpOnly; SameSite=Strict`
//! cookie; every form the dashboard renders carries the same token in a
//! hidden field, and a POST is refused (403) unless both are present and
//! equal, compared in constant time. A page on another site can make the
//! browser send the cookie (or a basic-auth header) but can neither read
//! nor set it, so it cannot forge the field.
//!
//! Why double-submit rather than a signed token: it needs no server-side
//! session and no signing key that must be kept, shared by every replica
//! and rotated (a dashboard restart or a second replica keeps working
//! forms), and `SameSite=Strict` already keeps the cookie off cross-site
//! requests; the token is the defence for browsers that do not honour it.
//! A request authenticated by an `Authorization: Bearer` header needs no
//! token: no browser attaches that header on its own.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::cookies;

/// The hidden form field holding the token.
pub(super) const FIELD: &str = "csrf";

/// Whether `a` and `b` are equal, in time that depends on neither: both are
/// reduced to an HMAC under the process's `key` and the tags compared with
/// `verify_slice` (constant time), so even their lengths do not leak.
pub(super) fn same(key: &[u8; 32], a: &[u8], b: &[u8]) -> bool {
    let tag = |message: &[u8]| {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(message);
        mac
    };
    let expected = tag(b).finalize().into_bytes();
    tag(a).verify_slice(&expected).is_ok()
}

/// The browser's CSRF token: the one its cookie holds, or a new one to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    /// The token (64 hex digits).
    pub(super) value: String,
    /// It is new: the response must set its cookie.
    pub(super) fresh: bool,
}

impl Token {
    /// The request's token, or a new one.
    pub(super) fn of(headers: &HeaderMap) -> Token {
        match cookies::get(headers, cookies::CSRF) {
            Some(value) if is_token(value) => Token {
                value: value.to_owned(),
                fresh: false,
            },
            _ => Token {
                value: cookies::hex(&rand::random::<[u8; 32]>()),
                fresh: true,
            },
        }
    }
}

fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether a POST's form `field` matches its cookie.
pub(super) fn verify(key: &[u8; 32], headers: &HeaderMap, field: &str) -> bool {
    match cookies::get(headers, cookies::CSRF) {
        Some(cookie) if is_token(cookie) => same(key, cookie.as_bytes(), field.as_bytes()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, header};

    use super::*;

    #[test]
    fn only_the_cookies_own_token_passes() {
        let key = [7; 32];
        assert!(same(&key, b"abc", b"abc"));
        assert!(!same(&key, b"abc", b"abd"));
        assert!(!same(&key, b"abc", b"abcd"));
        let token = "a".repeat(64);
        let mut headers = HeaderMap::new();
        assert!(!verify(&key, &headers, &token), "no cookie");
        let cookie = HeaderValue::from_str(&format!("aegis_csrf={token}")).unwrap();
        headers.insert(header::COOKIE, cookie);
        assert!(verify(&key, &headers, &token));
        assert!(!verify(&key, &headers, ""));
        assert!(!verify(&key, &headers, &"b".repeat(64)));
        assert_eq!(Token::of(&headers).value, token);
        assert!(Token::of(&HeaderMap::new()).fresh);
    }
}
