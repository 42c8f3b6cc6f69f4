//! The front door of `/api/1.0`: every request passes here for added latency,
//! bearer-token auth, the per-token rate and in-flight limits, fault
//! injection and the request log and counters the control API reports.
//!
//! Order per request: count and log it (route with digit segments as
//! `{gid}`), sleep the configured latency, check the bearer token (401;
//! unauthenticated requests are charged to no token), record it in the
//! token's 60 s window (429 when the window already held the limit; every
//! request counts, rejected ones too), take an in-flight slot for GETs (429
//! `Retry-After: 1` over the cap; the slot is held until the response body
//! is sent or dropped), apply the first matching fault rule, then run the
//! handler with a [`Caller`] extension. The final status goes into the log;
//! a dropped connection is logged as status 0. Tokens are never logged:
//! figures are keyed by the user a token acts as.

#[cfg(test)]
mod fault_tests;
mod limits;
mod respond;
#[cfg(test)]
mod tests;

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use axum::{
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use tokio::sync::watch;

use crate::{
    error::ApiError,
    faults::{FaultKind, FaultRule, Faults},
    world::Gid,
};
use limits::{InFlight, Windows};

/// The prefix every API route lives under.
const API_PREFIX: &str = "/api/1.0";

/// Settings of the gate.
#[derive(Debug, Clone)]
pub struct GateConfig {
    /// Requests per minute per token; None = unlimited.
    pub requests_per_minute: Option<u32>,
    /// In-flight GETs allowed per token (Asana: 50).
    pub max_inflight_gets: u32,
    /// Latency added to every request.
    pub latency: Duration,
    /// Seed of the RNG behind probabilistic faults.
    pub fault_seed: u64,
}

/// Who made a request; inserted as a request extension for handlers.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user the token acts as.
    pub user: Gid,
}

/// Counters and figures the control API reports.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Stats {
    /// Every request received under `/api/1.0`.
    pub total_requests: u64,
    /// Requests per `METHOD /route/{gid}/pattern`.
    pub by_route: BTreeMap<String, u64>,
    /// 429s served (rate limiter, in-flight cap and injected faults).
    pub served_429: u64,
    /// Per user (token owner): the most requests seen in any 60 s window.
    pub max_requests_in_60s: BTreeMap<Gid, u64>,
}

/// One logged request.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoggedRequest {
    /// Milliseconds since the gate started.
    pub at_ms: u64,
    /// HTTP method.
    pub method: String,
    /// Path under `/api/1.0`.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Status served.
    pub status: u16,
}

/// The shared gate.
pub struct Gate {
    started: Instant,
    state: Mutex<GateState>,
    /// GETs in flight over all tokens, for waiting on idleness.
    inflight_total: watch::Sender<u32>,
}

/// Everything behind the gate's one lock.
struct GateState {
    config: GateConfig,
    tokens: BTreeMap<String, Gid>,
    windows: Windows,
    inflight: InFlight,
    faults: Faults,
    stats: Stats,
    /// The log, each entry with its request id (increasing).
    log: Vec<(u64, LoggedRequest)>,
    next_id: u64,
}

impl fmt::Debug for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Gate")
            .field("config", &state.config)
            .field("tokens", &state.tokens.len())
            .field("stats", &state.stats)
            .finish_non_exhaustive()
    }
}

/// What an admitted request carries on to the handler.
struct Admitted {
    user: Gid,
    slot: Option<Slot>,
    fault: Option<FaultKind>,
}

