//! Asana webhooks, aegis's side: one webhook per active project of the
//! portfolio ([`ensure`]), the handshake and the deliveries the receiver
//! (`web::hooks`) hands over ([`deliver`]: verify, then enqueue a coalesced
//! `SyncProjectTasks` naming the changed tasks), their state in the
//! `webhooks` table ([`store`], its only owner), their secrets sealed at
//! rest ([`secret`]), and which projects they keep fresh enough for the
//! events poll to slow down ([`health`]).
//!
//! Webhooks are at most once: a lost delivery is caught by the events poll
//! (the safety net, slower while a project's webhook is healthy) and the
//! scheduled full crawl stays the repair.

pub mod deliver;
pub mod ensure;
pub mod health;
pub mod secret;
pub mod store;

use std::{sync::Arc, time::Duration};

use aegis_jobs::Queues;
use sqlx::PgPool;

pub use deliver::{Delivered, Handshake, Refused};
pub use ensure::{Action, EnsureReport};
pub use secret::{KEY_ENV, Sealed, SecretError, WebhookKey};
pub use store::{State, WebhookRow};

use crate::asana::{self, AsanaClient, Gid};

/// How long after aegis starts an establishment it accepts its handshake.
pub const HANDSHAKE_WINDOW: Duration = Duration::from_secs(120);

/// The largest delivery body accepted (larger: 413).
pub const MAX_BODY: usize = 1024 * 1024;

/// What the webhook side needs, passed in (no globals).
#[derive(Debug, Clone)]
pub struct WebhookContext {
    /// aegis's database (its `search_path` on aegis's schema).
    pub pool: PgPool,
    /// The queues deliveries enqueue into.
    pub queues: Queues,
    /// The Asana client (for `ensure` and `delete`; never the receiver).
    pub asana: AsanaClient,
    /// The portfolio whose projects get webhooks.
    pub portfolio: Gid,
    /// The key that seals the secrets.
    pub key: Arc<WebhookKey>,
}

/// Errors of the webhook side.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database failed.
    #[error("database error: {}", crate::store::describe(.0))]
    Database(#[from] sqlx::Error),
    /// Asana said no, or could not be reached.
    #[error(transparent)]
    Asana(#[from] asana::Error),
    /// A secret could not be sealed or opened.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// Enqueueing a job failed.
    #[error(transparent)]
    Enqueue(#[from] aegis_jobs::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// A webhook's project is not one aegis knows.
    #[error("{0}")]
    Usage(String),
}

/// The target URL of the establishment `id` under `public_url` (the
/// receiver's public base, e.g. `https://hooks.example.com`).
pub fn target_url(public_url: &reqwest::Url, id: uuid::Uuid) -> String {
    format!("{}{}", target_prefix(public_url), id)
}

/// The part of every target URL of `public_url` before the id: Asana's
/// webhooks with another target are not aegis's (or not this setup's).
pub fn target_prefix(public_url: &reqwest::Url) -> String {
    format!(
        "{}/webhooks/asana/",
        public_url.as_str().trim_end_matches('/')
    )
}
