//! The chokepoint's writes: a POST with a JSON body and a DELETE go through
//! the same admission, budget, metrics, classification and decoding as a
//! GET ([`AsanaClient::get`]). Their retries differ: a DELETE is
//! idempotent and retried like a GET; a POST (creating a webhook) is not
//! idempotent, since a create retried after a timeout or a 5xx could make
//! two webhooks, so it is retried only when Asana surely did not act on it
//! (a 429, a refusal of the budget, a connection never made).

use reqwest::{
    Method, Url,
    header::{CONTENT_TYPE, HeaderValue},
};
use serde::{Serialize, de::DeserializeOwned};
use tracing::instrument;

use super::{AsanaClient, Data};
use crate::asana::{Error, Result, Target};

/// What one request sends.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Verb<'a> {
    /// A GET.
    Get,
    /// A POST with this JSON body.
    Post(&'a [u8]),
    /// A DELETE.
    Delete,
}

impl Verb<'_> {
    /// Whether sending it twice does what sending it once does.
    pub(crate) fn idempotent(self) -> bool {
        !matches!(self, Verb::Post(_))
    }

    /// The reqwest request for `url`.
    pub(crate) fn build(self, http: &reqwest::Client, url: &Url) -> reqwest::RequestBuilder {
        match self {
            Verb::Get => http.get(url.clone()),
            Verb::Delete => http.request(Method::DELETE, url.clone()),
            Verb::Post(body) => http
                .post(url.clone())
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.to_vec()),
        }
    }
}

impl AsanaClient {
    /// POSTs `{"data": body}` to `path` with `query` and decodes the whole
    /// answer as `T`. Not idempotent: see the module docs.
    ///
    /// # Errors
    /// The chokepoint's; a timeout or a 5xx at once (not retried).
    #[instrument(skip_all, fields(asana.target = %target, asana.path = path))]
    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        target: &Target,
        path: &str,
        query: &[(&str, String)],
        body: &B,
    ) -> Result<T> {
        let url = self.url(target, path, query)?;
        let body = serde_json::to_vec(&Data { data: body }).map_err(|e| Error::Request {
            target: target.clone(),
            message: format!("cannot encode the request body: {e}"),
        })?;
        self.request(target, &url, Verb::Post(&body)).await
    }

    /// DELETEs `path` (Asana answers `{"data": {}}`).
    ///
    /// # Errors
    /// The chokepoint's; [`Error::NotFound`] when it does not exist.
    #[instrument(skip_all, fields(asana.target = %target, asana.path = path))]
    pub(crate) async fn delete(&self, target: &Target, path: &str) -> Result<()> {
        let url = self.url(target, path, &[])?;
        self.request::<serde::de::IgnoredAny>(target, &url, Verb::Delete)
            .await
            .map(drop)
    }
}

/// Whether a failed request was surely not acted on by Asana: a 429
/// (refused before any work), the budget's refusals (never sent), a
/// connection that was never made. A timeout or a 5xx may come after Asana
/// did the work, so a non-idempotent request is not retried on them.
pub(super) fn unsent(error: &Error) -> bool {
    match error {
        Error::RateLimited { .. }
        | Error::BudgetPaused { .. }
        | Error::BudgetUnavailable { .. } => true,
        Error::Transport { source, .. } => source.is_connect(),
        _ => false,
    }
}
