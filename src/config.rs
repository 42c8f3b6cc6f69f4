//! Typed, validated configuration, built from the environment and the
//! command line before any work starts: the database URL (whose password
//! never reaches output) and what a sync needs to reach Asana (whose token
//! never reaches output either). A bad or missing value is a
//! [`ConfigError`]: one line that names the variable and what to do, exit 2.

use std::{fmt, num::NonZeroU32, time::Duration};

use reqwest::Url;
use secrecy::SecretString;

use crate::{
    asana::{AsanaConfig, DEFAULT_BASE_URL, Gid},
    store::Namespace,
};

/// Requests per minute when `ASANA_REQUESTS_PER_MINUTE` is unset (Asana's
/// free tier).
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 150;

/// How long connecting to the database may take before aegis gives up.
pub const DATABASE_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Attempts per request of a worker's Asana client (the first included).
pub const WORKER_REQUEST_ATTEMPTS: u32 = 3;

/// The longest a worker's Asana client waits in memory, between tries or
/// for a `Retry-After`; a longer wait ends the job's attempt instead and is
/// persisted as its next run time.
pub const WORKER_LONGEST_WAIT: Duration = Duration::from_secs(2);

/// A problem the user fixes in the environment or on the command line (exit
/// code 2). The message is one line: what is wrong, then what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Where the database is. `Debug` and [`redacted`](Self::redacted) hide the
/// password.
#[derive(Clone)]
pub struct DatabaseConfig {
    url: String,
    namespace: Namespace,
}

impl DatabaseConfig {
    /// Checks `DATABASE_URL` / `--database-url`.
    ///
    /// # Errors
    /// [`ConfigError`] when it is missing or empty, or not a `postgres://`
    /// (or `postgresql://`) URL.
    pub fn new(url: Option<String>) -> Result<Self, ConfigError> {
        match url.filter(|u| !u.trim().is_empty()) {
            Some(url) if is_postgres_url(&url) => Ok(Self {
                url,
                namespace: Namespace::cli_default(),
            }),
            Some(url) => Err(ConfigError(format!(
                "DATABASE_URL must be a postgres:// URL, got {} (e.g. \
                 postgres://user:password@host/db)",
                redact_url(&url)
            ))),
            None => Err(ConfigError(
                "DATABASE_URL is not set (export DATABASE_URL=postgres://user:password@host/db \
                 or pass --database-url)"
                    .to_owned(),
            )),
        }
    }

    /// The same database, for the aegis setup in `namespace`.
    pub fn with_namespace(self, namespace: Namespace) -> Self {
        Self { namespace, ..self }
    }

    /// The schema and queues of the aegis setup (default
    /// [`Namespace::cli_default`]).
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// The URL to connect with (password included: never print it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL for messages: the password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact_url(&self.url)
    }
}

/// Whether `url` names PostgreSQL, as sqlx's driver accepts it.
fn is_postgres_url(url: &str) -> bool {
    url.split_once("://").is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql")
    })
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &self.redacted())
            .finish()
    }
}

/// What a sync needs to reach Asana. `Debug` redacts the token.
#[derive(Clone)]
pub struct AsanaSettings {
    /// `ASANA_BASE_URL` (default [`DEFAULT_BASE_URL`]).
    pub base_url: Url,
    /// `ASANA_ACCESS_TOKEN`.
    pub token: SecretString,
    /// `ASANA_REQUESTS_PER_MINUTE` (default [`DEFAULT_REQUESTS_PER_MINUTE`]).
    pub requests_per_minute: NonZeroU32,
    /// `ASANA_PORTFOLIO_GID`.
    pub portfolio: Gid,
    /// `AEGIS_USER_GID`; `None` = the token's own user.
    pub aegis_user: Option<Gid>,
}

