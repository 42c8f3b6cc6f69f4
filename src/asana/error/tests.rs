//! Tests of error classification, messages and `Retry-After` parsing.
use std::time::SystemTime;

use reqwest::{
    StatusCode,
    header::{HeaderMap, HeaderValue, RETRY_AFTER},
};

use super::{classify::retry_after, *};

fn classify(status: u16, body: &str) -> Error {
    let status = StatusCode::from_u16(status).unwrap();
    from_response(
        Target::new("portfolio", 123),
        status,
        &HeaderMap::new(),
        body.as_bytes(),
        150,
    )
}

#[test]
fn messages_say_what_to_do() {
    let e = classify(401, r#"{"errors":[{"message":"Not Authorized"}]}"#);
    assert_eq!(
        e.to_string(),
        "Asana rejected the token (401): check ASANA_ACCESS_TOKEN: Asana says \"Not Authorized\""
    );
    let e = classify(
        404,
        r#"{"errors":[{"message":"portfolio: Unknown object: 123"}]}"#,
    );
    assert!(
        e.to_string()
            .starts_with("portfolio 123 not found or not visible to this token (404)")
    );
    assert!(classify(402, "{}").to_string().contains("premium"));
    assert!(
        classify(403, "{}")
            .to_string()
            .contains("portfolio 123 is not accessible")
    );
}

#[test]
fn a_404_that_is_not_asanas_says_the_base_url_looks_wrong() {
    let no_route = r#"{"errors":[{"message":"No matching route for request"}]}"#;
    for body in ["", "<html>Not Found</html>", "{}", no_route] {
        let e = classify(404, body);
        assert!(matches!(e, Error::NoRoute { .. }), "{body}: {e:?}");
        assert_eq!(e.status(), Some(404));
        let text = e.to_string();
        assert!(
            text.starts_with("the request for portfolio 123 reached no Asana API route (404")
                && text.ends_with(
                    "ASANA_BASE_URL looks wrong (Asana's is https://app.asana.com/api/1.0)"
                ),
            "{text}"
        );
    }
    let e = classify(404, r#"{"errors":[{"message":"task: Unknown object: 1"}]}"#);
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
}

#[test]
fn classification_is_decided_once() {
    for code in [429, 500, 502, 503, 504] {
        assert!(classify(code, "").is_retryable(), "{code}");
    }
    for code in [400, 401, 402, 403, 404, 412, 451, 405] {
        assert!(!classify(code, "").is_retryable(), "{code}");
    }
}

#[test]
fn html_bodies_fall_back_to_the_status_line() {
    let e = classify(502, "<html><body>Bad Gateway</body></html>");
    assert_eq!(
        e.to_string(),
        "Asana failed to serve portfolio 123 (502): 502 Bad Gateway"
    );
}

#[test]
fn expired_offset_is_its_own_variant() {
    let body = r#"{"errors":[{"message":"offset: Your pagination token has expired."}]}"#;
    assert!(matches!(classify(400, body), Error::OffsetExpired { .. }));
    assert!(matches!(classify(400, "{}"), Error::BadRequest { .. }));
}

#[test]
fn sync_expired_keeps_the_fresh_token() {
    let e = classify(
        412,
        r#"{"errors":[{"message":"Sync token invalid"}],"sync":"abc:0"}"#,
    );
    assert!(matches!(e, Error::SyncExpired { fresh_sync: Some(s), .. } if s == "abc:0"));
}

#[test]
fn retry_after_reads_seconds_and_http_dates() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // 2015-10-21T07:28:00Z
    let mut h = HeaderMap::new();
    h.insert(RETRY_AFTER, HeaderValue::from_static(" 30 "));
    assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
    h.insert(
        RETRY_AFTER,
        HeaderValue::from_static("Wed, 21 Oct 2015 07:28:10 GMT"),
    );
    assert_eq!(retry_after(&h, now), Some(Duration::from_secs(10)));
    h.insert(
        RETRY_AFTER,
        HeaderValue::from_static("Wed, 21 Oct 2015 07:27:00 GMT"),
    );
    assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
    h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
    assert_eq!(retry_after(&h, now), None);
}

#[test]
fn gave_up_keeps_the_classification() {
    let mut h = HeaderMap::new();
    h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
    let last = from_response(
        Target::new("project", 1),
        StatusCode::TOO_MANY_REQUESTS,
        &h,
        b"",
        150,
    );
    let e = Error::GaveUp {
        attempts: 5,
        last: Box::new(last),
    };
    assert!(e.is_retryable());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(e.status(), Some(429));
    let text = e.to_string();
    assert!(
        text.contains("150 requests/minute") && text.contains("5 attempts"),
        "{text}"
    );
}
