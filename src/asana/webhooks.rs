//! Webhooks (`WebhookResponse` of Asana's spec): `POST /webhooks` (create;
//! Asana makes the handshake with the target while this request is open),
//! `GET /webhooks?workspace=&resource=` (paged), `DELETE /webhooks/{gid}`.
//! Every call goes through the chokepoint; a create is not retried unless
//! Asana surely did not act on it (see the client's `write`).

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{AsanaClient, Error, Gid, HasGid, NamedRef, Result, Target, items};

/// Every webhook field aegis reads.
pub const WEBHOOK_FIELDS: &str = "active,resource,target,created_at,last_success_at,\
last_failure_at,last_failure_content,failure_deletion_timestamp,delivery_retry_count,\
next_attempt_after";

/// The task events aegis's webhooks ask for: tasks added, changed,
/// removed, deleted, undeleted.
pub const TASK_ACTIONS: [&str; 5] = ["added", "changed", "removed", "deleted", "undeleted"];

/// A webhook as Asana reports it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Webhook {
    /// Asana's gid of the webhook.
    pub gid: Gid,
    /// False once Asana stopped delivering to it.
    #[serde(default)]
    pub active: bool,
    /// The watched resource (a project).
    #[serde(default)]
    pub resource: Option<NamedRef>,
    /// Where deliveries go.
    #[serde(default)]
    pub target: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// The last delivery the target acknowledged.
    #[serde(default)]
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last delivery that failed.
    #[serde(default)]
    pub last_failure_at: Option<DateTime<Utc>>,
    /// What the last failure was.
    #[serde(default)]
    pub last_failure_content: Option<String>,
    /// When Asana will delete it if deliveries keep failing.
    #[serde(default)]
    pub failure_deletion_timestamp: Option<DateTime<Utc>>,
    /// Retries of the delivery in progress.
    #[serde(default)]
    pub delivery_retry_count: Option<i32>,
    /// When the next retry is due.
    #[serde(default)]
    pub next_attempt_after: Option<DateTime<Utc>>,
}

impl Webhook {
    /// Whether Asana's deliveries to it are failing: inactive, or its last
    /// failure is newer than its last success.
    pub fn is_failing(&self) -> bool {
        !self.active
            || match (self.last_failure_at, self.last_success_at) {
                (Some(failure), Some(success)) => failure > success,
                (Some(_), None) => true,
                (None, _) => false,
            }
    }
}

impl HasGid for Webhook {
    fn gid(&self) -> &Gid {
        &self.gid
    }
}

/// One filter of a webhook (`WebhookFilter`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct WebhookFilter {
    /// The resource type, e.g. `task`.
    pub resource_type: String,
    /// The action, e.g. `changed`.
    pub action: String,
}

impl WebhookFilter {
    /// The filters for task events (see [`TASK_ACTIONS`]).
    pub fn tasks() -> Vec<WebhookFilter> {
        TASK_ACTIONS
            .iter()
            .map(|action| WebhookFilter {
                resource_type: "task".into(),
                action: (*action).into(),
            })
            .collect()
    }
}

#[derive(Serialize)]
struct NewWebhook<'a> {
    resource: &'a str,
    target: &'a str,
    filters: &'a [WebhookFilter],
}

/// `{"data": Webhook, "X-Hook-Secret": …}`: the secret in the answer is
/// ignored (aegis takes it from the handshake, which it checks).
#[derive(Deserialize)]
struct Created {
    data: Webhook,
}

impl AsanaClient {
    /// Creates a webhook on `resource` delivering to `target`. Asana
    /// handshakes with `target` before it answers, so whatever serves
    /// `target` must be running.
    ///
    /// # Errors
    /// The chokepoint's: [`Error::Forbidden`] for a target Asana refuses
    /// (not public HTTPS, or the handshake was not echoed); a timeout or
    /// 5xx at once, since the create may have happened.
    #[instrument(skip_all, fields(resource.gid = %resource))]
    pub async fn create_webhook(
        &self,
        resource: &Gid,
        target: &str,
        filters: &[WebhookFilter],
    ) -> Result<Webhook> {
        let body = NewWebhook {
            resource: resource.as_str(),
            target,
            filters,
        };
        let query = [("opt_fields", WEBHOOK_FIELDS.to_owned())];
        let target_name = Target::new("webhook for", resource);
        let created: Created = self.post(&target_name, "/webhooks", &query, &body).await?;
        Ok(created.data)
    }

