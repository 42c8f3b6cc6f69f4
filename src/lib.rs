//! aegis keeps a local PostgreSQL copy of an Asana portfolio (its projects
//! and their tasks) by running the sync as durable jobs on apalis's
//! PostgreSQL queue.
//!
//! - [`asana`]: the Asana client, one request chokepoint (rate budget,
//!   in-flight cap, classification, retries honouring `Retry-After`,
//!   decoding with field paths), paging as streams, typed resources.
//! - [`budget`]: the request budget every process of one token shares.
//! - [`store`]: the schema and the page-at-a-time upserts and reads of the
//!   synced data.
//! - [`runs`]: the only owner of the tables of sync runs and their projects: one
//!   lifecycle for inline and queued runs, figures true in SQL.
//! - [`sync`]: the sync itself, the same inline or in a job.
//! - [`worker`]: the apalis handlers, the failure policy, registration into
//!   a host's `Monitor`, the worker process, schedules.
//! - [`queue`]: the only owner of SQL on apalis's tables: job states, the
//!   dead-job rule, inspection, admin (revive = retry + reopen the runs),
//!   coalescing, persisted attempts, liveness.
//! - [`embedding`]: a host service's entry point: [`Aegis::builder`] makes
//!   everything the workers need from plain values; migrate, register into
//!   the host's `Monitor`, enqueue in the host's transaction, wait for runs.
//! - [`health`]: the health of the copy and of the workers' budget, read-only
//!   (`aegis status`, `aegis workers`).
//! - [`metrics`]: the Prometheus series, in a registry of their own: recorded
//!   at the Asana chokepoint and the job guard, the queue's read at scrape.
//! - [`webhooks`]: Asana webhooks: `ensure` (one per active project), the
//!   handshake and verified deliveries enqueueing coalesced project jobs,
//!   sealed secrets, and the health that slows the events poll.
//! - [`config`]: typed, validated configuration from the environment.
//! - `web` (feature `web`, on with `cli`): the HTTP routers a host may
//!   mount: metrics and probes, the dashboard.
//! - `cli`, `telemetry` (feature `cli`, on by default): the `aegis` binary's
//!   edge, its command line, output and logging. A host embedding aegis
//!   turns the default features off and gets none of the CLI's crates.
//!
//! The job payloads and the enqueue helpers live in the `aegis-jobs` crate,
//! which another service can use alone.
#![forbid(unsafe_code)]

pub mod asana;
pub mod budget;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
pub mod embedding;
pub mod health;
pub mod metrics;
pub mod queue;
pub mod runs;
pub mod store;
pub mod sync;
#[cfg(feature = "cli")]
pub mod telemetry;
#[cfg(feature = "web")]
pub mod web;
pub mod webhooks;
pub mod worker;

pub use aegis_jobs as jobs;
pub use embedding::{Aegis, AegisBuilder, EmbedError};
/// Types that appear in aegis's public signatures, re-exported so a host
/// needs no direct dependency (or version match) for them.
pub use reqwest::Url;
pub use secrecy::SecretString;
pub use uuid::Uuid;
