//! Unit tests of the pager: limits, keyset continuation, binding, expiry.

use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::*;

const BASE: &str = "http://127.0.0.1:9/api/1.0";

fn pager() -> Pager {
    Pager::new([7; 32], Duration::from_secs(900))
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{}", 1000 + i)).collect()
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_700_000_000_000).expect("valid time")
}

fn offset_of(slice: &PageSlice) -> String {
    slice
        .next_page
        .as_ref()
        .and_then(|n| n["offset"].as_str())
        .expect("a next page")
        .to_owned()
}

fn with_offset(query: &[(String, String)], token: &str) -> Vec<(String, String)> {
    let mut query = query.to_vec();
    query.push(("offset".to_owned(), token.to_owned()));
    query
}

fn message(result: Result<PageSlice, ApiError>) -> String {
    let err = result.expect_err("should be refused");
    assert_eq!(err.status, StatusCode::BAD_REQUEST);
    err.message
}

#[test]
fn without_limit_returns_everything_and_omits_next_page() {
    let slice = pager()
        .page(&keys(250), "/projects/1/tasks", &[], BASE, now())
        .expect("page");
    assert_eq!(
        slice,
        PageSlice {
            range: 0..250,
            next_page: None
        }
    );
}

#[test]
fn limit_must_be_an_integer_between_1_and_100() {
    let p = pager();
    for bad in ["0", "101", "-3", "abc", "2.5", ""] {
        let msg = message(p.page(&keys(3), "/tasks", &q(&[("limit", bad)]), BASE, now()));
        assert!(msg.starts_with("limit: "), "{bad}: {msg}");
    }
    for good in ["1", "100"] {
        assert!(
            p.page(&keys(3), "/tasks", &q(&[("limit", good)]), BASE, now())
                .is_ok()
        );
    }
}

#[test]
fn last_page_has_null_next_page() {
    let slice = pager()
        .page(&keys(3), "/tasks", &q(&[("limit", "3")]), BASE, now())
        .expect("page");
    assert_eq!(
        slice,
        PageSlice {
            range: 0..3,
            next_page: Some(Value::Null)
        }
    );
    let empty = pager()
        .page(&[], "/tasks", &q(&[("limit", "5")]), BASE, now())
        .expect("page");
    assert_eq!(
        empty,
        PageSlice {
            range: 0..0,
            next_page: Some(Value::Null)
        }
    );
}

#[test]
fn next_page_has_offset_path_and_uri_with_the_original_query() {
    let query = q(&[
        ("project", "42"),
        ("limit", "2"),
        ("opt_fields", "name,memberships.(project|section).name"),
    ]);
    let slice = pager()
        .page(&keys(5), "/tasks", &query, BASE, now())
        .expect("page");
    let next = slice.next_page.expect("next page");
    let token = next["offset"].as_str().expect("offset");
    let path = format!(
        "/tasks?project=42&limit=2&opt_fields=name,memberships.(project%7Csection).name&offset={token}"
    );
    assert_eq!(next["path"], path);
    assert_eq!(next["uri"], format!("{BASE}{path}"));
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    );
}

#[test]
fn pages_through_without_gaps_or_duplicates() {
    let (p, all, query) = (pager(), keys(23), q(&[("limit", "7")]));
    let mut seen = Vec::new();
    let mut current = query.clone();
    loop {
        let slice = p
            .page(&all, "/projects/1/tasks", &current, BASE, now())
            .expect("page");
        seen.extend(all[slice.range.clone()].iter().cloned());
        match slice.next_page {
            Some(Value::Null) => break,
            Some(_) => current = with_offset(&query, &offset_of(&slice)),
            None => panic!("limit was sent"),
        }
    }
    assert_eq!(seen, all);
}

#[test]
fn continues_at_the_stored_index_when_the_last_key_vanished() {
    let (p, mut all, query) = (pager(), keys(10), q(&[("limit", "3")]));
    let first = p.page(&all, "/t", &query, BASE, now()).expect("page");
    all.remove(2); // the last key of page one is deleted
    let second = p
        .page(
            &all,
            "/t",
            &with_offset(&query, &offset_of(&first)),
            BASE,
            now(),
        )
        .expect("page");
    assert_eq!(second.range, 2..5);
    assert_eq!(all[2], "1003");
}

#[test]
fn continues_after_the_last_key_when_earlier_items_vanished() {
    let (p, mut all, query) = (pager(), keys(10), q(&[("limit", "3")]));
    let first = p.page(&all, "/t", &query, BASE, now()).expect("page");
    all.remove(0);
    let second = p
        .page(
            &all,
            "/t",
            &with_offset(&query, &offset_of(&first)),
            BASE,
            now(),
        )
        .expect("page");
    assert_eq!(all[second.range.start], "1003");
}

