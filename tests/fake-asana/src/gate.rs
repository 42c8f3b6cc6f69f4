//! The front door of `/api/1.0`: every request passes here for added latency,
//! bearer-token auth, the per-token rate and in-flight limits, fault
//! injection and the request log and counters the control API reports.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use axum::{extract::{Request, State}, middleware::Next, response::Response};
use serde::Serialize;

use crate::{faults::FaultRule, world::Gid};

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
#[derive(Debug)]
pub struct Gate {}

impl Gate {
    /// A gate accepting `tokens` (token → user gid).
    pub fn new(_config: GateConfig, _tokens: BTreeMap<String, Gid>) -> Arc<Gate> {
        todo!("owned by the protocol helper")
    }
    /// Sets or removes the per-token rate limit.
    pub fn set_rate_limit(&self, _per_minute: Option<u32>) {
        todo!()
    }
    /// Sets the added latency.
    pub fn set_latency(&self, _latency: Duration) {
        todo!()
    }
    /// Adds a fault rule (rules are checked in insertion order).
    pub fn add_fault(&self, _rule: FaultRule) {
        todo!()
    }
    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        todo!()
    }
    /// Accepts a token from now on.
    pub fn add_token(&self, _token: String, _user: Gid) {
        todo!()
    }
    /// Rejects a token from now on (401).
    pub fn revoke_token(&self, _token: &str) {
        todo!()
    }
    /// The counters.
    pub fn stats(&self) -> Stats {
        todo!()
    }
    /// Every request so far, oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        todo!()
    }
    /// Clears the counters and the log (limits keep their windows).
    pub fn reset_stats(&self) {
        todo!()
    }
}

/// The axum middleware: `from_fn_with_state(gate, gate::gate)`.
pub async fn gate(State(_gate): State<Arc<Gate>>, _req: Request, _next: Next) -> Response {
    todo!("owned by the protocol helper")
}
