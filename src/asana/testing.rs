//! Test helpers for the client's wiremock tests: a server, a client pointed
//! at it with millisecond backoff, responders that answer in sequence and
//! record arrival times, a tracing capture, and a shared budget in memory.

use std::{
    io,
    num::NonZeroU32,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst},
    },
    time::{Duration, Instant},
};

use futures::future::BoxFuture;
use secrecy::SecretString;
use tracing::subscriber::DefaultGuard;
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use super::{AsanaClient, AsanaConfig, Booking, BoxError, SharedBudget};

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

/// A [`SharedBudget`] in memory, for tests of the seam: GCRA slots `interval`
/// apart, pauses, a switch that makes it unreachable, and what it was asked.
#[derive(Debug, Default)]
pub(crate) struct MemoryBudget {
    pub(crate) interval: Duration,
    pub(crate) unreachable: AtomicBool,
    state: Mutex<MemoryState>,
}

#[derive(Debug, Default)]
struct MemoryState {
    next_slot: Option<Instant>,
    paused_until: Option<Instant>,
    reserved: usize,
    pauses: Vec<Duration>,
}

impl MemoryBudget {
    pub(crate) fn new(interval: Duration) -> Arc<Self> {
        Arc::new(Self {
            interval,
            ..Self::default()
        })
    }

    /// Slots booked so far.
    pub(crate) fn reserved(&self) -> usize {
        self.state.lock().unwrap().reserved
    }

    /// Pauses asked for so far.
    pub(crate) fn pauses(&self) -> Vec<Duration> {
        self.state.lock().unwrap().pauses.clone()
    }
}

impl SharedBudget for MemoryBudget {
    fn reserve(&self, max_wait: Duration) -> BoxFuture<'_, Result<Booking, BoxError>> {
        Box::pin(async move {
            if self.unreachable.load(SeqCst) {
                return Err("connection refused".into());
            }
            let mut state = self.state.lock().unwrap();
            let now = Instant::now();
            let slot = [state.next_slot, state.paused_until]
                .into_iter()
                .flatten()
                .fold(now, Instant::max);
            if slot - now > max_wait {
                return Ok(Booking::Later(slot - now));
            }
            state.next_slot = Some(slot + self.interval);
            state.reserved += 1;
            Ok(Booking::Slot {
                wait: slot - now,
                failing: false,
            })
        })
    }

    fn pause_all(&self, retry_after: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let mut state = self.state.lock().unwrap();
            let until = Instant::now() + retry_after;
            state.paused_until = state.paused_until.max(Some(until));
            state.pauses.push(retry_after);
        })
    }
}