#[test]
fn the_token_binds_route_and_filters_but_not_their_order() {
    let p = pager();
    let query = q(&[("project", "1"), ("limit", "2"), ("completed_since", "now")]);
    let token = offset_of(
        &p.page(&keys(9), "/tasks", &query, BASE, now())
            .expect("page"),
    );
    let reordered = q(&[
        ("completed_since", "now"),
        ("offset", &token),
        ("limit", "2"),
        ("project", "1"),
    ]);
    assert!(p.page(&keys(9), "/tasks", &reordered, BASE, now()).is_ok());
    let other_filter = q(&[
        ("project", "2"),
        ("limit", "2"),
        ("completed_since", "now"),
        ("offset", &token),
    ]);
    assert_eq!(
        message(p.page(&keys(9), "/tasks", &other_filter, BASE, now())),
        INVALID_MESSAGE
    );
    let other_route = with_offset(&query, &token);
    assert_eq!(
        message(p.page(&keys(9), "/projects/1/tasks", &other_route, BASE, now())),
        INVALID_MESSAGE
    );
    let other_limit = q(&[
        ("project", "1"),
        ("limit", "3"),
        ("completed_since", "now"),
        ("offset", &token),
    ]);
    assert_eq!(
        message(p.page(&keys(9), "/tasks", &other_limit, BASE, now())),
        INVALID_MESSAGE
    );
}

#[test]
fn tampered_foreign_and_garbage_tokens_are_invalid() {
    let p = pager();
    let query = q(&[("limit", "2")]);
    let token = offset_of(&p.page(&keys(9), "/t", &query, BASE, now()).expect("page"));
    let (payload, tag) = token.split_once('.').expect("two parts");
    let mut forged: Vec<u8> = URL_SAFE_NO_PAD.decode(payload).expect("base64");
    let at = forged.iter().position(|b| *b == b'1').expect("a digit");
    forged[at] = b'2';
    let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(forged));
    let foreign = offset_of(
        &Pager::new([8; 32], Duration::from_secs(900))
            .page(&keys(9), "/t", &query, BASE, now())
            .expect("page"),
    );
    for bad in [
        forged.as_str(),
        foreign.as_str(),
        "garbage",
        "",
        "a.b",
        "eyJ0eXAiOJiKV1iQLCJhbGciOiJIUzI1NiJ9",
    ] {
        assert_eq!(
            message(p.page(&keys(9), "/t", &with_offset(&query, bad), BASE, now())),
            INVALID_MESSAGE,
            "{bad}"
        );
    }
}

#[test]
fn tokens_expire_after_the_ttl_read_at_check_time() {
    let p = pager();
    let query = q(&[("limit", "2")]);
    let token = offset_of(&p.page(&keys(9), "/t", &query, BASE, now()).expect("page"));
    let next = with_offset(&query, &token);
    let at = |secs| now() + TimeDelta::seconds(secs);
    assert!(p.page(&keys(9), "/t", &next, BASE, at(900)).is_ok());
    assert_eq!(
        message(p.page(&keys(9), "/t", &next, BASE, at(901))),
        EXPIRED_MESSAGE
    );
    p.set_ttl(Duration::from_secs(10));
    assert!(p.page(&keys(9), "/t", &next, BASE, at(10)).is_ok());
    assert_eq!(
        message(p.page(&keys(9), "/t", &next, BASE, at(11))),
        EXPIRED_MESSAGE
    );
}

#[test]
fn expire_all_expires_every_token_issued_so_far_only() {
    let p = pager();
    let query = q(&[("limit", "2")]);
    let old = offset_of(&p.page(&keys(9), "/t", &query, BASE, now()).expect("page"));
    p.expire_all();
    assert_eq!(
        message(p.page(&keys(9), "/t", &with_offset(&query, &old), BASE, now())),
        EXPIRED_MESSAGE
    );
    let fresh = offset_of(&p.page(&keys(9), "/t", &query, BASE, now()).expect("page"));
    assert!(
        p.page(&keys(9), "/t", &with_offset(&query, &fresh), BASE, now())
            .is_ok()
    );
}

#[test]
fn dropping_the_limit_makes_a_token_foreign() {
    let p = pager();
    let token = offset_of(
        &p.page(&keys(9), "/t", &q(&[("limit", "4")]), BASE, now())
            .expect("page"),
    );
    // The token binds `limit=4`, so dropping the limit makes it foreign.
    assert_eq!(
        message(p.page(&keys(9), "/t", &q(&[("offset", &token)]), BASE, now())),
        INVALID_MESSAGE
    );
}
