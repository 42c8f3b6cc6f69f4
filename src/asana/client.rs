//! `AsanaClient` and its single request chokepoint, [`AsanaClient::get`]
//! (and its writes, POST and DELETE, through the same loop: `write`):
//! admission (in-flight cap, 429 pause, rate budget — local or shared by
//! every process of the token), send with the bearer
//! token, classify, retry honouring `Retry-After`, decode with field paths;
//! with a shared budget, the token's hold (401, open circuit) and its
//! probes (`hold`).
//! Every Asana request of aegis goes through it.

use std::{
    collections::HashSet,
    fmt,
    sync::{Arc, Mutex},
};

use reqwest::{
    StatusCode, Url,
    header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue},
};
use secrecy::ExposeSecret;
use serde::{Deserialize, de::DeserializeOwned};
use tracing::{debug, instrument, warn};

use super::{
    AsanaConfig, ClientStats, Error, Result, Target,
    error::from_response,
    limit::{Limiter, Refused},
    retry::Retries,
    stats::Recorder,
};

/// Distinct `Asana-Change` values remembered (each is logged once).
const MAX_CHANGES_REMEMBERED: usize = 64;

/// A client for Asana's REST API. Cheap to clone: clones share the
/// connection pool, the rate budget, the in-flight cap and the totals.
#[derive(Clone)]
pub struct AsanaClient {
    inner: Arc<Inner>,
    stats: Recorder,
}

struct Inner {
    http: reqwest::Client,
    config: AsanaConfig,
    limiter: Limiter,
    changes_seen: Mutex<HashSet<String>>,
    /// The token's user, asked once per client.
    me: tokio::sync::OnceCell<super::User>,
}

/// `{"data": …}`, Asana's envelope for a single object.
#[derive(Deserialize, serde::Serialize)]
struct Data<T> {
    data: T,
}

impl AsanaClient {
    /// Builds the client: one reqwest `Client` (rustls with ring and
    /// the platform's verifier, no process-wide provider) with the timeouts and the token as a sensitive default header.
    ///
    /// # Errors
    /// [`Error::Config`] when the token cannot be an HTTP header value or the
    /// TLS backend fails to initialise. The token is not in the message.
    pub fn new(config: AsanaConfig) -> Result<Self> {
        let mut auth = HeaderValue::try_from(format!("Bearer {}", config.token.expose_secret()))
            .map_err(|_| {
                Error::Config(
                    "ASANA_ACCESS_TOKEN holds characters not allowed in an HTTP header".into(),
                )
            })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let tls = tls::client_config()
            .map_err(|e| Error::Config(format!("cannot set up TLS for the HTTP client: {e}")))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .default_headers(headers)
            .user_agent(concat!("aegis/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        let limiter = Limiter::new(
            config.requests_per_minute,
            config.max_in_flight,
            &config.budget,
            config.max_retry_wait,
        );
        let inner = Inner {
            http,
            config,
            limiter,
            changes_seen: Mutex::default(),
            me: tokio::sync::OnceCell::new(),
        };
        let stats = Recorder {
            metrics: inner.config.metrics.clone(),
            ..Recorder::default()
        };
        Ok(Self {
            inner: Arc::new(inner),
            stats,
        })
    }

    /// A handle for one sync run: it shares everything with `self` (budget,
    /// pool, totals) but [`stats`](Self::stats) counts only its own requests.
    pub fn scoped(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            stats: self.stats.scoped(),
        }
    }

    /// Counters of this handle: the run's for a [`scoped`](Self::scoped)
    /// handle, the process-wide totals otherwise. Take two snapshots and
    /// [`ClientStats::since`] for a delta.
    pub fn stats(&self) -> ClientStats {
        self.stats.snapshot()
    }

    /// How long the pause after a 429 (`Retry-After`) still holds this
    /// client's requests, if one runs.
    pub fn paused_for(&self) -> Option<std::time::Duration> {
        self.inner.limiter.pause_left()
    }

    /// The Prometheus series this client counts in, if any
    /// ([`AsanaConfig::metrics`]).
    pub fn metrics(&self) -> Option<&crate::metrics::Metrics> {
        self.inner.config.metrics.as_ref()
    }