    /// The token's webhooks in `workspace`, only those on `resource` if given.
    ///
    /// # Errors
    /// The chokepoint's.
    #[instrument(skip_all, fields(workspace.gid = %workspace))]
    pub async fn list_webhooks(
        &self,
        workspace: &Gid,
        resource: Option<&Gid>,
    ) -> Result<Vec<Webhook>> {
        let mut query = vec![
            ("workspace", workspace.to_string()),
            ("opt_fields", WEBHOOK_FIELDS.to_owned()),
        ];
        if let Some(resource) = resource {
            query.push(("resource", resource.to_string()));
        }
        let pages = self.pages(
            Target::new("webhooks of workspace", workspace),
            "/webhooks".into(),
            query,
        );
        items(pages).try_collect().await
    }

    /// Deletes a webhook; one Asana no longer has counts as deleted.
    ///
    /// # Errors
    /// The chokepoint's, except [`Error::NotFound`].
    #[instrument(skip_all, fields(webhook.gid = %gid))]
    pub async fn delete_webhook(&self, gid: &Gid) -> Result<()> {
        let path = format!("/webhooks/{gid}");
        match self.delete(&Target::new("webhook", gid), &path).await {
            Err(Error::NotFound { .. }) => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use wiremock::{
        Mock, ResponseTemplate,
        matchers::{body_json, method, path},
    };

    use super::*;
    use crate::asana::testing::{client_for, server};

    #[tokio::test]
    async fn a_create_that_times_out_or_fails_is_not_sent_twice() {
        let server = server().await;
        Mock::given(method("POST"))
            .and(path("/api/1.0/webhooks"))
            .and(body_json(serde_json::json!({"data": {
                "resource": "42", "target": "https://h.example/x",
                "filters": [{"resource_type": "task", "action": "added"},
                    {"resource_type": "task", "action": "changed"},
                    {"resource_type": "task", "action": "removed"},
                    {"resource_type": "task", "action": "deleted"},
                    {"resource_type": "task", "action": "undeleted"}]}})))
            .respond_with(ResponseTemplate::new(502))
            .expect(1)
            .mount(&server)
            .await;
        let error = client_for(&server)
            .create_webhook(
                &"42".parse().unwrap(),
                "https://h.example/x",
                &WebhookFilter::tasks(),
            )
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(502), "{error:?}");
    }

    #[tokio::test]
    async fn a_create_refused_with_429_is_sent_again() {
        let server = server().await;
        let created = serde_json::json!({"data": {"gid": "9", "active": true,
            "resource": {"gid": "42", "resource_type": "project"}, "target": "https://h.example/x",
            "last_success_at": null, "last_failure_at": null}, "X-Hook-Secret": "ignored"});
        Mock::given(method("POST"))
            .respond_with(crate::asana::testing::Sequence::new(vec![
                ResponseTemplate::new(429).insert_header("retry-after", "0"),
                ResponseTemplate::new(201).set_body_json(created),
            ]))
            .expect(2)
            .mount(&server)
            .await;
        let hook = client_for(&server)
            .create_webhook(
                &"42".parse().unwrap(),
                "https://h.example/x",
                &WebhookFilter::tasks(),
            )
            .await
            .unwrap();
        assert_eq!(hook.gid.as_str(), "9");
        assert!(!hook.is_failing());
    }

    #[tokio::test]
    async fn a_delete_of_a_gone_webhook_is_done() {
        let server = server().await;
        Mock::given(method("DELETE"))
            .and(path("/api/1.0/webhooks/9"))
            .respond_with(ResponseTemplate::new(404).set_body_json(
                serde_json::json!({"errors": [{"message": "webhook: Unknown object: 9"}]}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        client_for(&server)
            .delete_webhook(&"9".parse().unwrap())
            .await
            .unwrap();
    }
}
