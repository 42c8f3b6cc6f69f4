//! Config validation and URL redaction.

use std::collections::HashMap;

use secrecy::ExposeSecret;

use super::*;

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| vars.get(name).cloned()
}

const REQUIRED: [(&str, &str); 2] = [
    ("ASANA_ACCESS_TOKEN", "1/secret-token"),
    ("ASANA_PORTFOLIO_GID", "1204567890123"),
];

#[test]
fn defaults_apply_when_only_the_required_variables_are_set() {
    let s = AsanaSettings::from_lookup(lookup(&REQUIRED)).unwrap();
    assert_eq!(s.base_url.as_str(), format!("{DEFAULT_BASE_URL}"));
    assert_eq!(s.requests_per_minute.get(), 150);
    assert_eq!(s.portfolio.as_str(), "1204567890123");
    assert_eq!(s.aegis_user, None);
    assert_eq!(s.token.expose_secret(), "1/secret-token");
}

#[test]
fn every_missing_variable_is_named_in_one_line() {
    let err = AsanaSettings::from_lookup(lookup(&[])).unwrap_err().0;
    assert!(err.contains("ASANA_ACCESS_TOKEN and ASANA_PORTFOLIO_GID are not set"));
    assert!(!err.contains('\n'));
    let err = AsanaSettings::from_lookup(lookup(&[REQUIRED[1], ("ASANA_ACCESS_TOKEN", " ")]))
        .unwrap_err()
        .0;
    assert!(err.starts_with("ASANA_ACCESS_TOKEN is not set ("), "{err}");
}

#[test]
fn malformed_values_are_refused_with_the_variable_named() {
    let cases = [
        (
            "ASANA_PORTFOLIO_GID",
            "abc",
            "ASANA_PORTFOLIO_GID must be an Asana gid",
        ),
        (
            "AEGIS_USER_GID",
            "me",
            "AEGIS_USER_GID must be an Asana gid",
        ),
        (
            "ASANA_BASE_URL",
            "ftp://x",
            "ASANA_BASE_URL must be an http(s) URL",
        ),
        (
            "ASANA_REQUESTS_PER_MINUTE",
            "0",
            "ASANA_REQUESTS_PER_MINUTE must be",
        ),
        (
            "ASANA_REQUESTS_PER_MINUTE",
            "many",
            "ASANA_REQUESTS_PER_MINUTE must be",
        ),
    ];
    for (name, value, expected) in cases {
        let mut vars = REQUIRED.to_vec();
        vars.retain(|(k, _)| *k != name);
        vars.push((name, value));
        let err = AsanaSettings::from_lookup(lookup(&vars)).unwrap_err().0;
        assert!(err.starts_with(expected), "{name}={value}: {err}");
    }
}

#[test]
fn debug_never_shows_the_token_or_the_password() {
    let s = AsanaSettings::from_lookup(lookup(&REQUIRED)).unwrap();
    let debug = format!("{s:?} {:?}", s.client_config());
    assert!(!debug.contains("secret-token"), "{debug}");
    let db = DatabaseConfig::new(Some("postgres://u:hunter2@db:5432/x".into())).unwrap();
    assert!(!format!("{db:?}").contains("hunter2"));
}

#[test]
fn a_missing_database_url_says_what_to_do() {
    for url in [None, Some(String::new())] {
        let err = DatabaseConfig::new(url).unwrap_err().0;
        assert!(err.starts_with("DATABASE_URL is not set ("), "{err}");
    }
}

#[test]
fn a_database_url_of_another_database_is_refused() {
    for url in ["mysql://x:pw@y/z", "localhost/aegis", "sqlite://a.db"] {
        let err = DatabaseConfig::new(Some(url.into())).unwrap_err().0;
        assert!(
            err.starts_with("DATABASE_URL must be a postgres:// URL, got "),
            "{err}"
        );
        assert!(!err.contains("pw@"), "{err}");
    }
    for url in ["postgres://u@h/db", "postgresql://h/db", "POSTGRES://h"] {
        assert!(DatabaseConfig::new(Some(url.into())).is_ok(), "{url}");
    }
}

#[test]
fn redaction_hides_passwords_in_every_shape() {
    let cases = [
        (
            "postgres://u:hunter2@db:5432/x",
            "postgres://u:***@db:5432/x",
        ),
        ("postgres://u@db/x", "postgres://u@db/x"),
        (
            "postgres://db/x?user=u&password=hunter2",
            "postgres://db/x?user=u&password=***",
        ),
        ("postgres://u:p%40ss@db/x", "postgres://u:***@db/x"),
        ("not a url:hunter2@db", "***@db"),
        ("postgres:u:hunter2@db/x", "***@db/x"),
        ("://u:hunter2@db/x", "://***@db/x"),
    ];
    for (url, expected) in cases {
        let redacted = redact_url(url);
        assert_eq!(redacted, expected, "{url}");
        assert!(!redacted.contains("hunter2") && !redacted.contains("p%40ss"));
    }
}

#[test]
fn enqueue_needs_only_the_portfolio() {
    let gid = portfolio_from_lookup(lookup(&[("ASANA_PORTFOLIO_GID", " 42 ")]));
    assert_eq!(gid.unwrap().as_str(), "42");
    let missing = portfolio_from_lookup(lookup(&[("ASANA_ACCESS_TOKEN", "1/t")])).unwrap_err();
    assert!(
        missing.0.starts_with("ASANA_PORTFOLIO_GID is not set"),
        "{missing}"
    );
    let bad = portfolio_from_lookup(lookup(&[("ASANA_PORTFOLIO_GID", "abc")])).unwrap_err();
    assert!(bad.0.contains("must be an Asana gid"), "{bad}");
}

#[test]
fn a_worker_client_keeps_its_waits_short() {
    let s = AsanaSettings::from_lookup(lookup(&REQUIRED)).unwrap();
    let config = s.worker_client_config();
    assert_eq!(config.max_attempts, WORKER_REQUEST_ATTEMPTS);
    assert!(config.backoff_max <= WORKER_LONGEST_WAIT);
    assert!(config.max_retry_wait <= WORKER_LONGEST_WAIT);
    assert_eq!(config.requests_per_minute, s.requests_per_minute);
}