    /// The process-wide totals, whatever the handle.
    pub fn total_stats(&self) -> ClientStats {
        self.stats.totals.snapshot()
    }

    /// The memo of the token's user, shared by every handle of the client.
    pub(crate) fn me_cell(&self) -> &tokio::sync::OnceCell<super::User> {
        &self.inner.me
    }

    pub(crate) fn record_page(&self) {
        self.stats.page();
    }

    /// GETs `path` (relative to the base URL, e.g. `/tasks/123`) with `query`
    /// and decodes the whole body as `T`. This is the chokepoint: see the
    /// module docs. `target` names the object for error messages.
    ///
    /// # Errors
    /// A fatal [`Error`] at once; a retryable one wrapped in
    /// [`Error::GaveUp`] once `max_attempts` failures are spent (429s are
    /// not failures), or in [`Error::RateLimitWaitExceeded`] once its 429s
    /// were waited out for `max_rate_limit_wait`.
    #[instrument(skip_all, fields(asana.target = %target, asana.path = path))]
    pub async fn get<T: DeserializeOwned>(
        &self,
        target: &Target,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        let url = self.url(target, path, query)?;
        self.request(target, &url, Verb::Get).await
    }

    /// The chokepoint's loop for any verb: attempts until one succeeds, a
    /// fatal error, or the retries are spent. A request that is not
    /// idempotent (a POST) is retried only when it was surely not acted
    /// on: see [`Verb::idempotent`] and `unsent`.
    pub(super) async fn request<T: DeserializeOwned>(
        &self,
        target: &Target,
        url: &Url,
        verb: Verb<'_>,
    ) -> Result<T> {
        let mut retries = Retries::new(&self.inner.config);
        loop {
            let error = match self.attempt(target, url, verb).await {
                Ok(decoded) => return Ok(decoded),
                Err(error) if !error.is_retryable() => return Err(error),
                // Held for the whole token: the caller waits (a job is handed back).
                Err(error @ Error::Held { .. }) => return Err(error),
                Err(error) if !verb.idempotent() && !unsent(&error) => return Err(error),
                Err(error) => error,
            };
            let Some(wait) = retries.next_wait(&error) else {
                return Err(retries.give_up(error));
            };
            let rate_limited = matches!(error, Error::RateLimited { .. });
            self.stats.retry(wait, rate_limited);
            if rate_limited {
                debug!(
                    retry.wait_ms = wait.as_millis() as u64,
                    "rate-limited; waiting it out"
                );
            } else {
                warn!(error.message = %error, retry.wait_ms = wait.as_millis() as u64, "retrying Asana request");
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// [`get`](Self::get) for a single object: unwraps `{"data": …}`.
    pub(crate) async fn get_data<T: DeserializeOwned>(
        &self,
        target: &Target,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        Ok(self.get::<Data<T>>(target, path, query).await?.data)
    }

    pub(super) fn url(&self, target: &Target, path: &str, query: &[(&str, String)]) -> Result<Url> {
        let base = self.inner.config.base_url.as_str().trim_end_matches('/');
        let mut url = Url::parse(&format!("{base}{path}")).map_err(|e| Error::Request {
            target: target.clone(),
            message: e.to_string(),
        })?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// One attempt: admit (or, with the token held, probe first), send,
    /// read the body, classify, tell the shared budget, decode.
    async fn attempt<T: DeserializeOwned>(
        &self,
        target: &Target,
        url: &Url,
        verb: Verb<'_>,
    ) -> Result<T> {
        let refused = |refused| refused_error(target, refused);
        let (permit, failing) = match self.inner.limiter.admit(&self.stats).await {
            Ok(admitted) => admitted,
            Err(Refused::Held(reason, retry_in)) => {
                self.probe(target, (reason, retry_in), false).await?;
                self.inner
                    .limiter
                    .admit(&self.stats)
                    .await
                    .map_err(refused)?
            }
            Err(other) => return Err(refused(other)),
        };
        self.stats.request();
        let exchanged = self.exchange(target, url, verb).await;
        drop(permit);
        let (status, headers, body) = match exchanged {
            Ok(exchanged) => exchanged,
            Err(error) => return Err(self.report_error(target, error).await),
        };
        if !status.is_success() {
            let error = self.classify(target, status, &headers, &body);
            if let Some(wait) = error.retry_after() {
                self.inner.limiter.pause(wait).await;
            }
            return Err(self.report_error(target, error).await);
        }
        if failing {
            self.report_success().await;
        }
        decode(target, &body)
    }

    /// Sends one request and reads its whole body.
    async fn exchange(
        &self,
        target: &Target,
        url: &Url,
        verb: Verb<'_>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>)> {
        let response = verb.build(&self.inner.http, url).send().await;
        self.observe_request(url, response.as_ref().ok().map(|r| r.status()));
        let response = response.map_err(|e| transport_error(target, e))?;
        self.log_asana_change(response.headers());
        let status = response.status();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(body) => Vec::from(body),
            Err(e) if status.is_success() => return Err(body_error(target, e)),
            Err(_) => Vec::new(),
        };
        Ok((status, headers, body))
    }

    /// Counts the request in the process's Prometheus series, if any.
    fn observe_request(&self, url: &Url, status: Option<StatusCode>) {
        if let Some(metrics) = &self.inner.config.metrics {
            let base = self.inner.config.base_url.path().trim_end_matches('/');
            let path = url.path().strip_prefix(base).unwrap_or(url.path());
            metrics.asana_request(path, status.map(|s| s.as_u16()));
        }
    }

    /// Turns a response's status into an [`Error`], counting 429s.
    fn classify(
        &self,
        target: &Target,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Error {
        let rpm = self.inner.config.requests_per_minute.get();
        let error = from_response(target.clone(), status, headers, body, rpm);
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.stats.rate_limited();
        }
        error
    }

    /// Logs each distinct `Asana-Change` header value once.
    fn log_asana_change(&self, headers: &HeaderMap) {
        for value in headers.get_all("asana-change") {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let mut seen = self
                .inner
                .changes_seen
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if seen.len() < MAX_CHANGES_REMEMBERED && seen.insert(value.clone()) {
                warn!(asana.change = %value, "Asana announced an API change that affects aegis's requests");
            }
        }
    }
}

fn refused_error(target: &Target, refused: Refused) -> Error {
    let target = target.clone();
    match refused {
        Refused::Unreachable(source) => Error::BudgetUnavailable { target, source },
        Refused::Later(retry_after) => Error::BudgetPaused {
            target,
            retry_after,
        },
        Refused::Held(reason, retry_after) => Error::Held {
            target,
            reason,
            retry_after,
            cause: None,
        },
    }
}

fn transport_error(target: &Target, source: reqwest::Error) -> Error {
    let target = target.clone();
    if source.is_timeout() {
        Error::Timeout { target, source }
    } else if source.is_builder() {
        Error::Request {
            target,
            message: source.to_string(),
        }
    } else {
        Error::Transport { target, source }
    }
}

fn body_error(target: &Target, source: reqwest::Error) -> Error {
    let target = target.clone();
    if source.is_timeout() {
        Error::Timeout { target, source }
    } else {
        Error::Truncated {
            target,
            source: Box::new(source),
        }
    }
}

/// Decodes with the failing field's path; JSON that ends early is a
/// truncated (retryable) body, not a schema mismatch.
pub(crate) fn decode<T: DeserializeOwned>(target: &Target, body: &[u8]) -> Result<T> {
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_eof() {
            Error::Truncated {
                target: target.clone(),
                source: Box::new(inner),
            }
        } else {
            Error::Decode {
                target: target.clone(),
                path,
                message: inner.to_string(),
            }
        }
    })
}

impl fmt::Debug for AsanaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsanaClient")
            .field("config", &self.inner.config)
            .field("stats", &self.stats.snapshot())
            .finish_non_exhaustive()
    }
}

mod hold;
mod tls;
mod write;

pub(crate) use write::Verb;
use write::unsent;

#[cfg(test)]
mod budget_tests;
#[cfg(test)]
mod rate_limit_tests;
#[cfg(test)]
mod tests;
