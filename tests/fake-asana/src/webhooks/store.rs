//! [`Hub`], the webhook side of the fake's shared state: the live webhooks,
//! the delivery log, the settings, the loss RNG, the delivery tasks (owned
//! here, stopped by [`Hub::shutdown`]) and the signals between them.
//!
//! Two watch channels carry the signals: `wake` (new events, new settings or
//! a deletion: the delivery tasks look again) and `seen` (a delivery was
//! logged or a webhook changed: tests waiting on [`Hub::wait`] look again).

use std::{
    collections::BTreeMap,
    future::Future,
    sync::{Mutex, MutexGuard},
};

use chrono::Utc;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::Client;
use serde_json::Value;
use tokio::{sync::watch, task::JoinSet};

use super::{Delivery, Lost, Removed, Webhook, WebhookSettings, WebhookView, send};
use crate::{error::ApiError, world::Gid};

/// Everything behind the hub's lock.
#[derive(Debug)]
struct Inner {
    settings: WebhookSettings,
    /// By gid; gids increase, so this is creation order.
    webhooks: BTreeMap<Gid, Webhook>,
    deliveries: Vec<Delivery>,
    removed: Vec<Removed>,
    lost: Vec<Lost>,
    rng: ChaCha8Rng,
}

/// The webhooks of one fake.
#[derive(Debug)]
pub(crate) struct Hub {
    inner: Mutex<Inner>,
    wake: watch::Sender<u64>,
    seen: watch::Sender<u64>,
    stop: watch::Sender<bool>,
    tasks: Mutex<JoinSet<()>>,
    /// The client handshakes and deliveries use.
    pub client: Client,
}

fn bump(tx: &watch::Sender<u64>) {
    tx.send_modify(|n| *n = n.wrapping_add(1));
}

