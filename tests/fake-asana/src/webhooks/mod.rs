//! Asana's webhooks, on the fake's side: the registry of established
//! webhooks, their delivery settings, and the log of every request the fake
//! made to a target (handshakes, heartbeats, event deliveries).
//!
//! How it behaves (Asana's documented contract, `notes/asana-api.md` §6):
//! - `POST /webhooks` makes the handshake while the request is open: a POST
//!   to the target with `X-Hook-Secret` and an empty body, which must be
//!   answered 200 or 204 echoing the header (see `routes::webhooks`).
//! - Each webhook then has one delivery task (see `worker`), owned by the
//!   fake and stopped when it shuts down. It sends an empty `{"events":[]}`
//!   heartbeat at once and every [`WebhookSettings::heartbeat_interval`],
//!   and batches the events of its resource's stream (the same events
//!   `/events` serves) that pass its filters and arrive within
//!   [`WebhookSettings::delivery_delay`] into one signed delivery.
//! - A delivery not answered 2xx within [`WebhookSettings::delivery_timeout`]
//!   is retried with exponential backoff (events arriving meanwhile join the
//!   retry); after [`WebhookSettings::failure_window`] without a success the
//!   webhook is deleted, as Asana deletes it.
//! - [`WebhookSettings::loss_fraction`] of events are never delivered
//!   (at-most-once; a seeded RNG), while `/events` still shows them.
//!
//! Real Asana only delivers to public HTTPS URLs (localhost gets 403); the
//! fake delivers over plain HTTP to any URL, loopback included, since the
//! tests' receivers run there.

mod admin;
mod control;
mod filter;
mod payload;
pub(crate) mod send;
mod store;
mod worker;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub(crate) use admin::router as admin_router;
pub use filter::WebhookFilter;
pub(crate) use payload::render_webhook;
pub use payload::signature;
pub use send::{HANDSHAKE_FAILED, NO_SECRET_ECHOED};
pub(crate) use store::Hub;
pub(crate) use worker::spawn_worker;

use crate::world::Gid;

/// How the fake delivers webhooks; every field can be changed while it runs
/// (`FakeAsana::set_webhook_settings`, `PUT /_admin/webhooks/settings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// How long the first event of a batch waits for others before the
    /// batch is sent (Asana: about a minute on average). Default 0.
    #[serde(with = "millis")]
    pub delivery_delay: Duration,
    /// Time between empty heartbeat deliveries (Asana: 8 hours).
    #[serde(with = "millis")]
    pub heartbeat_interval: Duration,
    /// How long a target has to answer a handshake or delivery (Asana: 10 s).
    #[serde(with = "millis")]
    pub delivery_timeout: Duration,
    /// The delay before the first retry; doubled at each retry after it.
    /// Asana does not document its schedule; the fake's default is 60 s.
    #[serde(with = "millis")]
    pub retry_base: Duration,
    /// The longest delay between retries (default 1 hour).
    #[serde(with = "millis")]
    pub retry_max: Duration,
    /// How long a webhook may go without a successful delivery, counted
    /// from the first failure of a streak, before it is deleted (Asana: 24 h).
    #[serde(with = "millis")]
    pub failure_window: Duration,
    /// The fraction of events never delivered, 0.0..=1.0 (heartbeats are
    /// never lost). Drawn from an RNG seeded by `Config::fault_seed`.
    pub loss_fraction: f64,
    /// Webhooks allowed per resource (Asana: 1,000).
    pub max_per_resource: usize,
    /// Webhooks allowed per user (Asana: 10,000 per user per app).
    pub max_per_user: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            delivery_delay: Duration::ZERO,
            heartbeat_interval: Duration::from_secs(8 * 60 * 60),
            delivery_timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(60 * 60),
            failure_window: Duration::from_secs(24 * 60 * 60),
            loss_fraction: 0.0,
            max_per_resource: 1_000,
            max_per_user: 10_000,
        }
    }
}

/// Durations as integer milliseconds in JSON (`"delivery_delay": 250`).
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// One established webhook, as the fake keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Webhook {
    /// Its gid.
    pub gid: Gid,
    /// The subscribed resource (a project or a task).
    pub resource: Gid,
    /// `project` or `task`.
    pub resource_type: String,
    /// The URL deliveries are POSTed to.
    pub target: String,
    /// The handshake secret, the key of every `X-Hook-Signature`.
    pub secret: String,
    /// The user whose token created it.
    pub owner: Gid,
    /// Events pass when they match any filter (all pass when empty).
    pub filters: Vec<WebhookFilter>,
    /// When it was established.
    pub created_at: DateTime<Utc>,
    /// The last 2xx answer to a delivery.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last failed delivery.
    pub last_failure_at: Option<DateTime<Utc>>,
    /// What the target answered then (`500 Internal Server Error\n\nbody`)
    /// or why there was no answer.
    pub last_failure_content: Option<String>,
    /// Retries of the current delivery (0 after a success).
    pub delivery_retry_count: u32,
    /// When the pending retry will be made.
    pub next_attempt_after: Option<DateTime<Utc>>,
    /// When it will be deleted unless a delivery succeeds first.
    pub failure_deletion_timestamp: Option<DateTime<Utc>>,
}

/// What a request to a target was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    /// The `X-Hook-Secret` POST of an establishment.
    Handshake,
    /// An empty `{"events":[]}`.
    Heartbeat,
    /// A batch of events.
    Events,
}

/// One request the fake made to a webhook target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// The webhook (for a refused handshake: the gid it would have had, "").
    pub webhook: Gid,
    /// The target it went to.
    pub target: String,
    /// Handshake, heartbeat or events.
    pub kind: DeliveryKind,
    /// The events it carried (compact, as sent).
    pub events: Vec<Value>,
    /// 0 for a first attempt, n for the n-th retry.
    pub attempt: u32,
    /// The status answered; `None` when there was no answer in time.
    pub status: Option<u16>,
    /// Whether it counted as a success.
    pub ok: bool,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// For a failed delivery: the backoff before its retry, in ms (`None`
    /// when it succeeded, or when the failure deleted the webhook).
    pub retry_in_ms: Option<u64>,
    /// When it was sent.
    pub at: DateTime<Utc>,
}

/// A webhook the fake deleted on its own, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Removed {
    /// The webhook as it was when deleted.
    pub webhook: Webhook,
    /// `failure_window` (no success in time), `admin` (deleted as Asana
    /// would) or `api` (`DELETE /webhooks/{gid}`).
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// An event the fake chose not to deliver (`loss_fraction`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lost {
    /// The webhook that did not get it.
    pub webhook: Gid,
    /// The event, as it would have been sent.
    pub event: Value,
    /// When it was dropped.
    pub at: DateTime<Utc>,
}

/// What tests look at: the live webhooks, every delivery so far (oldest
/// first), the webhooks removed and the events lost.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WebhookView {
    /// Live webhooks, in creation order.
    pub webhooks: Vec<Webhook>,
    /// Every request made to a target, oldest first.
    pub deliveries: Vec<Delivery>,
    /// Webhooks deleted, oldest first.
    pub removed: Vec<Removed>,
    /// Events lost on purpose, oldest first.
    pub lost: Vec<Lost>,
}

impl WebhookView {
    /// The deliveries made for one webhook.
    pub fn deliveries_of<'a>(&'a self, gid: &'a str) -> impl Iterator<Item = &'a Delivery> {
        self.deliveries.iter().filter(move |d| d.webhook == gid)
    }

    /// A live webhook by gid.
    pub fn webhook(&self, gid: &str) -> Option<&Webhook> {
        self.webhooks.iter().find(|w| w.gid == gid)
    }
}
