//! The only owner of the `webhooks` table: one row per webhook aegis
//! established (or is establishing), its sealed secret, its state, what
//! the receiver saw and what Asana last reported. Functions take an
//! executor, so callers choose the transaction.

use std::{fmt, time::Duration};

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::secret::Sealed;
use crate::asana;

/// Where a webhook stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type, serde::Serialize)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Created by aegis, waiting for Asana's handshake (and its 201).
    Establishing,
    /// Handshake done; deliveries are verified with its secret.
    Active,
    /// Asana reports failed deliveries (or an inactive webhook).
    Failing,
    /// Gone (deleted by aegis or by Asana, or never established): history.
    Deleted,
}

impl State {
    /// The name stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Establishing => "establishing",
            State::Active => "active",
            State::Failing => "failing",
            State::Deleted => "deleted",
        }
    }
}

/// One row of `webhooks`.
#[derive(Clone, sqlx::FromRow)]
pub struct WebhookRow {
    /// The establishment's id (in the target URL).
    pub id: Uuid,
    /// The watched project.
    pub project_gid: String,
    /// Asana's gid, once it answered the create.
    pub webhook_gid: Option<String>,
    /// The target URL.
    pub target: String,
    secret_ciphertext: Option<Vec<u8>>,
    secret_nonce: Option<Vec<u8>>,
    /// Its state.
    pub state: State,
    /// When aegis started establishing it.
    pub created_at: DateTime<Utc>,
    /// When the handshake was accepted.
    pub handshake_at: Option<DateTime<Utc>>,
    /// The last delivery with events.
    pub last_delivery_at: Option<DateTime<Utc>>,
    /// The last event a delivery carried (its `created_at`).
    pub last_event_at: Option<DateTime<Utc>>,
    /// The last heartbeat (empty delivery).
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    /// When `ensure` last compared it with Asana's record.
    pub last_checked_at: Option<DateTime<Utc>>,
    /// Asana's `active`, as last seen.
    pub asana_active: Option<bool>,
    /// Asana's `last_success_at`, as last seen.
    pub asana_last_success_at: Option<DateTime<Utc>>,
    /// Asana's `last_failure_at`, as last seen.
    pub asana_last_failure_at: Option<DateTime<Utc>>,
    /// Asana's `last_failure_content`, as last seen.
    pub asana_last_failure_content: Option<String>,
    /// Asana's `delivery_retry_count`, as last seen.
    pub asana_delivery_retry_count: Option<i32>,
    /// Asana's `next_attempt_after`, as last seen.
    pub asana_next_attempt_after: Option<DateTime<Utc>>,
    /// Asana's `failure_deletion_timestamp`, as last seen.
    pub asana_failure_deletion_at: Option<DateTime<Utc>>,
}

impl WebhookRow {
    /// The sealed secret, once the handshake stored it.
    pub fn sealed(&self) -> Option<Sealed> {
        Some(Sealed {
            ciphertext: self.secret_ciphertext.clone()?,
            nonce: self.secret_nonce.clone()?,
        })
    }

    /// The latest sign of life the receiver saw: a delivery or a heartbeat
    /// (the handshake's heartbeat included).
    pub fn last_seen_at(&self) -> Option<DateTime<Utc>> {
        [
            self.last_delivery_at,
            self.last_heartbeat_at,
            self.handshake_at,
        ]
        .into_iter()
        .flatten()
        .max()
    }
}

impl fmt::Debug for WebhookRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookRow")
            .field("id", &self.id)
            .field("project_gid", &self.project_gid)
            .field("webhook_gid", &self.webhook_gid)
            .field("state", &self.state)
            .field("sealed_secret", &self.secret_ciphertext.is_some())
            .finish_non_exhaustive()
    }
}

/// The columns of a [`WebhookRow`], for static SQL (`concat!`).
macro_rules! columns {
    () => {
        "id, project_gid, webhook_gid, target, secret_ciphertext, secret_nonce, state, \
         created_at, handshake_at, last_delivery_at, last_event_at, last_heartbeat_at, \
         last_checked_at, asana_active, asana_last_success_at, asana_last_failure_at, \
         asana_last_failure_content, asana_delivery_retry_count, asana_next_attempt_after, \
         asana_failure_deletion_at"
    };
}

/// Records an establishment about to start.
///
/// # Errors
/// The database's (a unique violation when the project has a live row).
pub async fn insert_establishing(
    db: impl PgExecutor<'_>,
    id: Uuid,
    project_gid: &str,
    target: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into webhooks (id, project_gid, target) values ($1, $2, $3)")
        .bind(id)
        .bind(project_gid)
        .bind(target)
        .execute(db)
        .await?;
    Ok(())
}

