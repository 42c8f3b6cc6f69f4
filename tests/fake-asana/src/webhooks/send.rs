//! The requests the fake makes to webhook targets: the handshake (an empty
//! POST with `X-Hook-Secret`) and deliveries (`{"events":[…]}` with
//! `X-Hook-Signature`), each with a timeout, and what came back.
//!
//! The client is plain HTTP in practice: reqwest is built here without a
//! crypto provider of its own, so it gets ring and an empty root store; an
//! `https://` target therefore fails (real Asana requires HTTPS; the fake
//! serves tests on loopback).

use std::{sync::Arc, time::Duration};

use reqwest::{Client, StatusCode};

use super::payload::signature;

/// Asana's 400 when the target could not be reached for the handshake.
pub const HANDSHAKE_FAILED: &str = "Could not complete activation handshake with target URL. Please ensure that the receiving server is accepting connections and supports SSL";

/// Asana's 400 when the target answered without echoing the secret.
pub const NO_SECRET_ECHOED: &str = "The remote server did not respond with the handshake secret.";

/// The longest part of a failed answer's body kept in `last_failure_content`.
const CONTENT_LIMIT: usize = 1_000;

/// What a target did with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It answered (any status), with its `X-Hook-Secret` header if any.
    Answered {
        /// The status.
        status: StatusCode,
        /// The echoed handshake secret.
        secret: Option<String>,
        /// `"<code> <reason>\n\n<body>"`, what Asana shows as
        /// `last_failure_content`.
        content: String,
    },
    /// No answer within the timeout, or no connection.
    NoAnswer(String),
}

impl Outcome {
    /// The status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Answered { status, .. } => Some(status.as_u16()),
            Outcome::NoAnswer(_) => None,
        }
    }

    /// A 2xx answer.
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Answered { status, .. } if status.is_success())
    }

    /// Why it failed, as `last_failure_content`.
    pub fn content(&self) -> String {
        match self {
            Outcome::Answered { content, .. } => content.clone(),
            Outcome::NoAnswer(why) => why.clone(),
        }
    }
}

/// A reqwest client for targets.
pub fn client() -> Client {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default TLS versions")
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .expect("a reqwest client")
}

async fn post(request: reqwest::RequestBuilder, timeout: Duration) -> Outcome {
    let response = match request.timeout(timeout).send().await {
        Ok(response) => response,
        Err(e) if e.is_timeout() => {
            return Outcome::NoAnswer(format!("Timed out after {} ms", timeout.as_millis()));
        }
        Err(e) => return Outcome::NoAnswer(format!("Could not connect: {e}")),
    };
    let status = response.status();
    let secret = response
        .headers()
        .get("x-hook-secret")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = response.text().await.unwrap_or_default();
    if body.len() > CONTENT_LIMIT {
        let cut = (0..=CONTENT_LIMIT)
            .rev()
            .find(|&i| body.is_char_boundary(i));
        body.truncate(cut.unwrap_or(0));
    }
    let reason = status.canonical_reason().unwrap_or("");
    Outcome::Answered {
        status,
        secret,
        content: format!("{} {reason}\n\n{body}", status.as_u16()),
    }
}

/// The handshake: an empty POST carrying `X-Hook-Secret`.
pub async fn handshake(client: &Client, target: &str, secret: &str, timeout: Duration) -> Outcome {
    let request = client
        .post(target)
        .header("X-Hook-Secret", secret)
        .header(reqwest::header::CONTENT_LENGTH, 0);
    post(request, timeout).await
}

/// A delivery: the exact `body` bytes, signed with `secret`.
pub async fn deliver(
    client: &Client,
    target: &str,
    secret: &str,
    body: Vec<u8>,
    timeout: Duration,
) -> Outcome {
    let request = client
        .post(target)
        .header("X-Hook-Signature", signature(secret, &body))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    post(request, timeout).await
}

/// Whether a handshake answer establishes the webhook: 200 or 204 echoing
/// the secret. Otherwise the message of the create's 400.
pub fn accepted(outcome: &Outcome, secret: &str) -> Result<(), &'static str> {
    match outcome {
        Outcome::NoAnswer(_) => Err(HANDSHAKE_FAILED),
        Outcome::Answered {
            status,
            secret: echo,
            ..
        } => {
            let status_ok = *status == StatusCode::OK || *status == StatusCode::NO_CONTENT;
            if status_ok && echo.as_deref() == Some(secret) {
                Ok(())
            } else {
                Err(NO_SECRET_ECHOED)
            }
        }
    }
}