impl AsanaSettings {
    /// Reads the `ASANA_*` and `AEGIS_USER_GID` variables of this process.
    ///
    /// # Errors
    /// See [`from_lookup`](Self::from_lookup).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the settings from `get` (a variable's value by name; empty
    /// counts as unset).
    ///
    /// # Errors
    /// [`ConfigError`] naming every missing required variable at once, or
    /// the first malformed one.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let token = get("ASANA_ACCESS_TOKEN");
        let portfolio = get("ASANA_PORTFOLIO_GID");
        let missing: Vec<&str> = [
            ("ASANA_ACCESS_TOKEN", token.is_none()),
            ("ASANA_PORTFOLIO_GID", portfolio.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
        let (Some(token), Some(portfolio)) = (token, portfolio) else {
            return Err(missing_error(&missing));
        };
        Ok(Self {
            base_url: base_url(get("ASANA_BASE_URL"))?,
            token: SecretString::from(token),
            requests_per_minute: requests_per_minute(get("ASANA_REQUESTS_PER_MINUTE"))?,
            portfolio: gid("ASANA_PORTFOLIO_GID", &portfolio)?,
            aegis_user: get("AEGIS_USER_GID")
                .map(|raw| gid("AEGIS_USER_GID", &raw))
                .transpose()?,
        })
    }

    /// The Asana client's configuration: these values, the client's defaults
    /// for the rest.
    pub fn client_config(&self) -> AsanaConfig {
        let mut config = AsanaConfig::new(self.base_url.clone(), self.token.clone());
        config.requests_per_minute = self.requests_per_minute;
        config
    }

    /// A worker's client configuration: [`client_config`](Self::client_config)
    /// with short in-process retries ([`WORKER_REQUEST_ATTEMPTS`] tries, waits
    /// of at most [`WORKER_LONGEST_WAIT`]). A longer outage or `Retry-After`
    /// fails the job's attempt with a retryable error, and the worker's guard
    /// persists the wait as the job's next run time: a waiting job holds no
    /// worker slot and survives a restart.
    pub fn worker_client_config(&self) -> AsanaConfig {
        let mut config = self.client_config();
        config.max_attempts = WORKER_REQUEST_ATTEMPTS;
        config.backoff_base = Duration::from_millis(500);
        config.backoff_max = WORKER_LONGEST_WAIT;
        config.max_retry_wait = WORKER_LONGEST_WAIT;
        config
    }
}

/// `ASANA_PORTFOLIO_GID` alone: what `aegis enqueue` needs (no token: the
/// workers call Asana, not the enqueuer).
///
/// # Errors
/// [`ConfigError`] when it is missing or not a gid.
pub fn portfolio_from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Gid, ConfigError> {
    match get("ASANA_PORTFOLIO_GID").filter(|v| !v.trim().is_empty()) {
        Some(raw) => gid("ASANA_PORTFOLIO_GID", &raw),
        None => Err(ConfigError(
            "ASANA_PORTFOLIO_GID is not set (export ASANA_PORTFOLIO_GID=<portfolio gid, digits>)"
                .to_owned(),
        )),
    }
}

/// [`portfolio_from_lookup`] over this process's environment.
///
/// # Errors
/// As [`portfolio_from_lookup`].
pub fn portfolio_from_env() -> Result<Gid, ConfigError> {
    portfolio_from_lookup(|name| std::env::var(name).ok())
}

impl fmt::Debug for AsanaSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsanaSettings")
            .field("base_url", &self.base_url.as_str())
            .field("token", &"[redacted]")
            .field("requests_per_minute", &self.requests_per_minute)
            .field("portfolio", &self.portfolio)
            .field("aegis_user", &self.aegis_user)
            .finish()
    }
}

fn missing_error(missing: &[&str]) -> ConfigError {
    let (names, verb) = match missing {
        [one] => ((*one).to_owned(), "is"),
        many => (many.join(" and "), "are"),
    };
    ConfigError(format!(
        "{names} {verb} not set (export ASANA_ACCESS_TOKEN=<personal access token> and \
         ASANA_PORTFOLIO_GID=<portfolio gid, digits>)"
    ))
}

fn gid(name: &str, raw: &str) -> Result<Gid, ConfigError> {
    Gid::parse(raw).map_err(|_| {
        ConfigError(format!(
            "{name} must be an Asana gid, got {raw:?} (use the digits from the Asana URL, \
             e.g. 1204567890123)"
        ))
    })
}

fn base_url(raw: Option<String>) -> Result<Url, ConfigError> {
    let raw = raw.unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    match Url::parse(&raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        _ => Err(ConfigError(format!(
            "ASANA_BASE_URL must be an http(s) URL, got {raw:?} (unset it to use \
             {DEFAULT_BASE_URL})"
        ))),
    }
}

fn requests_per_minute(raw: Option<String>) -> Result<NonZeroU32, ConfigError> {
    let Some(raw) = raw else {
        return Ok(NonZeroU32::new(DEFAULT_REQUESTS_PER_MINUTE).unwrap_or(NonZeroU32::MIN));
    };
    raw.trim().parse().map_err(|_| {
        ConfigError(format!(
            "ASANA_REQUESTS_PER_MINUTE must be a whole number above 0, got {raw:?} (Asana \
             allows 150 on free plans, 1500 on paid ones)"
        ))
    })
}

/// `url` with its password (in the user-info part or a `password=` query
/// parameter) replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let mut parsed = match Url::parse(url) {
        // `scheme:user:pw@host` parses as a path, with no password to find.
        Ok(parsed) if !parsed.cannot_be_a_base() => parsed,
        _ => return redact_unparsed(url),
    };
    if parsed.password().is_some() && parsed.set_password(Some("***")).is_err() {
        return redact_unparsed(url);
    }
    if parsed.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" { "***".into() } else { v };
                (k.into_owned(), v.into_owned())
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// A URL that does not parse: keep the scheme and what follows the last
/// `@`, so no password can leak whatever its shape.
fn redact_unparsed(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        (_, Some(at)) => format!("***@{}", &url[at + 1..]),
        _ if url.contains("password") => "<database URL hidden: it holds a password>".into(),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests;
