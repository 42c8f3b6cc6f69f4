//! Test helpers for the client's wiremock tests: a server, a client pointed
//! at it with millisecond backoff, responders that answer in sequence and
//! record arrival times, and a tracing capture.

use std::{
    io,
    num::NonZeroU32,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering::SeqCst},
    },
    time::{Duration, Instant},
};

use secrecy::SecretString;
use tracing::subscriber::DefaultGuard;
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use super::{AsanaClient, AsanaConfig};

/// The token every test client sends.
pub(crate) const TOKEN: &str = "0/s3cr3t-t0ken-never-logged";

pub(crate) async fn server() -> MockServer {
    MockServer::start().await
}

pub(crate) fn config_at(base: &str) -> AsanaConfig {
    let mut config = AsanaConfig::new(base.parse().unwrap(), SecretString::from(TOKEN));
    config.requests_per_minute = NonZeroU32::new(60_000).unwrap();
    config.backoff_base = Duration::from_millis(5);
    config.backoff_max = Duration::from_millis(20);
    config.request_timeout = Duration::from_secs(5);
    config
}

pub(crate) fn config_for(server: &MockServer) -> AsanaConfig {
    config_at(&format!("{}/api/1.0", server.uri()))
}

pub(crate) fn client_for(server: &MockServer) -> AsanaClient {
    AsanaClient::new(config_for(server)).unwrap()
}

/// Answers with `responses` in order (the last one repeats) and records when
/// each request arrived.
#[derive(Clone)]
pub(crate) struct Sequence {
    responses: Arc<Vec<ResponseTemplate>>,
    next: Arc<AtomicUsize>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Sequence {
    pub(crate) fn new(responses: Vec<ResponseTemplate>) -> Self {
        Self {
            responses: Arc::new(responses),
            next: Arc::default(),
            arrivals: Arc::default(),
        }
    }

    pub(crate) fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap().clone()
    }
}

impl Respond for Sequence {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        let i = self.next.fetch_add(1, SeqCst).min(self.responses.len() - 1);
        self.responses[i].clone()
    }
}

/// Everything logged (at any level) while the guard lives, as text.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    pub(crate) fn capture() -> (Self, DefaultGuard) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
