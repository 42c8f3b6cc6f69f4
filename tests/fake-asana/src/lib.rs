//! A stateful fake of the Asana REST API on loopback, built from Asana's
//! OpenAPI spec, for aegis's tests, benchmarks and demo.

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
