//! One webhook's delivery task: it follows the event log from the position
//! at establishment, batches the events of its resource that pass the
//! filters (less the lost ones), and sends heartbeats, batches and retries,
//! one request at a time, updating the webhook's delivery fields.
//!
//! Order of business at each look: a pending retry waits for its time (and
//! takes along every event that arrived meanwhile); otherwise a batch is sent
//! once its first event has waited `delivery_delay`, and an empty heartbeat
//! once at establishment and then every `heartbeat_interval`. A failure
//! starts (or continues) a streak: the retry comes after
//! `retry_base × 2^(n-1)` (at most `retry_max`, never past the deadline),
//! and a failure at or after `failure_window` from the streak's first
//! failure deletes the webhook.

use std::{
    sync::{Arc, Weak},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::{
    Delivery, DeliveryKind, Webhook, WebhookSettings, filter::passes, payload, send, send::Outcome,
};
use crate::{server::AppState, world::Gid};

/// The state of one delivery task.
struct Worker {
    state: Weak<AppState>,
    gid: Gid,
    /// The last event position looked at.
    cursor: u64,
    /// Events waiting to be sent (or re-sent), oldest first.
    batch: Vec<Value>,
    /// When the batch's first event arrived.
    batch_since: Option<Instant>,
    /// The last heartbeat; `None` until the one at establishment is sent.
    last_heartbeat: Option<Instant>,
    /// The failure streak: retry time, retries so far, deadline.
    retry: Option<Streak>,
}

#[derive(Debug, Clone, Copy)]
struct Streak {
    at: Instant,
    retries: u32,
    deadline: Instant,
    deadline_utc: DateTime<Utc>,
}

/// What is due now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    Retry,
    Batch,
    Heartbeat,
}

/// `t + d`, saturating far in the future.
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .unwrap_or_else(|| t + Duration::from_secs(10 * 365 * 24 * 3600))
}

/// Starts the task of a webhook just established; events after position
/// `cursor` are its to deliver.
pub(crate) fn spawn_worker(state: &Arc<AppState>, gid: Gid, cursor: u64) {
    let worker = Worker {
        state: Arc::downgrade(state),
        gid,
        cursor,
        batch: Vec::new(),
        batch_since: None,
        last_heartbeat: None,
        retry: None,
    };
    let wake = state.webhooks.subscribe_wake();
    let stop = state.webhooks.subscribe_stop();
    state.webhooks.spawn(worker.run(wake, stop));
}