impl Hub {
    /// An empty hub; `seed` drives the loss RNG.
    pub fn new(settings: WebhookSettings, seed: u64) -> Hub {
        let inner = Inner {
            settings,
            webhooks: BTreeMap::new(),
            deliveries: Vec::new(),
            removed: Vec::new(),
            lost: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x7765_6268_6f6f_6b73),
        };
        Hub {
            inner: Mutex::new(inner),
            wake: watch::channel(0).0,
            seen: watch::channel(0).0,
            stop: watch::channel(false).0,
            tasks: Mutex::new(JoinSet::new()),
            client: send::client(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The settings in force.
    pub fn settings(&self) -> WebhookSettings {
        self.lock().settings.clone()
    }

    /// Replaces the settings; delivery tasks pick them up at once.
    pub fn set_settings(&self, settings: WebhookSettings) {
        self.lock().settings = settings;
        bump(&self.wake);
    }

    /// 403 when `owner` or `resource` already has as many webhooks as allowed.
    /// The fake answers 403 (not 400): the request is well formed, the
    /// account is not allowed more, as Asana answers refused targets.
    pub fn check_limits(&self, resource: &str, owner: &str) -> Result<(), ApiError> {
        let inner = self.lock();
        let on_resource = inner.webhooks.values().filter(|w| w.resource == resource);
        if on_resource.count() >= inner.settings.max_per_resource {
            let max = inner.settings.max_per_resource;
            return Err(ApiError::status(
                axum::http::StatusCode::FORBIDDEN,
                format!("resource: This resource already has the maximum of {max} webhooks"),
            ));
        }
        let by_owner = inner.webhooks.values().filter(|w| w.owner == owner);
        if by_owner.count() >= inner.settings.max_per_user {
            let max = inner.settings.max_per_user;
            return Err(ApiError::status(
                axum::http::StatusCode::FORBIDDEN,
                format!("webhook: You already have the maximum of {max} webhooks"),
            ));
        }
        Ok(())
    }

    /// Stores an established webhook.
    pub fn insert(&self, webhook: Webhook) {
        self.lock().webhooks.insert(webhook.gid.clone(), webhook);
        bump(&self.seen);
    }

    /// A live webhook.
    pub fn get(&self, gid: &str) -> Option<Webhook> {
        self.lock().webhooks.get(gid).cloned()
    }

    /// The live webhooks, in creation order.
    pub fn list(&self) -> Vec<Webhook> {
        self.lock().webhooks.values().cloned().collect()
    }

    /// Changes a live webhook; false when it is gone.
    pub fn update(&self, gid: &str, f: impl FnOnce(&mut Webhook)) -> bool {
        let found = self.lock().webhooks.get_mut(gid).map(f).is_some();
        bump(&self.seen);
        found
    }

    /// Deletes a webhook (its task stops at its next look), recording why.
    pub fn remove(&self, gid: &str, reason: &str) -> Option<Webhook> {
        let mut inner = self.lock();
        let webhook = inner.webhooks.remove(gid)?;
        inner.removed.push(Removed {
            webhook: webhook.clone(),
            reason: reason.to_owned(),
            at: Utc::now(),
        });
        drop(inner);
        bump(&self.wake);
        bump(&self.seen);
        Some(webhook)
    }

    /// Appends to the delivery log.
    pub fn log(&self, delivery: Delivery) {
        self.lock().deliveries.push(delivery);
        bump(&self.seen);
    }

    /// Whether `event` is lost for `webhook` (a roll against
    /// `loss_fraction`); a lost one is recorded.
    pub fn lose(&self, webhook: &str, event: &Value) -> bool {
        let mut inner = self.lock();
        let p = inner.settings.loss_fraction.clamp(0.0, 1.0);
        let lost = p > 0.0 && inner.rng.random_bool(p);
        if lost {
            inner.lost.push(Lost {
                webhook: webhook.to_owned(),
                event: event.clone(),
                at: Utc::now(),
            });
            drop(inner);
            bump(&self.seen);
        }
        lost
    }

    /// A copy of the webhooks, deliveries and removals.
    pub fn view(&self) -> WebhookView {
        let inner = self.lock();
        WebhookView {
            webhooks: inner.webhooks.values().cloned().collect(),
            deliveries: inner.deliveries.clone(),
            removed: inner.removed.clone(),
            lost: inner.lost.clone(),
        }
    }

    /// Waits until `f` finds what it wants in the view (no deadline: callers
    /// add their own).
    pub async fn wait<T>(&self, mut f: impl FnMut(&WebhookView) -> Option<T>) -> T {
        let mut rx = self.seen.subscribe();
        loop {
            rx.mark_unchanged();
            if let Some(found) = f(&self.view()) {
                return found;
            }
            // The sender lives in `self`: the channel cannot close here.
            let _ = rx.changed().await;
        }
    }

    /// Tells the delivery tasks that new events were recorded.
    pub fn events_recorded(&self) {
        bump(&self.wake);
    }

    /// The wake signal, for a delivery task.
    pub fn subscribe_wake(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }

    /// The stop signal, for a delivery task.
    pub fn subscribe_stop(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Runs a delivery task until it ends or the hub shuts down.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    /// Stops every delivery task (one in the middle of a request is aborted).
    pub async fn shutdown(&self) {
        self.stop.send_replace(true);
        let mut tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        tasks.shutdown().await;
    }

    /// Aborts the delivery tasks without waiting (a fake dropped unshut).
    pub fn abort(&self) {
        self.stop.send_replace(true);
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .abort_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_ends_every_delivery_task() {
        let hub = Hub::new(WebhookSettings::default(), 0);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        hub.spawn(async move {
            let _held = tx;
            std::future::pending::<()>().await;
        });
        hub.shutdown().await;
        assert!(rx.await.is_err(), "the task ended and dropped its sender");
        assert!(*hub.subscribe_stop().borrow());
    }

    #[test]
    fn limits_count_per_resource_and_per_owner() {
        let settings = WebhookSettings {
            max_per_resource: 1,
            max_per_user: 2,
            ..WebhookSettings::default()
        };
        let hub = Hub::new(settings, 0);
        let webhook = |gid: &str, resource: &str| Webhook {
            gid: gid.into(),
            resource: resource.into(),
            resource_type: "project".into(),
            target: "http://127.0.0.1:1/".into(),
            secret: "s".into(),
            owner: "u".into(),
            filters: Vec::new(),
            created_at: Utc::now(),
            last_success_at: None,
            last_failure_at: None,
            last_failure_content: None,
            delivery_retry_count: 0,
            next_attempt_after: None,
            failure_deletion_timestamp: None,
        };
        hub.insert(webhook("1", "p"));
        assert_eq!(hub.check_limits("p", "u").unwrap_err().status.as_u16(), 403);
        assert!(hub.check_limits("q", "u").is_ok());
        hub.insert(webhook("2", "q"));
        assert_eq!(hub.check_limits("r", "u").unwrap_err().status.as_u16(), 403);
        assert!(hub.check_limits("r", "someone else").is_ok());
        assert!(hub.remove("1", "api").is_some());
        assert!(hub.check_limits("p", "u").is_ok());
    }
}
