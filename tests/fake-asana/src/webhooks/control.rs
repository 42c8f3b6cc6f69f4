//! The webhook side of the control API as methods on [`FakeAsana`]: the
//! delivery settings, what was delivered, waiting for deliveries, and
//! deleting a webhook as Asana would. `/_admin/webhooks` serves the same
//! over HTTP (see `admin`).

use super::{Webhook, WebhookSettings, WebhookView};
use crate::server::FakeAsana;

impl FakeAsana {
    /// The webhook delivery settings in force.
    pub fn webhook_settings(&self) -> WebhookSettings {
        self.state.webhooks.settings()
    }

    /// Replaces the webhook delivery settings (applied at once, to every
    /// webhook, e.g. a shorter heartbeat interval).
    pub fn set_webhook_settings(&self, settings: WebhookSettings) {
        self.state.webhooks.set_settings(settings);
    }

    /// Changes some of the webhook delivery settings:
    /// `fake.update_webhook_settings(|s| s.loss_fraction = 1.0)`.
    pub fn update_webhook_settings(&self, change: impl FnOnce(&mut WebhookSettings)) {
        let mut settings = self.webhook_settings();
        change(&mut settings);
        self.set_webhook_settings(settings);
    }

    /// The live webhooks, every request made to a target, the webhooks
    /// deleted and the events lost.
    pub fn webhooks(&self) -> WebhookView {
        self.state.webhooks.view()
    }

    /// A live webhook, with its secret and delivery fields.
    pub fn webhook(&self, gid: &str) -> Option<Webhook> {
        self.state.webhooks.get(gid)
    }

    /// Deletes a webhook as Asana does on its own (the API answers 404 for
    /// it from now on, no more deliveries); false when there is none.
    pub fn delete_webhook_as_asana(&self, gid: &str) -> bool {
        self.state.webhooks.remove(gid, "admin").is_some()
    }

    /// Waits until `check` finds what it looks for in [`FakeAsana::webhooks`],
    /// looking again after every delivery and change. There is no deadline:
    /// wrap it in `tokio::time::timeout`.
    pub async fn wait_for_webhooks<T>(&self, check: impl FnMut(&WebhookView) -> Option<T>) -> T {
        self.state.webhooks.wait(check).await
    }
}
