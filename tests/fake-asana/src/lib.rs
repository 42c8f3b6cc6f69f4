//! A stateful fake of the Asana REST API on loopback, built from Asana's
//! OpenAPI spec, for aegis's tests, benchmarks and demo.
//!
//! Webhooks (`webhooks`): `POST /webhooks` makes Asana's handshake with the
//! target while the request is open, then the fake POSTs signed
//! `{"events":[…]}` deliveries of the resource's events (those `/events`
//! serves), heartbeats, retries with backoff and deletes failing webhooks.
//! Knobs, as [`WebhookSettings`] in [`Config::webhooks`], through
//! [`FakeAsana::set_webhook_settings`] / `update_webhook_settings`,
//! `PUT /_admin/webhooks/settings`, or the binary's flags:
//!
//! | setting | flag | default |
//! |---|---|---|
//! | `delivery_delay` | `--webhook-delay-ms` | 0 |
//! | `heartbeat_interval` | `--webhook-heartbeat-secs` | 8 h (Asana) |
//! | `delivery_timeout` | `--webhook-timeout-ms` | 10 s (Asana) |
//! | `retry_base` (doubling) | `--webhook-retry-base-ms` | 60 s |
//! | `retry_max` | `--webhook-retry-max-ms` | 1 h |
//! | `failure_window` | `--webhook-failure-window-secs` | 24 h (Asana) |
//! | `loss_fraction` | `--webhook-loss` | 0.0 (seeded by `--fault-seed`) |
//! | `max_per_resource`, `max_per_user` | — | 1,000 and 10,000 (Asana) |
//!
//! Tests read what was delivered with [`FakeAsana::webhooks`] and wait for
//! it with [`FakeAsana::wait_for_webhooks`]; [`FakeAsana::delete_webhook_as_asana`]
//! deletes one as Asana would. Unlike Asana, targets may be plain-HTTP
//! loopback URLs (Asana requires public HTTPS and answers localhost 403).

pub mod error;
pub mod events;
pub mod faults;
pub mod gate;
pub mod generate;
pub mod lookup;
pub mod mutate;
pub mod opt_fields;
pub mod paging;
pub mod render;
pub mod triggers;
pub mod webhooks;
pub mod world;

mod admin;
mod control;
mod routes;
mod server;

pub use mutate::{MutateError, NewProject, NewTask, TaskPatch};
pub use server::{Config, FakeAsana};
pub use webhooks::{WebhookSettings, WebhookView};
