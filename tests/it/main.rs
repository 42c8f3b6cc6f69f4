//! aegis's one integration-test binary: every test runs against a real
//! PostgreSQL (a fresh database each, through `#[sqlx::test]`), the real
//! migrations and, where Asana is involved, the fake Asana over real HTTP.

/// The web dashboard in headless Chromium: pages, actions, auth, CSRF.
mod browser;
/// The shared Asana rate budget across clients.
mod budget;
/// The `aegis` binary: exit codes, output, config errors, secrecy.
mod cli;
/// `tasks.last_synced_at`: confirmed by every successful sync, no row rewritten.
mod confirmed;
/// Tasks deleted mid-crawl: tombstoned with their subtree, the crawl goes on.
mod crawl_races;
/// aegis inside a host: restart policy, pool sizing, runs observed, schemas apart.
mod embedding;
/// Field-by-field comparison of the store with the fake's world.
mod fidelity;
/// Shared set-up: migrated pools, the fake Asana, clients and configs.
mod helpers;
/// aegis's migrations beside a host's: own history table, either order.
mod migrations;
/// Which work a worker may do: jobs of another portfolio are dead at once.
mod ownership;
/// Incremental plans: fetch the changes, or crawl when that is cheaper.
mod plans;
/// Real worker processes: enqueue, drain, dead letters and retry; SIGKILL and SIGTERM.
pub(crate) mod processes;
/// A TCP proxy in front of PostgreSQL that a test can cut.
mod proxy;
/// Queue inspection and administration over a real apalis schema.
mod queue;
/// A run's `sync_runs` row: every attempt's requests, each task counted once.
mod runs;
/// The store: page upserts, change detection, tombstones, the seed queries.
mod store;
/// Inline syncs against the fake: fidelity, idempotence, selection, faults.
mod sync;
/// aegis's HTTP routers: the worker's metrics and probes.
mod web;
/// Asana webhooks: ensure, handshake, signatures, coalesced delivery jobs, loss and deletion.
mod webhooks;
/// Durable jobs drained by an in-process worker: fan-out, retries, dead letters.
mod worker;
