//! The Asana client: one request chokepoint ([`AsanaClient::get`]: rate
//! limit, in-flight cap, send, classify, retry honouring `Retry-After`,
//! decode with field paths), paging as streams, and typed resources
//! (portfolios and their items, projects, tasks, events, users) with explicit
//! `opt_fields`.
//!
//! The token lives in a `SecretString` and leaves it only as the
//! `Authorization` header (marked sensitive); no `Debug`, log line or error
//! contains it.

mod client;
mod config;
mod error;
mod events;
mod gid;
mod limit;
pub mod page;
mod portfolios;
mod projects;
mod retry;
mod stats;
mod tasks;
mod users;

pub use client::AsanaClient;
pub use config::{AsanaConfig, DEFAULT_BASE_URL};
pub use error::{BoxError, Error, Result, Target};
pub use events::{Change, Event, EventResource, Events, EventsResponse};
pub use gid::{Gid, HasGid, InvalidGid, NamedRef};
pub use page::{NextPage, PAGE_LIMIT, Page};
pub use portfolios::{PORTFOLIO_FIELDS, Portfolio, PortfolioItem, PortfolioProject};
pub use projects::{PROJECT_FIELDS, Project};
pub use stats::ClientStats;
pub use tasks::{CustomFieldValue, DateValue, GID_FIELDS, Membership, TASK_FIELDS, Task};
pub use users::{USER_FIELDS, User};

/// Test helpers: a wiremock server and a client pointed at it with short
/// backoff, so retry tests take milliseconds.
#[cfg(test)]
pub(crate) mod testing {
    use std::{num::NonZeroU32, time::Duration};

    use secrecy::SecretString;
    use wiremock::MockServer;

    use super::{AsanaClient, AsanaConfig};

    /// The token every test client sends.
    pub(crate) const TOKEN: &str = "0/s3cr3t-t0ken-never-logged";

    pub(crate) async fn server() -> MockServer {
        MockServer::start().await
    }

    pub(crate) fn config_for(server: &MockServer) -> AsanaConfig {
        let base = format!("{}/api/1.0", server.uri()).parse().unwrap();
        let mut config = AsanaConfig::new(base, SecretString::from(TOKEN));
        config.requests_per_minute = NonZeroU32::new(60_000).unwrap();
        config.backoff_base = Duration::from_millis(5);
        config.backoff_max = Duration::from_millis(20);
        config.request_timeout = Duration::from_secs(5);
        config
    }

    pub(crate) fn client_for(server: &MockServer) -> AsanaClient {
        AsanaClient::new(config_for(server)).unwrap()
    }
}
