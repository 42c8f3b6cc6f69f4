//! The Asana client: one request chokepoint ([`AsanaClient::get`]: rate
//! limit, in-flight cap, send, classify, retry honouring `Retry-After`,
//! decode with field paths), paging as streams, and typed resources
//! (portfolios and their items, projects, tasks, events, users, webhooks) with explicit
//! `opt_fields`. The rate limit is the process's own ([`Budget::Local`]) or
//! one shared by every process of the token ([`Budget::Shared`], a
//! [`SharedBudget`]; aegis's lives in Postgres, `crate::budget`).
//!
//! Retries happen inside the chokepoint for short waits: 429 and 503 wait at
//! least their `Retry-After` (and pause every other request of the client,
//! and of every process sharing its budget, until it passes), 5xx, timeouts,
//! connection errors and truncated bodies back off exponentially with
//! jitter, up to `max_attempts`. A `Retry-After` longer than
//! `max_retry_wait` is not slept: the error comes back at once and
//! [`Error::retry_after`] tells a job when to run again. Fatal errors (400,
//! 401, 402, 403, 404, 412, 451, schema mismatches) are never retried.
//!
//! With a shared budget the chokepoint also keeps the token's hold
//! (`hold`): a 401, or failures in a row (the circuit), stop every process
//! of the token; a held request returns [`Error::Held`] at once unless it
//! is the one that probes `/users/me` (one per probe interval over the
//! fleet), and the first success lifts the hold.
//!
//! The token lives in a `SecretString` and leaves it only as the
//! `Authorization` header (marked sensitive); no `Debug`, log line or error
//! contains it.

mod client;
mod config;
mod error;
mod events;
mod gid;
mod hold;
mod limit;
mod page;
mod portfolios;
mod projects;
mod retry;
mod stats;
mod tasks;
mod users;
mod webhooks;

pub use client::AsanaClient;
pub use config::{AsanaConfig, DEFAULT_BASE_URL, TOKEN_IN_FLIGHT};
pub use error::{BoxError, Error, Result, Target};
pub use events::{Change, Event, EventResource, Events, EventsResponse};
pub use gid::{Gid, HasGid, InvalidGid, NamedRef};
pub use hold::{DEFAULT_CIRCUIT_AFTER, DEFAULT_PROBE_INTERVAL, HoldReason, Outcome, Reported};
pub use limit::{Booking, Budget, SharedBudget};
pub use page::{MAX_RESTARTS, NextPage, PAGE_LIMIT, Page, items};
pub use portfolios::{PORTFOLIO_FIELDS, Portfolio, PortfolioItem, PortfolioProject};
pub use projects::{PROJECT_FIELDS, Project};
pub use stats::ClientStats;
pub use tasks::{CustomFieldValue, DateValue, GID_FIELDS, Membership, TASK_FIELDS, Task};
pub use users::{USER_FIELDS, User};
pub use webhooks::{TASK_ACTIONS, WEBHOOK_FIELDS, Webhook, WebhookFilter};

#[cfg(test)]
mod testing;