/// An in-flight GET slot, given back when dropped.
struct Slot {
    gate: Arc<Gate>,
    token: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.gate.lock().inflight.release(&self.token);
        self.gate
            .inflight_total
            .send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Gate {
    /// A gate accepting `tokens` (token → user gid).
    pub fn new(config: GateConfig, tokens: BTreeMap<String, Gid>) -> Arc<Gate> {
        let state = GateState {
            faults: Faults::new(config.fault_seed),
            config,
            tokens,
            windows: Windows::default(),
            inflight: InFlight::default(),
            stats: Stats::default(),
            log: Vec::new(),
            next_id: 0,
        };
        let (inflight_total, _) = watch::channel(0);
        Arc::new(Gate {
            started: Instant::now(),
            state: Mutex::new(state),
            inflight_total,
        })
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().expect("gate state lock poisoned")
    }

    /// Sets or removes the per-token rate limit.
    pub fn set_rate_limit(&self, per_minute: Option<u32>) {
        self.lock().config.requests_per_minute = per_minute;
    }
    /// Sets the added latency.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().config.latency = latency;
    }
    /// Sets the number of GETs a token may have in flight.
    pub fn set_max_inflight_gets(&self, max: u32) {
        self.lock().config.max_inflight_gets = max;
    }
    /// Adds a fault rule (rules are checked in insertion order).
    pub fn add_fault(&self, rule: FaultRule) {
        self.lock().faults.add(rule);
    }
    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }
    /// The fault rules in force, with what is left of their `times`.
    pub fn faults(&self) -> Vec<FaultRule> {
        self.lock().faults.rules()
    }
    /// Accepts a token from now on.
    pub fn add_token(&self, token: String, user: Gid) {
        self.lock().tokens.insert(token, user);
    }
    /// Rejects a token from now on (401).
    pub fn revoke_token(&self, token: &str) {
        self.lock().tokens.remove(token);
    }
    /// The counters.
    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }
    /// Every request so far, oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.lock().log.iter().map(|(_, r)| r.clone()).collect()
    }
    /// Clears the counters and the log (limits keep their windows).
    pub fn reset_stats(&self) {
        let mut state = self.lock();
        state.stats = Stats::default();
        state.log.clear();
    }
    /// GETs in flight now, over all tokens.
    pub fn inflight_gets(&self) -> u32 {
        *self.inflight_total.borrow()
    }
    /// Waits until at most `n` GETs are in flight (e.g. every response
    /// body has been sent or dropped).
    pub async fn wait_inflight_at_most(&self, n: u32) {
        let mut rx = self.inflight_total.subscribe();
        // The sender lives in `self`, so the channel cannot close here.
        let _ = rx.wait_for(|v| *v <= n).await;
    }

    /// Counts and logs a request on arrival; returns its log id.
    fn arrive(&self, method: &Method, path: &str, query: &str) -> u64 {
        let at_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut state = self.lock();
        state.stats.total_requests += 1;
        *state
            .stats
            .by_route
            .entry(route_key(method, path))
            .or_default() += 1;
        let id = state.next_id;
        state.next_id += 1;
        let entry = LoggedRequest {
            at_ms,
            method: method.to_string(),
            path: path.to_owned(),
            query: query.to_owned(),
            status: 0,
        };
        state.log.push((id, entry));
        id
    }

    /// Records the status served for request `id`.
    fn finish(&self, id: u64, status: u16) {
        let mut state = self.lock();
        if status == StatusCode::TOO_MANY_REQUESTS.as_u16() {
            state.stats.served_429 += 1;
        }
        if let Ok(i) = state.log.binary_search_by_key(&id, |(i, _)| *i) {
            state.log[i].1.status = status;
        }
    }

    /// Auth, rate limit, in-flight cap and fault choice, under one lock.
    fn admit(
        self: &Arc<Self>,
        token: Option<&str>,
        method: &Method,
        path: &str,
        query: &str,
    ) -> Result<Admitted, ApiError> {
        let mut state = self.lock();
        let (token, user) = token
            .and_then(|t| state.tokens.get_key_value(t))
            .map(|(t, u)| (t.clone(), u.clone()))
            .ok_or_else(ApiError::unauthorized)?;
        let limit = state.config.requests_per_minute;
        let admission = state.windows.record(&token, Instant::now(), limit);
        let max = state
            .stats
            .max_requests_in_60s
            .entry(user.clone())
            .or_default();
        *max = (*max).max(admission.in_window);
        if let Some(secs) = admission.retry_after {
            return Err(ApiError::rate_limited(secs));
        }
        let slot = if *method == Method::GET {
            let cap = state.config.max_inflight_gets;
            if !state.inflight.try_acquire(&token, cap) {
                return Err(ApiError::rate_limited(1));
            }
            self.inflight_total.send_modify(|n| *n += 1);
            Some(Slot {
                gate: Arc::clone(self),
                token,
            })
        } else {
            None
        };
        let fault = state.faults.pick(method.as_str(), path, query);
        Ok(Admitted { user, slot, fault })
    }
}

/// `GET /projects/{gid}/tasks`: the method and the path with every
/// all-digit segment replaced by `{gid}`.
fn route_key(method: &Method, path: &str) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                "{gid}"
            } else {
                s
            }
        })
        .collect();
    format!("{method} /{}", segments.join("/"))
}

/// A request's path under `/api/1.0` (`/` for the root), whether or not
/// the router already stripped the prefix.
pub(crate) fn api_path(path: &str) -> String {
    let path = path
        .strip_prefix(API_PREFIX)
        .filter(|p| p.is_empty() || p.starts_with('/'))
        .unwrap_or(path);
    if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The axum middleware: `from_fn_with_state(gate, gate::gate)`.
pub async fn gate(State(gate): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = api_path(req.uri().path());
    let query = req.uri().query().unwrap_or_default().to_owned();
    let id = gate.arrive(&method, &path, &query);
    let latency = gate.lock().config.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let admitted = gate.admit(bearer(req.headers()), &method, &path, &query);
    let (response, status) = match admitted {
        Ok(admitted) => serve(admitted, req, next).await,
        Err(error) => {
            let status = error.status.as_u16();
            (error.into_response(), status)
        }
    };
    gate.finish(id, status);
    tracing::debug!(%method, route = %route_key(&method, &path), status, "fake-asana request");
    response
}

/// Runs an admitted request: its fault, the handler, the in-flight slot.
async fn serve(admitted: Admitted, mut req: Request, next: Next) -> (Response, u16) {
    req.extensions_mut().insert(Caller {
        user: admitted.user,
    });
    let response = match admitted.fault {
        None => next.run(req).await,
        Some(FaultKind::Latency { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        Some(FaultKind::Truncated) => respond::truncated(next.run(req).await).await,
        Some(ref fault) => respond::fault_response(fault),
    };
    let status = match admitted.fault {
        Some(FaultKind::Drop) => 0,
        _ => response.status().as_u16(),
    };
    let response = match admitted.slot {
        Some(slot) => respond::hold_until_sent(response, slot),
        None => response,
    };
    (response, status)
}