/// One row by id.
///
/// # Errors
/// The database's.
pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<WebhookRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "select ",
        columns!(),
        " from webhooks where id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Every row not deleted, by project.
///
/// # Errors
/// The database's.
pub async fn live(db: impl PgExecutor<'_>) -> Result<Vec<WebhookRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "select ",
        columns!(),
        " from webhooks where state <> 'deleted' order by project_gid"
    ))
    .fetch_all(db)
    .await
}

/// The project of an establishment in progress younger than `max_age`.
///
/// # Errors
/// The database's.
pub async fn establishing(
    db: impl PgExecutor<'_>,
    id: Uuid,
    max_age: Duration,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        r#"
        select project_gid from webhooks
        where id = $1 and state = 'establishing' and secret_ciphertext is null
          and created_at > now() - make_interval(secs => $2)
        "#,
    )
    .bind(id)
    .bind(max_age.as_secs_f64())
    .fetch_optional(db)
    .await
}

/// Stores the handshake's sealed secret and makes the row active, if it is
/// still an establishment in progress younger than `max_age`; false
/// otherwise (nothing stored).
///
/// # Errors
/// The database's.
pub async fn accept_handshake(
    db: impl PgExecutor<'_>,
    id: Uuid,
    sealed: &Sealed,
    max_age: Duration,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        r#"
        update webhooks set secret_ciphertext = $2, secret_nonce = $3, state = 'active',
            handshake_at = now()
        where id = $1 and state = 'establishing' and secret_ciphertext is null
          and created_at > now() - make_interval(secs => $4)
        "#,
    )
    .bind(id)
    .bind(&sealed.ciphertext)
    .bind(&sealed.nonce)
    .bind(max_age.as_secs_f64())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records Asana's gid after its 201.
///
/// # Errors
/// The database's.
pub async fn set_webhook_gid(
    db: impl PgExecutor<'_>,
    id: Uuid,
    webhook_gid: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update webhooks set webhook_gid = $2 where id = $1")
        .bind(id)
        .bind(webhook_gid)
        .execute(db)
        .await?;
    Ok(())
}

/// Sets the state of a row.
///
/// # Errors
/// The database's.
pub async fn set_state(db: impl PgExecutor<'_>, id: Uuid, state: State) -> Result<(), sqlx::Error> {
    sqlx::query("update webhooks set state = $2 where id = $1")
        .bind(id)
        .bind(state)
        .execute(db)
        .await?;
    Ok(())
}

/// Records a heartbeat (an empty delivery).
///
/// # Errors
/// The database's.
pub async fn record_heartbeat(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("update webhooks set last_heartbeat_at = now() where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Records a delivery with events (the newest event's time, if known).
///
/// # Errors
/// The database's.
pub async fn record_delivery(
    db: impl PgExecutor<'_>,
    id: Uuid,
    last_event_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"
        update webhooks set last_delivery_at = now(),
            last_event_at = greatest(last_event_at, $2)
        where id = $1
        "#,
    )
    .bind(id)
    .bind(last_event_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Records Asana's record of the webhook, as `ensure` saw it.
///
/// # Errors
/// The database's.
pub async fn record_check(
    db: impl PgExecutor<'_>,
    id: Uuid,
    seen: &asana::Webhook,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"
        update webhooks set last_checked_at = now(), asana_active = $2,
            asana_last_success_at = $3, asana_last_failure_at = $4,
            asana_last_failure_content = $5, asana_delivery_retry_count = $6,
            asana_next_attempt_after = $7, asana_failure_deletion_at = $8
        where id = $1
        "#,
    )
    .bind(id)
    .bind(seen.active)
    .bind(seen.last_success_at)
    .bind(seen.last_failure_at)
    .bind(&seen.last_failure_content)
    .bind(seen.delivery_retry_count)
    .bind(seen.next_attempt_after)
    .bind(seen.failure_deletion_timestamp)
    .execute(db)
    .await?;
    Ok(())
}

/// The workspaces of the portfolio's stored projects (read from
/// `projects`, which `store::projects` owns; webhooks are listed per
/// workspace).
///
/// # Errors
/// The database's.
pub async fn workspaces_of(
    db: impl PgExecutor<'_>,
    portfolio_gid: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        r#"
        select distinct workspace_gid from projects
        where portfolio_gid = $1 and workspace_gid is not null
        order by workspace_gid
        "#,
    )
    .bind(portfolio_gid)
    .fetch_all(db)
    .await
}