impl Worker {
    async fn run(mut self, mut wake: watch::Receiver<u64>, mut stop: watch::Receiver<bool>) {
        loop {
            wake.mark_unchanged();
            let Some(state) = self.state.upgrade() else {
                return;
            };
            let Some(webhook) = state.webhooks.get(&self.gid) else {
                return;
            };
            self.absorb(&state, &webhook);
            let settings = state.webhooks.settings();
            if let Some(due) = self.due(&settings, Instant::now()) {
                if !self.attempt(&state, &webhook, &settings, due).await {
                    return;
                }
                continue;
            }
            let wake_at = self.next_wake(&settings);
            drop(state);
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                changed = wake.changed() => if changed.is_err() { return },
                () = tokio::time::sleep_until(wake_at.into()) => {}
            }
        }
    }

    /// Takes the new events of the log into the batch.
    fn absorb(&mut self, state: &AppState, webhook: &Webhook) {
        let (events, last) = state.read(|w| {
            // The log is in `seq` order: start after the cursor.
            let start = w.events.partition_point(|e| e.seq <= self.cursor);
            let newer = w.events[start..].iter();
            let mut last = self.cursor;
            let mut events = Vec::new();
            for event in newer {
                last = event.seq;
                let ours = event.audience.contains(&webhook.resource);
                if ours && passes(&webhook.filters, event, payload::subtype(w, event)) {
                    events.push(payload::webhook_event(w, event));
                }
            }
            (events, last)
        });
        self.cursor = last;
        for event in events {
            if !state.webhooks.lose(&self.gid, &event) {
                self.batch.push(event);
                self.batch_since.get_or_insert_with(Instant::now);
            }
        }
    }

    fn heartbeat_at(&self, settings: &WebhookSettings) -> Option<Instant> {
        self.last_heartbeat
            .map(|t| later(t, settings.heartbeat_interval))
    }

    fn due(&self, settings: &WebhookSettings, now: Instant) -> Option<Due> {
        if let Some(streak) = self.retry {
            return (streak.at <= now).then_some(Due::Retry);
        }
        if self
            .batch_since
            .is_some_and(|t| later(t, settings.delivery_delay) <= now)
        {
            return Some(Due::Batch);
        }
        let heartbeat = self.heartbeat_at(settings).is_none_or(|t| t <= now);
        heartbeat.then_some(Due::Heartbeat)
    }

    fn next_wake(&self, settings: &WebhookSettings) -> Instant {
        if let Some(streak) = self.retry {
            return streak.at;
        }
        let batch = self.batch_since.map(|t| later(t, settings.delivery_delay));
        let heartbeat = self.heartbeat_at(settings);
        let far = later(Instant::now(), Duration::from_secs(24 * 3600));
        batch.into_iter().chain(heartbeat).min().unwrap_or(far)
    }

    /// Sends what is due; false when the webhook is gone (deleted for
    /// failing too long, or while the request was out).
    async fn attempt(
        &mut self,
        state: &AppState,
        webhook: &Webhook,
        settings: &WebhookSettings,
        due: Due,
    ) -> bool {
        let events = if due == Due::Heartbeat {
            self.last_heartbeat = Some(Instant::now());
            Vec::new()
        } else {
            self.batch.clone()
        };
        let body = serde_json::to_vec(&json!({ "events": events })).unwrap_or_default();
        let at = Utc::now();
        let outcome = send::deliver(
            &state.webhooks.client,
            &webhook.target,
            &webhook.secret,
            body,
            settings.delivery_timeout,
        )
        .await;
        let kind = if events.is_empty() {
            DeliveryKind::Heartbeat
        } else {
            DeliveryKind::Events
        };
        let attempt = self.retry.map_or(0, |s| s.retries);
        let (live, retry_in) = if outcome.is_success() {
            (self.succeeded(state, due), None)
        } else {
            let retry_in = self.failed(state, settings, &outcome);
            (retry_in.is_some(), retry_in)
        };
        state.webhooks.log(Delivery {
            webhook: self.gid.clone(),
            target: webhook.target.clone(),
            kind,
            events,
            attempt,
            status: outcome.status(),
            ok: outcome.is_success(),
            error: (!outcome.is_success()).then(|| outcome.content()),
            retry_in_ms: retry_in.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            at,
        });
        live
    }

    fn succeeded(&mut self, state: &AppState, due: Due) -> bool {
        if due != Due::Heartbeat {
            self.batch.clear();
            self.batch_since = None;
        }
        self.retry = None;
        state.webhooks.update(&self.gid, |w| {
            w.last_success_at = Some(Utc::now());
            w.delivery_retry_count = 0;
            w.next_attempt_after = None;
            w.failure_deletion_timestamp = None;
        })
    }

    /// Starts or continues the failure streak: the delay before the retry,
    /// or `None` when the webhook was deleted (or is gone).
    fn failed(
        &mut self,
        state: &AppState,
        settings: &WebhookSettings,
        outcome: &Outcome,
    ) -> Option<Duration> {
        let now = Instant::now();
        let now_utc = Utc::now();
        let window = settings.failure_window;
        let streak = self.retry.unwrap_or(Streak {
            at: now,
            retries: 0,
            deadline: later(now, window),
            deadline_utc: now_utc
                + chrono::Duration::from_std(window).unwrap_or(chrono::TimeDelta::MAX),
        });
        if now >= streak.deadline {
            state.webhooks.remove(&self.gid, "failure_window");
            return None;
        }
        let retries = streak.retries + 1;
        let doubling = 2u32.saturating_pow(retries - 1);
        let backoff = settings
            .retry_base
            .saturating_mul(doubling)
            .min(settings.retry_max);
        let at = later(now, backoff).min(streak.deadline);
        self.retry = Some(Streak {
            at,
            retries,
            ..streak
        });
        let next = now_utc + chrono::Duration::from_std(at - now).unwrap_or_default();
        let live = state.webhooks.update(&self.gid, |w| {
            w.last_failure_at = Some(now_utc);
            w.last_failure_content = Some(outcome.content());
            w.delivery_retry_count = retries;
            w.next_attempt_after = Some(next);
            w.failure_deletion_timestamp = Some(streak.deadline_utc);
        });
        live.then_some(at - now)
    }
}
