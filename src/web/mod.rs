//! aegis's HTTP routers (feature `web`, on with `cli`): each is an axum
//! [`Router`](axum::Router) a host may mount in its own server, and the
//! `aegis` binary serves on its own listener.
//!
//! - [`probes`]: `/metrics` (Prometheus), `/healthz` and `/readyz`, served
//!   by `aegis worker --http ADDR`.
//! - [`hooks`]: the Asana webhook receiver, `POST /webhooks/asana/{id}`,
//!   served by `aegis serve`.
//! - [`dashboard`]: the server-rendered pages and actions of
//!   `aegis dashboard`.

pub mod dashboard;
pub mod hooks;
pub mod probes;
